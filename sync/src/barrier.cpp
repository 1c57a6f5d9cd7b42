#include <weft/errors.hpp>
#include <weft/sync/barrier.hpp>

#include <string>

namespace weft {

barrier::barrier(std::int64_t parties) : parties_(parties > 0 ? static_cast<std::size_t>(parties) : 0) {
    if (parties < 1) throw value_error("barrier: parties must be >= 1, got " + std::to_string(parties));
}

bool barrier::wait_awaiter::await_suspend(std::coroutine_handle<> h) {
    detail::task_base& t = detail::parked_wait::current("barrier::wait()");
    {
        detail::spin_guard g(b.q_.lock());
        if (b.broken_) throw broken_barrier_error("barrier::wait(): the barrier is broken");
        index = b.arrived_++;
        if (b.arrived_ == b.parties_) {
            // The round is full: release everyone, start the next round.
            b.q_.wake_all_locked(detail::verdict::granted);
            b.arrived_ = 0;
            immediate = true;
            return false;
        }
        wait.suspend_locked(b.q_, t, h);
    }
    return wait.commit();
}

std::size_t barrier::wait_awaiter::await_resume() {
    if (immediate) return index;
    const detail::verdict v = wait.resume();
    if (v == detail::verdict::granted) return index;
    if (v == detail::verdict::broken) throw broken_barrier_error("barrier::wait(): the barrier was aborted or reset");
    detail::task_base* t = wait.task();
    {
        detail::spin_guard g(b.q_.lock());
        // Still queued: the round has not filled, so this arrival is undone.
        if (wait.node().linked && b.arrived_ > 0) --b.arrived_;
        wait.leave_locked();
    }
    throw t->make_cancelled_error();
}

void barrier::abort() {
    detail::spin_guard g(q_.lock());
    broken_ = true;
    q_.wake_all_locked(detail::verdict::broken);
    arrived_ = 0;
}

void barrier::reset() {
    detail::spin_guard g(q_.lock());
    q_.wake_all_locked(detail::verdict::broken);
    arrived_ = 0;
    broken_ = false;
}

std::size_t barrier::n_waiting() const {
    detail::spin_guard g(q_.lock());
    return q_.size_locked();
}

bool barrier::broken() const {
    detail::spin_guard g(q_.lock());
    return broken_;
}

} // namespace weft
