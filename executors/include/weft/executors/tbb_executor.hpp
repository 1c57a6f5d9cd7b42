// weft::tbb_executor: a oneTBB task arena as a weft executor, for CPU-bound
// work that must leave the event loops. Work handed to it may itself use
// tbb::parallel_for and friends, which then run in the same arena.
//
// The header does not include oneTBB (the arena is held behind a pointer),
// so a translation unit that only awaits run_in_executor stays light.
#pragma once

#include <weft/scheduler/executor.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace weft {

enum class tbb_priority { low, normal, high };

struct tbb_executor_options {
    /// The arena's concurrency; 0: oneTBB's default (the cores of the NUMA
    /// node when constrained to one, else of the machine).
    int max_concurrency = 0;
    /// A NUMA node id from tbb::info::numa_nodes(); -1: no constraint.
    int numa_node = -1;
    tbb_priority priority = tbb_priority::normal;
    /// How long shutdown() waits for the work still queued or running.
    std::chrono::milliseconds shutdown_timeout{10'000};
    std::string name = "tbb";
};

class tbb_executor final : public executor {
public:
    /// Throws value_error for a negative max_concurrency or a numa_node that
    /// tbb::info::numa_nodes() does not list.
    explicit tbb_executor(tbb_executor_options opts = {});
    /// shutdown(), unless it was called already. Work still running after
    /// the wait keeps the arena: it is left allocated.
    ~tbb_executor() override;

    /// Enqueues job into the arena (never blocks the caller, never runs job
    /// inline). Throws weft::error after shutdown().
    void execute(detail::unique_function<void()> job) override;
    std::string describe() const override;

    /// The arena's concurrency as oneTBB resolved it.
    int max_concurrency() const;
    const tbb_executor_options& options() const noexcept { return opts_; }
    /// Jobs handed over and not finished.
    std::size_t pending() const noexcept;

    /// Stops taking work and waits, at most shutdown_timeout, for the jobs
    /// handed over so far. Returns how many were still unfinished (0: all
    /// done). Idempotent; not from a job of this executor.
    std::size_t shutdown() noexcept;

    struct state;

private:
    tbb_executor_options opts_;
    std::shared_ptr<state> s_;
};

} // namespace weft
