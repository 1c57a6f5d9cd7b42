#include <weft/errors.hpp>
#include <weft/executors/tbb_executor.hpp>

#include "tbb_support.hpp"

#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace weft {

/// The arena and the job counters, owned by the executor; jobs use them
/// through a raw pointer (see execute()).
///
/// Invariant: pending counts jobs enqueued and not finished; it changes
/// only under m, so that shutdown(), waiting on done_cv under m, sees every
/// finish and no job touches the state after its decrement's unlock.
struct tbb_executor::state {
    // No slot reserved for external threads: weft only ever enqueues, so
    // every slot of max_concurrency is for oneTBB's workers.
    explicit state(oneapi::tbb::task_arena::constraints c, oneapi::tbb::task_arena::priority p)
        : arena(c, 0, p) {}

    std::shared_ptr<void> allowance = detail::tbb_worker_allowance();
    oneapi::tbb::task_arena arena;
    mutable std::mutex m;
    std::condition_variable done_cv;
    std::size_t pending = 0;
    bool stopping = false;
    // Mirrors pending for pending(), read without the lock. Relaxed stores
    // (under m) and a relaxed load: a statistic, it orders nothing and pairs
    // with no other operation; shutdown() reads pending itself, under m.
    std::atomic<std::size_t> pending_hint{0};
};

namespace {

oneapi::tbb::task_arena::priority to_tbb(tbb_priority p) {
    switch (p) {
    case tbb_priority::low: return oneapi::tbb::task_arena::priority::low;
    case tbb_priority::high: return oneapi::tbb::task_arena::priority::high;
    case tbb_priority::normal: break;
    }
    return oneapi::tbb::task_arena::priority::normal;
}

oneapi::tbb::task_arena::constraints constraints_for(const tbb_executor_options& o) {
    if (o.max_concurrency < 0)
        throw value_error("tbb_executor '" + o.name + "': max_concurrency must be 0 (automatic) or positive, got " +
                          std::to_string(o.max_concurrency));
    oneapi::tbb::task_arena::constraints c;
    c.set_max_concurrency(o.max_concurrency == 0 ? oneapi::tbb::task_arena::automatic : o.max_concurrency);
    if (o.numa_node >= 0) {
        const std::vector<int> nodes = detail::tbb_numa_nodes();
        if (std::find(nodes.begin(), nodes.end(), o.numa_node) == nodes.end())
            throw value_error("tbb_executor '" + o.name + "': NUMA node " + std::to_string(o.numa_node) +
                              " is not one of the nodes oneTBB reports (tbb::info::numa_nodes())");
        c.set_numa_id(o.numa_node);
    }
    return c;
}

} // namespace

tbb_executor::tbb_executor(tbb_executor_options opts)
    : opts_(std::move(opts)), s_(std::make_shared<state>(constraints_for(opts_), to_tbb(opts_.priority))) {
    s_->arena.initialize();
}

tbb_executor::~tbb_executor() {
    // Jobs still running after the bounded wait keep using the state: it is
    // left allocated for them (a leak only when work hangs).
    // After an explicit shutdown() there is no second wait.
    std::size_t left;
    {
        std::unique_lock<std::mutex> g(s_->m);
        const bool called = s_->stopping;
        left = s_->pending;
        g.unlock();
        if (!called) left = shutdown();
    }
    if (left > 0) new std::shared_ptr<state>(s_);
}

std::string tbb_executor::describe() const { return "tbb_executor '" + opts_.name + "'"; }

int tbb_executor::max_concurrency() const { return s_->arena.max_concurrency(); }

std::size_t tbb_executor::pending() const noexcept { return s_->pending_hint.load(std::memory_order_relaxed); }

namespace {

/// oneTBB's small-object pool gives a finished task's memory to the next
/// enqueue without synchronization TSan can see (the library is not
/// instrumented): the job object that lived there released its address when
/// it was destroyed, and the next one acquires it before its members are
/// written. The first base, so that it runs before the members.
struct recycled_memory_fence {
    recycled_memory_fence() noexcept { detail::tsan_acquire(this); }
    recycled_memory_fence(const recycled_memory_fence&) noexcept { detail::tsan_acquire(this); }
    recycled_memory_fence& operator=(const recycled_memory_fence&) noexcept { return *this; }
    ~recycled_memory_fence() { detail::tsan_release(this); }
};

/// One job in the arena. A raw pointer to the state: the executor keeps the
/// state until pending is 0 (or leaks it when shutdown gives up), and a job
/// must not hold the last reference, which would destroy the arena from
/// inside its own task. oneTBB calls the functor as const: the job is a
/// mutable member.
struct arena_job : recycled_memory_fence {
    arena_job(tbb_executor::state* st, detail::unique_function<void()> j) noexcept
        : s(st), job(std::move(j)) {}
    /// oneTBB moves the job into its task memory inside enqueue(): the copy
    /// there is published (released) once written, and acquired by the
    /// thread that runs it.
    arena_job(arena_job&& o) noexcept : recycled_memory_fence(o), s(o.s), job(std::move(o.job)) {
        detail::tsan_release(this);
    }

    tbb_executor::state* s;
    mutable detail::unique_function<void()> job;

    void operator()() const;
};

void arena_job::operator()() const {
    detail::tsan_acquire(const_cast<arena_job*>(this));  // pairs with the release in the move
    job();
    job = nullptr;  // its captures go before the job counts as finished
    std::lock_guard<std::mutex> g(s->m);
    --s->pending;
    s->pending_hint.store(s->pending, std::memory_order_relaxed);
    if (s->pending == 0) s->done_cv.notify_all();
}

} // namespace

void tbb_executor::execute(detail::unique_function<void()> job) {
    if (!job) throw value_error(describe() + ": execute() with an empty job");
    {
        std::lock_guard<std::mutex> g(s_->m);
        if (s_->stopping) throw error(describe() + ": execute() after shutdown()");
        ++s_->pending;
        s_->pending_hint.store(s_->pending, std::memory_order_relaxed);
    }
    arena_job run{s_.get(), std::move(job)};
    try {
        s_->arena.enqueue(std::move(run));
    } catch (...) {
        std::lock_guard<std::mutex> g(s_->m);
        --s_->pending;
        s_->pending_hint.store(s_->pending, std::memory_order_relaxed);
        throw;
    }
}

std::size_t tbb_executor::shutdown() noexcept {
    std::unique_lock<std::mutex> g(s_->m);
    s_->stopping = true;
    s_->done_cv.wait_for(g, opts_.shutdown_timeout, [&] { return s_->pending == 0; });
    return s_->pending;
}

} // namespace weft
