#include <weft/errors.hpp>
#include <weft/sync/condition.hpp>

#include <limits>

namespace weft {

/// Parks the task on the condition's queue and releases the user lock
/// (in that order, so a notify after the release cannot be missed).
struct condition::notified_awaiter {
    condition& c;
    detail::parked_wait wait;
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
        detail::task_base& t = detail::parked_wait::current("condition::wait()");
        {
            detail::spin_guard g(c.q_.lock());
            wait.suspend_locked(c.q_, t, h);
        }
        c.lock_->release();
        return wait.commit();
    }
    /// True if notified, false if cancelled.
    bool await_resume() noexcept {
        if (wait.resume() != detail::verdict::none) return true;
        detail::spin_guard g(c.q_.lock());
        wait.leave_locked();
        return false;
    }
};

condition::condition() : own_(std::make_unique<weft::lock>()), lock_(own_.get()) {}

coro<void> condition::wait() {
    if (!lock_->locked()) throw error("condition::wait(): the lock is not acquired");
    bool cancelled = false;
    {
        notified_awaiter n{*this, {}};
        cancelled = !co_await n;
    }
    // Take the lock back whatever happened, as asyncio does: a cancel that
    // arrives while re-acquiring is kept for after.
    bool cancelled_again = false;
    for (;;) {
        try {
            co_await lock_->acquire();
            break;
        } catch (const cancelled_error&) {
            cancelled_again = true;
        }
    }
    if (cancelled || cancelled_again) throw detail::require_current_task("condition::wait()").make_cancelled_error();
}

void condition::notify(std::size_t n) {
    if (!lock_->locked()) throw error("condition::notify(): the lock is not acquired");
    detail::spin_guard g(q_.lock());
    std::size_t woken = 0;
    while (woken < n && !q_.empty_locked())
        if (q_.wake_locked(q_.front_locked(), detail::verdict::granted)) ++woken;
}

void condition::notify_all() { notify(std::numeric_limits<std::size_t>::max()); }

} // namespace weft
