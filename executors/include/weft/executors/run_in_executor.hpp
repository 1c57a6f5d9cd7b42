// run_in_executor and to_thread: call a function away from the event loops
// and await its result in a task.
//
//     int n = co_await weft::run_in_executor(nullptr, count_primes, 1'000'000);
//     std::string s = co_await weft::to_thread(read_whole_file, path);
//
// The function is handed to the executor when run_in_executor is called (as
// asyncio's, which returns a future already running); the returned coro
// waits for it. Cancelling the awaiting task raises cancelled_error in it at
// once and leaves the function running (asyncio's semantics: a thread
// cannot be interrupted); its result or exception is then dropped without a
// never-retrieved report. The value or the exception of the function
// reaches the awaiter, resumed on its loop through the loop's inbox.
#pragma once

#include <weft/errors.hpp>
#include <weft/scheduler/detail/executor_call.hpp>
#include <weft/scheduler/detail/loop_services.hpp>
#include <weft/scheduler/event_loop.hpp>
#include <weft/scheduler/thread_pool_executor.hpp>

#include <functional>
#include <string>
#include <type_traits>
#include <utility>

namespace weft {

namespace detail {

/// The loop's default executor for run_in_executor(nullptr, ...): the oneTBB
/// arena of the calling worker's NUMA node (one arena per node and
/// runtime, made on first use). Throws weft::error while the runtime shuts
/// down.
executor& default_tbb_executor(event_loop& loop, const char* what);

/// f and args, moved into one nullary callable that calls f once.
template <class F, class... Args>
auto bind_executor_call(F&& f, Args&&... args) {
    return [f = std::forward<F>(f), ... args = std::forward<Args>(args)]() mutable {
        return std::invoke(std::move(f), std::move(args)...);
    };
}

inline event_loop& loop_for_executor_call(const char* what) {
    event_loop* loop = running_loop();
    if (!loop)
        throw error(std::string(what) +
                    ": no running event loop on this thread (call it from a task; from another "
                    "thread use run_coroutine_threadsafe)");
    return *loop;
}

} // namespace detail

/// Runs f(args...) on ex (nullptr: the default oneTBB executor of the
/// calling worker's NUMA node) and returns a coro awaiting its result.
/// Inside a task (or a callback) on a loop only.
template <class F, class... Args>
auto run_in_executor(executor* ex, F&& f, Args&&... args) {
    event_loop& loop = detail::loop_for_executor_call("run_in_executor()");
    executor& target = ex ? *ex : detail::default_tbb_executor(loop, "run_in_executor()");
    return detail::call_on_executor(target,
                                    detail::bind_executor_call(std::forward<F>(f), std::forward<Args>(args)...));
}

template <class F, class... Args>
auto run_in_executor(executor& ex, F&& f, Args&&... args) {
    return run_in_executor(&ex, std::forward<F>(f), std::forward<Args>(args)...);
}

template <class F, class... Args>
auto event_loop::run_in_executor(executor* ex, F&& f, Args&&... args) {
    check_open("run_in_executor");
    executor& target = ex ? *ex : detail::default_tbb_executor(*this, "loop.run_in_executor()");
    return detail::call_on_executor(target,
                                    detail::bind_executor_call(std::forward<F>(f), std::forward<Args>(args)...));
}

/// Runs the blocking call f(args...) on the runtime's default thread pool
/// (asyncio.to_thread) and returns a coro awaiting its result.
template <class F, class... Args>
auto to_thread(F&& f, Args&&... args) {
    event_loop& loop = detail::loop_for_executor_call("to_thread()");
    executor& pool = detail::default_thread_pool(loop, "to_thread()");
    return detail::call_on_executor(pool,
                                    detail::bind_executor_call(std::forward<F>(f), std::forward<Args>(args)...));
}

} // namespace weft
