// weft::barrier: asyncio.Barrier, safe across workers.
//
// co_await wait() blocks until `parties` tasks are waiting, then releases
// them all; each gets its arrival index (0 .. parties-1; the last to arrive
// does not wait). The barrier then starts over for the next round. abort()
// breaks it: waiting and later calls throw broken_barrier_error. reset()
// makes the current waiters throw broken_barrier_error and starts a fresh
// round. A waiter cancelled before the barrier fills leaves it (it no longer
// counts as arrived). Released waiters resume on the worker of the last
// arrival (or ones that steal them).
#pragma once

#include <weft/scheduler/detail/waiter_queue.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>

namespace weft {

class barrier {
public:
    /// Throws value_error unless parties >= 1.
    explicit barrier(std::int64_t parties);
    barrier(const barrier&) = delete;
    barrier& operator=(const barrier&) = delete;

    struct wait_awaiter {
        barrier& b;
        std::size_t index = 0;
        bool immediate = false;
        detail::parked_wait wait;
        bool await_ready() const noexcept { return false; }
        bool await_suspend(std::coroutine_handle<> h);
        std::size_t await_resume();
    };
    /// Waits for the round to fill; returns the arrival index.
    wait_awaiter wait() noexcept { return {*this, 0, false, {}}; }
    void abort();
    void reset();

    std::size_t parties() const noexcept { return parties_; }
    /// Tasks waiting in the current round.
    std::size_t n_waiting() const;
    bool broken() const;

private:
    const std::size_t parties_;
    detail::waiter_queue q_;
    std::size_t arrived_ = 0;  // under q_'s lock
    bool broken_ = false;      // under q_'s lock
};

} // namespace weft
