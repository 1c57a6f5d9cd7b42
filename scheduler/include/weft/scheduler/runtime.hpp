// weft::runtime and weft::run: asyncio.Runner and asyncio.run.
//
// A runtime owns its workers: one thread per worker, each running its own
// event_loop, pinned and ordered for stealing by a plan (topology.hpp).
// run() submits the main coroutine to the first worker and blocks the calling
// thread until it completes. create_task() queues on the current worker;
// idle workers steal stealable tasks from the others, so a task may resume on
// any worker at a suspension point (get_running_loop() names the worker
// running it). submit() / run_coroutine_threadsafe() feed any worker from any
// thread. WEFT_TRACE=file.json writes a Chrome trace of the workers'
// activity when the runtime shuts down.
//
// Shutdown (the destructor, and the end of weft::run): every task still
// pending on any worker is cancelled and awaited, in rounds, until no task is
// left (tasks created during shutdown are cancelled in the next round); then
// the loops stop, the threads are joined and the loops are closed.
#pragma once

#include <weft/scheduler/concurrent_future.hpp>
#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/event_loop.hpp>
#include <weft/scheduler/io_backend.hpp>
#include <weft/scheduler/pinning.hpp>
#include <weft/scheduler/topology.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace weft {

struct runtime_options {
    /// Number of workers; 0 means the WEFT_WORKERS environment variable if
    /// set, else one per allowed core.
    unsigned workers = 0;
    /// Thread pinning; the WEFT_PIN environment variable overrides it
    /// ("none", "compact", "scatter", "numa" or a list such as "0,2,4").
    weft::pinning pinning{};
    /// Steal from nearby workers first (same cache, then same NUMA node).
    bool numa_aware_stealing = true;
    /// The reactor each worker blocks in once a task of it uses I/O;
    /// WEFT_IO_BACKEND ("epoll" or "io_uring") overrides it.
    weft::io_backend io_backend = weft::io_backend::automatic;
    /// Debug mode (also enabled by WEFT_DEBUG=1): reports never-awaited
    /// coroutines and slow callbacks.
    bool debug = false;
    std::chrono::nanoseconds slow_callback_duration = std::chrono::milliseconds(100);
    /// Capacity of each worker's local run queue.
    std::size_t local_queue_capacity = 256;
    /// Every this many ticks a worker looks at the shared injection queue first.
    unsigned global_queue_interval = 61;
    /// Every this many task steps a busy worker polls its reactor without
    /// blocking, so I/O readiness is seen while it has work queued.
    unsigned io_poll_interval = 61;
    /// How long the runtime's shutdown waits for each default executor (the
    /// oneTBB arenas of run_in_executor(nullptr, ...), the thread pool of
    /// to_thread and getaddrinfo) to finish what it was given. Calls still
    /// running then are reported on stderr and left to finish on their own.
    std::chrono::milliseconds executor_shutdown_timeout = std::chrono::seconds(10);
};

namespace detail {
class worker_pool;
class trace_buffer;
} // namespace detail

/// What one worker did since the runtime started (runtime::metrics()).
/// Counters are read without stopping the worker: each is exact, the set is
/// not a single snapshot.
struct worker_metrics {
    unsigned worker = 0;
    std::uint64_t tasks_polled = 0;     ///< task steps run
    std::uint64_t steals = 0;           ///< successful steal operations
    std::uint64_t stolen_tasks = 0;     ///< tasks taken by those steals
    std::uint64_t steal_attempts = 0;   ///< searches started
    std::uint64_t lifo_hits = 0;        ///< steps taken from the LIFO slot
    std::uint64_t parks = 0;            ///< times the worker went to sleep
    std::uint64_t wakes = 0;            ///< times it woke up again
    std::uint64_t injection_pulls = 0;  ///< steps taken from the shared injection queue
    std::uint64_t overflows = 0;        ///< batches that overflowed the local queue
    std::size_t queue_depth = 0;        ///< tasks in its local queue now
};

class runtime {
public:
    explicit runtime(runtime_options opts = {});
    /// Shuts down: see the header comment.
    ~runtime();
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;

    /// Runs c to completion on the first worker and returns its value or
    /// rethrows its exception. Must be called from a thread that is not
    /// running an event loop (throws weft::error otherwise).
    template <class T>
    T run(coro<T> c) {
        if (detail::running_loop())
            throw error("runtime::run(): called from a thread running an event loop; "
                        "co_await the coroutine instead");
        return submit_to(0, std::move(c)).result();
    }

    /// Schedules c on a worker (round robin) from any thread.
    template <class T>
    concurrent_future<T> submit(coro<T> c) {
        return submit_to(next_worker_.fetch_add(1, std::memory_order_relaxed) % loops_.size(),
                         std::move(c));
    }

    /// Number of workers.
    std::size_t workers() const noexcept { return loops_.size(); }
    /// Where each worker is pinned and whom it steals from, as decided at
    /// start (print plan().describe() to see it).
    const worker_plan& plan() const noexcept { return plan_; }
    /// Per-worker counters (see worker_metrics).
    std::vector<worker_metrics> metrics() const;
    /// The loop of worker i.
    event_loop& loop(std::size_t i) { return *loops_.at(i); }
    const runtime_options& options() const noexcept { return opts_; }
    /// Cancels every pending task, waits for them, stops and joins the
    /// workers. Idempotent; the destructor calls it.
    void shutdown() noexcept;

private:
    template <class T>
    concurrent_future<T> submit_to(std::size_t i, coro<T> c) {
        if (closed_.load(std::memory_order_acquire)) throw error("runtime::submit(): the runtime is shut down");
        return run_coroutine_threadsafe(std::move(c), *loops_[i]);
    }
    void start_workers();
    void cancel_round() noexcept;
    void write_trace() noexcept;

    runtime_options opts_;
    worker_plan plan_;
    // Shared with every loop (default executors); shut down before the
    // workers stop.
    std::shared_ptr<detail::loop_services> services_ = std::make_shared<detail::loop_services>();
    std::vector<std::unique_ptr<event_loop>> loops_;
    std::unique_ptr<detail::worker_pool> pool_;
    std::vector<std::unique_ptr<detail::trace_buffer>> traces_;
    std::string trace_path_;
    std::vector<std::thread> threads_;
    std::atomic<std::size_t> next_worker_{0};
    std::atomic<bool> closed_{false};
    std::mutex idle_mutex_;
    std::condition_variable idle_cv_;
};

/// Runs main on a new runtime (asyncio.run): returns its value or rethrows
/// its exception after the runtime shut down. Throws weft::error if called
/// while an event loop runs on this thread.
template <class T>
T run(coro<T> main, runtime_options opts = {}) {
    if (detail::running_loop())
        throw error("weft::run(): cannot be called while an event loop is running on this thread");
    runtime rt(std::move(opts));
    return rt.run(std::move(main));
}

/// The worker count a runtime with `requested` workers gets (0 = WEFT_WORKERS
/// or one per allowed core). Throws value_error for a malformed WEFT_WORKERS.
unsigned resolve_worker_count(unsigned requested);

} // namespace weft
