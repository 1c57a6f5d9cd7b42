// The workers of a runtime: one thread each, each driving its own
// event_loop, sharing task steps through work stealing.
//
// A worker owns:
//   - deque_: a bounded Chase–Lev deque of stealable task steps (owner at the
//     bottom, thieves at the top; see work_deque.hpp);
//   - lifo_: the task woken by the step that just ran, run next (message
//     passing stays on one core) and never stolen; after lifo_cap
//     consecutive LIFO runs the next one waits for the loop's next tick;
//   - batch_: what the current step (or callback, or timer pass) made ready,
//     moved to lifo_ or the deque when it ends. The batch is pushed in
//     reverse so the deque pops it in the order it was made ready: siblings
//     start in creation order, as in asyncio, while newer work runs before
//     older work (depth first, bounded memory for fork-join);
//   - its event_loop: the loop-bound call_soon FIFO (never stolen), timers,
//     the inbox for other threads, and the park/wake condition.
// The pool owns the injection queue (FIFO, spinlock: overflow, and
// steps scheduled from threads that are not workers of this pool) and the
// idle protocol.
//
// Idle protocol. A worker with no work may search (steal) if fewer than half
// of the workers are searching; otherwise, or when the search fails, it
// parks: it registers as a sleeper, then (seq_cst fence) checks every queue
// once more before waiting. Whoever makes stealable work available pushes it
// first, then (seq_cst fence) wakes one sleeper unless a worker is already
// searching. Either the parking worker sees the work or the notifier sees the
// sleeper. A searcher that finds work and was the last one searching wakes
// another sleeper, so parallelism ramps up one worker at a time.
#pragma once

#include <weft/scheduler/detail/runnable.hpp>
#include <weft/scheduler/detail/spinlock.hpp>
#include <weft/scheduler/detail/work_deque.hpp>
#include <weft/scheduler/event_loop.hpp>
#include <weft/scheduler/runtime.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace weft::detail {

class worker_pool;
class trace_buffer;

/// A counter written by its worker only and read by anyone (metrics).
class owner_counter {
public:
    void bump(std::uint64_t n = 1) noexcept {
        // Relaxed load + store: one writer, so no read-modify-write is needed;
        // readers only want an eventually current value.
        v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> v_{0};
};

class worker {
public:
    worker(worker_pool& pool, unsigned index, event_loop& loop, std::size_t capacity,
           std::uint64_t seed);

    /// The worker running on this thread, or null.
    static worker* current() noexcept;

    /// The worker's main loop; returns when its loop is asked to stop.
    void run();

    /// Queues a stealable task step made ready on this worker's thread.
    void push_ready(runnable* r) noexcept { batch_.push(r); }
    /// Moves the batch to the LIFO slot or the deque. Owner thread.
    void flush_batch() noexcept;
    void count_step() noexcept { polled_.bump(); }

    /// Takes up to half of this worker's deque into thief's. Any thread.
    std::size_t steal_into(worker& thief) noexcept;
    /// True if the deque, LIFO slot or batch may hold work (a parking check).
    bool maybe_has_stealable() const noexcept { return !deque_.empty(); }

    /// Drops every queued step without running it (after the threads joined).
    void discard_queued() noexcept;

    unsigned index() const noexcept { return index_; }
    event_loop& loop() noexcept { return loop_; }
    worker_pool& pool() noexcept { return pool_; }
    worker_metrics metrics() const;
    std::vector<unsigned> steal_order;
    trace_buffer* trace = nullptr;

private:
    runnable* next_task() noexcept;
    runnable* steal_work() noexcept;
    /// From the injection queue: one step to run and a share moved to the deque.
    runnable* take_injected() noexcept;
    void run_step(runnable* r) noexcept;
    /// Runs one pass of loop-bound work: inbox, timers, call_soon FIFO.
    /// Returns how many items ran.
    std::size_t run_loop_bound() ;
    void park();
    /// Every options().io_poll_interval steps: polls the loop's I/O driver
    /// without blocking, so readiness is seen while work is queued.
    void poll_io_while_busy();
    std::uint64_t random() noexcept;

    worker_pool& pool_;
    const unsigned index_;
    event_loop& loop_;
    work_deque deque_;
    runnable* lifo_ = nullptr;
    unsigned lifo_streak_ = 0;
    runnable_fifo batch_;
    /// Steps left before the next look at the injection queue ahead of the
    /// deque (options().global_queue_interval), so injected work is not starved.
    unsigned until_injection_look_ = 1;
    /// Steps left before the next non-blocking poll of the I/O driver.
    unsigned until_io_poll_ = 1;
    std::uint64_t rng_;
    bool searching_ = false;

    owner_counter polled_, steals_, stolen_items_, steal_attempts_, lifo_hits_, parks_, wakes_,
        injection_pulls_, overflows_;
};

class worker_pool {
public:
    /// Binds one worker to each loop; steal_orders[i] lists the victims of
    /// worker i, nearest first.
    worker_pool(const runtime_options& opts, std::vector<event_loop*> loops,
                std::vector<std::vector<unsigned>> steal_orders, std::uint64_t seed, bool chaos);
    ~worker_pool();

    std::size_t size() const noexcept { return workers_.size(); }
    worker& at(std::size_t i) noexcept { return *workers_[i]; }

    /// Queues a stealable step from any thread and wakes a worker for it.
    void inject(runnable* r) noexcept;
    /// Queues a whole list (overflow) and wakes a worker.
    void inject_all(runnable_fifo& list) noexcept;
    /// The oldest injected step, plus up to max_extra more (a fair share)
    /// appended to `extra`, under one lock.
    runnable* pop_injected(runnable_fifo& extra, std::size_t max_extra) noexcept;
    bool injection_empty() const noexcept {
        // Relaxed: a hint; pop_injected() takes the lock.
        return injected_size_.load(std::memory_order_relaxed) == 0;
    }

    /// After making stealable work available: wakes one parked worker unless
    /// one is searching already.
    void notify_one() noexcept;
    /// Searching accounting: at most half of the workers at once.
    bool try_begin_search() noexcept;
    /// Returns true when the caller was the last searcher.
    bool end_search() noexcept;
    /// Parking: register, then check, then wait (see the header comment).
    void add_sleeper(unsigned index);
    /// False if the worker was already taken off the list by a notifier.
    bool remove_sleeper(unsigned index);
    bool any_stealable_work() const noexcept;

    const runtime_options& options() const noexcept { return opts_; }
    bool chaos() const noexcept { return chaos_; }
    /// Drops every queued step of every worker and the injection queue.
    void discard_queued() noexcept;
    std::vector<worker_metrics> metrics() const;
    /// Waits until no inject() / inject_all() call is still running (they
    /// may come from threads outside the runtime, and touch the pool and
    /// the loops after the step they queued already ran). Shutdown calls it
    /// before the pool and the loops go.
    void wait_for_injectors() const noexcept;

private:
    /// Counts inject() / inject_all() calls in progress.
    struct injector_guard {
        const worker_pool& p;
        explicit injector_guard(const worker_pool& pool) noexcept : p(pool) {
            // Relaxed: the queued step is published after this (the inject
            // lock), and shutdown can only begin waiting after that step ran.
            p.injectors_.fetch_add(1, std::memory_order_relaxed);
        }
        ~injector_guard() {
            // Release: pairs with the acquire load in wait_for_injectors(), so
            // everything this call touched happens before the pool goes.
            p.injectors_.fetch_sub(1, std::memory_order_release);
        }
    };
    mutable std::atomic<unsigned> injectors_{0};

    runtime_options opts_;
    std::vector<std::unique_ptr<worker>> workers_;
    bool chaos_ = false;

    mutable spinlock inject_lock_;
    runnable_fifo injected_;
    std::atomic<std::size_t> injected_size_{0};

    std::atomic<unsigned> searching_{0};
    std::atomic<unsigned> sleeping_count_{0};
    std::mutex sleepers_mutex_;
    std::vector<unsigned> sleepers_;
};

/// event_loop::run_forever of a worker loop.
void worker_run(worker& w);
/// After the loop ran an item of its FIFO on the worker's thread.
inline void worker_flush(worker& w) noexcept { w.flush_batch(); }
/// A task step ran from the loop's FIFO (non-stealable or loop-bound).
inline void worker_count_step(worker& w) noexcept { w.count_step(); }

} // namespace weft::detail
