// weft::sleep: asyncio.sleep.
//
// `co_await weft::sleep(d)` suspends the current task for d (negative counts
// as zero) on its loop's timer heap, without allocating: the timer lives in
// the awaiting frame. `sleep(0s)` yields: the task goes to the back of the
// ready queue and runs again in the next loop iteration. Cancellation during
// the sleep throws cancelled_error at once and removes the timer.
#pragma once

#include <weft/scheduler/detail/task_state.hpp>
#include <weft/scheduler/detail/timer_heap.hpp>
#include <weft/scheduler/event_loop.hpp>

#include <chrono>
#include <coroutine>

namespace weft {

namespace detail {

class sleep_awaiter : timer_node {
public:
    sleep_awaiter(clock::time_point deadline, bool yield_only) noexcept : yield_(yield_only) {
        when = deadline;
        fire = &on_fire;
    }
    sleep_awaiter(const sleep_awaiter&) = delete;
    sleep_awaiter& operator=(const sleep_awaiter&) = delete;
    ~sleep_awaiter() {
        if (queued()) loop_->remove_timer(this);
    }

    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h);
    void await_resume();

private:
    static void on_fire(timer_node* t) noexcept;

    bool yield_;
    task_base* task_ = nullptr;
    event_loop* loop_ = nullptr;
    std::uint64_t token_ = 0;
};

} // namespace detail

/// Suspends the current task for `delay` (`sleep(0s)` yields to the loop).
template <class Rep, class Period>
detail::sleep_awaiter sleep(std::chrono::duration<Rep, Period> delay) noexcept {
    if (delay <= std::chrono::duration<Rep, Period>::zero())
        return detail::sleep_awaiter(clock::time_point{}, true);
    return detail::sleep_awaiter(deadline_after(delay), false);
}

/// Suspends the current task until `deadline` on the loop's clock.
inline detail::sleep_awaiter sleep_until(clock::time_point deadline) noexcept {
    if (deadline <= clock::now()) return detail::sleep_awaiter(clock::time_point{}, true);
    return detail::sleep_awaiter(deadline, false);
}

} // namespace weft
