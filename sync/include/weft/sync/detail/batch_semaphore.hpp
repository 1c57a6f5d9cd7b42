// A FIFO-fair counting semaphore over the waiter core, in the shape of
// tokio's batch semaphore: lock, semaphore, bounded_semaphore and the
// queues' item and slot counts are all this one class.
//
// state_ = permits << 1 | queued. `queued` is set and cleared only under the
// waiter queue's lock and is set exactly while waiters are queued. While it
// is clear, acquires and releases that need no waiter go lock-free (one CAS);
// while it is set, nobody changes state_ outside the lock, so a release hands
// its permits to the front waiters in order (no barging past a queued waiter)
// and only what is left over becomes available.
#pragma once

#include <weft/scheduler/detail/waiter_queue.hpp>

#include <atomic>
#include <coroutine>
#include <cstddef>

namespace weft::detail {

class batch_semaphore {
public:
    explicit batch_semaphore(std::size_t permits) noexcept : state_(permits << 1) {}
    batch_semaphore(const batch_semaphore&) = delete;
    batch_semaphore& operator=(const batch_semaphore&) = delete;

    /// Takes n permits if they are free and nobody is queued.
    bool try_acquire(std::size_t n) noexcept;
    /// Returns n permits: to the front waiters first, in FIFO order.
    void release(std::size_t n) noexcept;
    /// Permits free right now (not counting what queued waiters asked for).
    std::size_t available() const noexcept {
        // Acquire: a reader acting on the count sees what the releaser wrote.
        return state_.load(std::memory_order_acquire) >> 1;
    }
    std::size_t waiters() const noexcept;

    /// Wakes every waiter with verdict::closed; while closed, an acquire
    /// that cannot take its permits at once ends with closed instead of
    /// waiting. Free permits stay (a shut-down queue still hands out what it
    /// holds).
    void close() noexcept;
    void reopen() noexcept;
    bool is_closed() const noexcept { return closed_.load(std::memory_order_acquire); }

    /// co_await acquire(n): verdict::granted (the permits are the caller's)
    /// or verdict::closed. Throws cancelled_error if cancelled while waiting;
    /// the permits then go to the next waiter. `what` names the operation in
    /// the error thrown outside a task.
    class acquire_awaiter {
    public:
        acquire_awaiter(batch_semaphore& s, std::size_t n, const char* what) noexcept
            : s_(s), n_(n), what_(what) {}
        bool await_ready() noexcept { return s_.try_acquire(n_); }
        bool await_suspend(std::coroutine_handle<> h);
        verdict await_resume();

    private:
        batch_semaphore& s_;
        std::size_t n_;
        const char* what_;
        verdict immediate_ = verdict::granted;
        parked_wait wait_;
    };
    acquire_awaiter acquire(std::size_t n, const char* what) noexcept { return {*this, n, what}; }

    /// acquire() for primitives whose acquire yields nothing (lock,
    /// semaphore): only granted can end it, cancellation throws.
    struct plain_acquire {
        acquire_awaiter a;
        bool await_ready() noexcept { return a.await_ready(); }
        bool await_suspend(std::coroutine_handle<> h) { return a.await_suspend(h); }
        void await_resume() { (void)a.await_resume(); }
    };

private:
    static constexpr std::size_t queued_bit = 1;

    /// With the lock held: gives `extra` plus the free permits to the front
    /// waiters that they satisfy, then republishes the count and the bit.
    void grant_locked(std::size_t extra) noexcept;

    std::atomic<std::size_t> state_;
    std::atomic<bool> closed_{false};
    waiter_queue q_;
};

} // namespace weft::detail
