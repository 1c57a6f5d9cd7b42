// weft::executor: somewhere to run a function away from the event loops.
//
// run_in_executor(ex, f, args...) hands ex a job that calls f and completes
// a future; the awaiting task is woken on its loop when the future is set.
// The scheduler defines the interface and the thread pool for blocking calls
// (thread_pool_executor); weft::executors adds oneTBB arenas (tbb_executor).
#pragma once

#include <weft/scheduler/detail/unique_function.hpp>

#include <string>

namespace weft {

class executor {
public:
    executor() = default;
    executor(const executor&) = delete;
    executor& operator=(const executor&) = delete;
    virtual ~executor() = default;

    /// Runs job exactly once, later, on a thread of this executor (never
    /// inline in the caller). job must not throw. Throws weft::error naming
    /// the executor if it takes no more work (after its shutdown).
    virtual void execute(detail::unique_function<void()> job) = 0;

    /// The executor's kind and name, for messages.
    virtual std::string describe() const = 0;
};

} // namespace weft
