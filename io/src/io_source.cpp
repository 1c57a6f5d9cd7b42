#include <weft/io/detail/io_source.hpp>

#include "reactor.hpp"

#include <unistd.h>

namespace weft::detail {

io_source::io_source(int fd, reactor& r, bool owns_fd) noexcept
    : fd_(fd), owns_fd_(owns_fd), reactor_(&r) {
    r.add_ref();
}

io_source::~io_source() {
    if (owns_fd_ && fd_ >= 0) ::close(fd_);
    reactor_->release();
}

void io_source::notify(bool readable, bool writable, bool hangup) noexcept {
    // Release, and before the sequence bumps below: a reader that loads the
    // bumped sequence (acquire) then sees the hang-up in hung_up().
    if (hangup) hung_up_.store(true, std::memory_order_release);
    for (io_dir d : {io_dir::read, io_dir::write}) {
        if (d == io_dir::read ? !readable : !writable) continue;
        waiter_queue& q = waiters_[index(d)];
        spin_guard g(q.lock());
        // Under the lock that a parking waiter checks the sequence under,
        // so the waiter either sees the new value or is in the queue here.
        // Release: pairs with the acquire load in seq().
        seq_[index(d)].fetch_add(1, std::memory_order_release);
        q.wake_all_locked(verdict::granted);
    }
    if (on_notify) on_notify(*this, readable, writable);
}

void io_source::shutdown() noexcept {
    // acq_rel: only the first caller deregisters; pairs with closed()'s acquire.
    if (closed_.exchange(true, std::memory_order_acq_rel)) return;
    for (waiter_queue& q : waiters_) {
        spin_guard g(q.lock());
        q.wake_all_locked(verdict::closed);
    }
    reactor_->remove(*this);
}

bool io_source::ready_awaiter::await_suspend(std::coroutine_handle<> h) {
    task_base& t = parked_wait::current("waiting for I/O readiness");
    waiter_queue& q = s_.waiters_[index(d_)];
    {
        spin_guard g(q.lock());
        // Relaxed: notify() bumps under this lock. closed_ is set before
        // shutdown() takes this lock, so a shutdown that wakes nobody here
        // is seen here.
        if (s_.seq_[index(d_)].load(std::memory_order_relaxed) != seen_ ||
            s_.closed_.load(std::memory_order_relaxed))
            return false;
        wait_.suspend_locked(q, t, h);
    }
    return wait_.commit();
}

void io_source::ready_awaiter::await_resume() {
    if (wait_.task() == nullptr) return;  // never parked: ready in await_suspend
    task_base* t = wait_.task();
    if (wait_.resume() == verdict::none) {
        {
            spin_guard g(s_.waiters_[index(d_)].lock());
            wait_.leave_locked();
        }
        throw t->make_cancelled_error();
    }
    // Woken by readiness or shutdown: a cancel that came after the wake is
    // honoured at the task's next suspension, as asyncio's _must_cancel.
}

} // namespace weft::detail
