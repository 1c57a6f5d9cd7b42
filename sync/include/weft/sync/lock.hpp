// weft::lock: asyncio.Lock, safe across workers.
//
//   weft::lock m;
//   co_await m.acquire();  ...  m.release();
//   { auto g = co_await m.scoped(); ... }   // released when g leaves scope
//
// FIFO fair: a release hands the lock straight to the longest waiting task,
// and nobody acquires past a queued waiter. A waiter cancelled while queued
// leaves the queue and never holds the lock; one granted the lock but
// cancelled before it ran passes the lock on and throws cancelled_error (as
// asyncio). The woken waiter resumes on the worker that released the lock
// (or, when that worker is busy, on one that steals it).
#pragma once

#include <weft/sync/detail/batch_semaphore.hpp>

#include <utility>

namespace weft {

class lock;

/// Holds a lock until destroyed (or release() is called); move-only.
class lock_guard {
public:
    lock_guard() noexcept = default;
    explicit lock_guard(lock& l) noexcept : l_(&l) {}
    lock_guard(lock_guard&& o) noexcept : l_(std::exchange(o.l_, nullptr)) {}
    lock_guard& operator=(lock_guard&& o) noexcept {
        if (this != &o) {
            release();
            l_ = std::exchange(o.l_, nullptr);
        }
        return *this;
    }
    lock_guard(const lock_guard&) = delete;
    lock_guard& operator=(const lock_guard&) = delete;
    ~lock_guard() { release(); }

    /// Releases early (no-op if already released).
    void release() noexcept;
    bool owns_lock() const noexcept { return l_ != nullptr; }

private:
    lock* l_ = nullptr;
};

class lock {
public:
    lock() noexcept : sem_(1) {}
    lock(const lock&) = delete;
    lock& operator=(const lock&) = delete;

    using acquire_awaiter = detail::batch_semaphore::plain_acquire;
    struct scoped_awaiter {
        lock& l;
        detail::batch_semaphore::acquire_awaiter a;
        bool await_ready() noexcept { return a.await_ready(); }
        bool await_suspend(std::coroutine_handle<> h) { return a.await_suspend(h); }
        lock_guard await_resume() {
            (void)a.await_resume();
            return lock_guard(l);
        }
    };

    /// Waits until the lock is free and takes it. Throws cancelled_error if
    /// cancelled while waiting (the lock is not taken).
    acquire_awaiter acquire() noexcept { return {sem_.acquire(1, "lock::acquire()")}; }
    /// acquire(), returning a guard that releases the lock.
    scoped_awaiter scoped() noexcept { return {*this, sem_.acquire(1, "lock::scoped()")}; }
    /// Takes the lock if it is free and nobody is waiting.
    bool try_acquire() noexcept { return sem_.try_acquire(1); }
    /// Releases the lock (from any task or thread). Throws weft::error if the
    /// lock is not held.
    void release();
    bool locked() const noexcept { return sem_.available() == 0; }

private:
    detail::batch_semaphore sem_;
};

inline void lock_guard::release() noexcept {
    if (l_) std::exchange(l_, nullptr)->release();
}

} // namespace weft
