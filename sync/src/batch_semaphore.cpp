#include <weft/sync/detail/batch_semaphore.hpp>

namespace weft::detail {

bool batch_semaphore::try_acquire(std::size_t n) noexcept {
    // Acquire on success: pairs with the release of the releaser's CAS or
    // store, so what the previous holder wrote is visible to the new one.
    std::size_t s = state_.load(std::memory_order_relaxed);
    for (;;) {
        if ((s & queued_bit) || (s >> 1) < n) return false;
        if (state_.compare_exchange_weak(s, s - (n << 1), std::memory_order_acquire,
                                         std::memory_order_relaxed))
            return true;
    }
}

void batch_semaphore::release(std::size_t n) noexcept {
    std::size_t s = state_.load(std::memory_order_relaxed);
    while (!(s & queued_bit)) {
        // Release: pairs with try_acquire's acquiring CAS.
        if (state_.compare_exchange_weak(s, s + (n << 1), std::memory_order_release,
                                         std::memory_order_relaxed))
            return;
    }
    spin_guard g(q_.lock());
    grant_locked(n);
}

void batch_semaphore::grant_locked(std::size_t extra) noexcept {
    // Under the lock. If the bit is clear, lock-free acquires and releases
    // may still move state_: fold `extra` in with a CAS. If it is set, only
    // lock holders write state_.
    std::size_t s = state_.load(std::memory_order_acquire);
    if (!(s & queued_bit)) {
        // Relaxed failure / release success: as in release().
        while (!state_.compare_exchange_weak(s, s + (extra << 1), std::memory_order_release,
                                             std::memory_order_relaxed)) {
        }
        return;
    }
    std::size_t avail = (s >> 1) + extra;
    while (wait_node* w = q_.front_locked()) {
        const std::size_t need = w->needed;
        if (need > avail) break;  // FIFO: nobody passes the front waiter
        // Read before the wake: once woken, the waiter may run on another
        // worker and its frame (the node) may be gone.
        if (q_.wake_locked(w, verdict::granted)) avail -= need;
        // else: cancelled; its permits were never taken, try the next one.
    }
    // Release: pairs with try_acquire's acquire and with the acquire load
    // above in the next lock holder.
    state_.store((avail << 1) | (q_.empty_locked() ? 0 : queued_bit), std::memory_order_release);
}

std::size_t batch_semaphore::waiters() const noexcept {
    spin_guard g(q_.lock());
    return q_.size_locked();
}

void batch_semaphore::close() noexcept {
    spin_guard g(q_.lock());
    // Release: pairs with is_closed()'s acquire.
    closed_.store(true, std::memory_order_release);
    q_.wake_all_locked(verdict::closed);
    const std::size_t s = state_.load(std::memory_order_relaxed);
    // The queue is empty now; the bit goes with it. Release: as in grant_locked.
    state_.store(s & ~queued_bit, std::memory_order_release);
}

void batch_semaphore::reopen() noexcept {
    // Acquire: pairs with close()'s release store.
    if (!closed_.load(std::memory_order_acquire)) return;  // the common case: a queue's put
    spin_guard g(q_.lock());
    closed_.store(false, std::memory_order_release);
}

bool batch_semaphore::acquire_awaiter::await_suspend(std::coroutine_handle<> h) {
    task_base& t = parked_wait::current(what_);
    {
        spin_guard g(s_.q_.lock());
        std::size_t s = s_.state_.load(std::memory_order_relaxed);
        for (;;) {
            if (!(s & queued_bit) && (s >> 1) >= n_) {
                // Freed since await_ready: take them (acquire, as try_acquire).
                if (s_.state_.compare_exchange_weak(s, s - (n_ << 1), std::memory_order_acquire,
                                                    std::memory_order_relaxed)) {
                    immediate_ = verdict::granted;
                    return false;
                }
                continue;
            }
            if (s_.closed_.load(std::memory_order_relaxed)) {
                immediate_ = verdict::closed;
                return false;
            }
            // Set the bit first: from here on only lock holders move state_,
            // so no release can slip its permits past this waiter.
            // acq_rel: pairs with the lock-free CASes it races with.
            if ((s & queued_bit) ||
                s_.state_.compare_exchange_weak(s, s | queued_bit, std::memory_order_acq_rel,
                                                std::memory_order_relaxed))
                break;
        }
        wait_.suspend_locked(s_.q_, t, h, n_);
    }
    return wait_.commit();
}

verdict batch_semaphore::acquire_awaiter::await_resume() {
    if (!wait_.parked() && wait_.task() == nullptr) return immediate_;
    const verdict v = wait_.resume();
    task_base* t = wait_.task();
    if (v == verdict::none) {
        // Cancelled while queued: leave, and if this waiter was the front
        // one, the permits it was waiting for may now satisfy the next.
        {
            spin_guard g(s_.q_.lock());
            wait_.leave_locked();
            if (s_.state_.load(std::memory_order_relaxed) & queued_bit) s_.grant_locked(0);
        }
        throw t->make_cancelled_error();
    }
    if (t->take_pending_cancel()) {
        // Granted, but cancelled before it could run (asyncio's
        // _must_cancel): the permits pass on and the cancel is thrown.
        if (v == verdict::granted) s_.release(n_);
        throw t->make_cancelled_error();
    }
    return v;
}

} // namespace weft::detail
