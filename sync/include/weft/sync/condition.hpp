// weft::condition: asyncio.Condition, safe across workers.
//
//   weft::condition cv;                 // owns its lock (or condition(lock&))
//   { auto g = co_await cv.scoped(); while (!ready) co_await cv.wait(); }
//   { auto g = co_await cv.scoped(); ready = true; cv.notify(); }
//
// wait() needs the lock held: it releases it, waits for a notify, and takes
// the lock again before returning, also when cancelled (then it throws
// cancelled_error with the lock held, as asyncio). notify(n) wakes up to n
// waiters in arrival order; a waiter cancelled in the meantime is skipped,
// never counted in place of a live one. A woken waiter resumes on the
// worker that notified (or one that steals it), then queues for the lock.
#pragma once

#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/detail/waiter_queue.hpp>
#include <weft/sync/lock.hpp>

#include <cstddef>
#include <memory>

namespace weft {

class condition {
public:
    /// With a lock of its own.
    condition();
    /// Sharing `l` (which must outlive the condition).
    explicit condition(weft::lock& l) noexcept : lock_(&l) {}
    condition(const condition&) = delete;
    condition& operator=(const condition&) = delete;

    lock::acquire_awaiter acquire() noexcept { return lock_->acquire(); }
    lock::scoped_awaiter scoped() noexcept { return lock_->scoped(); }
    void release() { lock_->release(); }
    bool locked() const noexcept { return lock_->locked(); }

    /// Releases the lock, waits for notify(), takes the lock again. Throws
    /// weft::error if the lock is not held.
    coro<void> wait();
    /// Waits until pred() is true (checked with the lock held); returns its
    /// last value.
    template <class Pred>
    coro<bool> wait_for(Pred pred) {
        while (!pred()) co_await wait();
        co_return true;
    }
    /// Wakes up to n waiters. Throws weft::error if the lock is not held.
    void notify(std::size_t n = 1);
    void notify_all();

private:
    struct notified_awaiter;

    std::unique_ptr<weft::lock> own_;
    weft::lock* lock_;
    detail::waiter_queue q_;
};

} // namespace weft
