// Running a callable on an executor and waiting for it from a task: the
// common core of run_in_executor, to_thread and getaddrinfo.
//
// The job holds a copy of a future and completes it from the executor's
// thread; the awaiting task waits for that future in abandon mode, so a
// cancel ends its wait at once and the job runs on. Lifetimes:
// - the job's completion wakes the waiting task, which may resume, finish
//   its runtime and destroy the loops before the job has returned from the
//   wake; so a waiter whose future completed waits (a few instructions) for
//   the job's release flag before it leaves, and the job touches nothing
//   after setting it;
// - a waiter that left on a cancel leaves nobody to wake: the job then
//   touches no loop, and nothing is waited for.
// The outcome is read only by the awaiter: once it awaits, the future is
// marked retrieved, so the result of a call abandoned by a cancel is dropped
// without a never-retrieved report. A call whose coro is never awaited
// keeps the report (debug mode) if f threw.
#pragma once

#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/detail/await_future.hpp>
#include <weft/scheduler/executor.hpp>
#include <weft/scheduler/future.hpp>

#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

namespace weft::detail {

/// Set by the job once it is done with the future.
struct executor_handoff {
    std::atomic<bool> released{false};
};

/// Leaving the wait: if the job completed the future, waits until the job
/// let go of it (see the file comment).
class executor_release_wait {
public:
    executor_release_wait(const future_state_base* st, const executor_handoff* h) noexcept : st_(st), h_(h) {}
    executor_release_wait(const executor_release_wait&) = delete;
    executor_release_wait& operator=(const executor_release_wait&) = delete;
    ~executor_release_wait() {
        if (!st_->done()) return;
        // Acquire: pairs with the job's release store, after which the job
        // has returned from every call that could touch the task's loop.
        while (!h_->released.load(std::memory_order_acquire)) std::this_thread::yield();
    }

private:
    const future_state_base* st_;
    const executor_handoff* h_;
};

template <class T>
coro<T> await_executor_call(future<T> fut, std::shared_ptr<executor_handoff> h) {
    // Only this awaiter reads the outcome; if it leaves on a cancel nobody
    // will, and that is not an error to report.
    fut.raw_state()->mark_retrieved();
    {
        executor_release_wait leave(fut.raw_state(), h.get());
        {
            future_wait w(fut.raw_state(), cancel_mode::abandon);
            co_await w;
        }
    }
    if constexpr (std::is_void_v<T>) {
        fut.result();
    } else {
        co_return std::move(fut.result());
    }
}

/// Hands fn to ex now and returns the coro that waits for its outcome.
/// Throws what ex.execute() throws (the executor is shut down).
template <class F>
coro<std::invoke_result_t<F>> call_on_executor(executor& ex, F fn) {
    using T = std::invoke_result_t<F>;
    future<T> fut;
    auto handoff = std::make_shared<executor_handoff>();
    auto job = [done = std::optional<future<T>>(fut), fn = std::move(fn), handoff]() mutable noexcept {
        try {
            if constexpr (std::is_void_v<T>) {
                std::move(fn)();
                done->set_result();
            } else {
                done->set_result(std::move(fn)());
            }
        } catch (...) {
            try {
                done->set_exception(std::current_exception());
            } catch (...) {
                // Already done: only if set_result stored its value and
                // then something threw, which it does not.
            }
        }
        // With a cancelled waiter this frees the result, before fn's
        // captures go.
        done.reset();
        // Release: pairs with the acquire in ~executor_release_wait.
        handoff->released.store(true, std::memory_order_release);
    };
    ex.execute(unique_function<void()>(std::move(job)));
    return await_executor_call<T>(std::move(fut), std::move(handoff));
}

} // namespace weft::detail
