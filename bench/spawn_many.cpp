// Spawning many trivial tasks and awaiting them all.
//
// weft (BM_spawn_many_weft): one task calls weft::create_task(empty()) N
// times, keeping the handles, then co_awaits each of them. Everything runs on
// one worker (a standalone event loop), so the figure is the single-core cost
// of create + schedule + run + complete + await + free of one task, with all
// N tasks alive at once.
// Variants: the same N coros through weft::gather(std::vector<coro>), and the
// same N tasks in bursts of 1024 (create 1024, await them, repeat).
// oneTBB: tbb::task_group::run of N empty lambdas, then wait(); once in a
// one-thread arena (the like-for-like comparison with one weft worker) and
// once with TBB's default concurrency (all cores).
// Reported: ns_per_task; peak_rss_MiB (ru_maxrss after resetting the mark).
// Target (the performance issue): create_task + await <= 60 ns per task on one
// worker. RESULTS.md has the weft / oneTBB ratios.
#include "bench_util.hpp"

#include <weft/weft.hpp>

#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

namespace {

std::atomic<std::int64_t> g_ran{0};

weft::coro<void> empty_task() {
    // A relaxed increment proves every task ran, for a cost of ~1 ns.
    g_ran.fetch_add(1, std::memory_order_relaxed);
    co_return;
}

weft::coro<void> spawn_then_await_each(std::int64_t n) {
    std::vector<weft::task<void>> tasks;
    tasks.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) tasks.push_back(weft::create_task(empty_task()));
    for (auto& t : tasks) co_await t;
}

// The same N tasks in bursts of `batch` (create `batch`, await them, repeat):
// the live set stays small enough for the frame pool and the caches, which
// separates the scheduler's own per-task cost from the cost of keeping a
// million tasks alive at once.
weft::coro<void> spawn_in_batches(std::int64_t n, std::int64_t batch) {
    std::vector<weft::task<void>> tasks;
    tasks.reserve(static_cast<std::size_t>(batch));
    for (std::int64_t started = 0; started < n; started += batch) {
        const std::int64_t k = std::min(batch, n - started);
        tasks.clear();
        for (std::int64_t i = 0; i < k; ++i) tasks.push_back(weft::create_task(empty_task()));
        for (auto& t : tasks) co_await t;
    }
}

weft::coro<std::size_t> spawn_by_gather(std::int64_t n) {
    std::vector<weft::coro<void>> coros;
    coros.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) coros.push_back(empty_task());
    auto all = weft::gather(std::move(coros));
    auto results = co_await std::move(all);
    co_return results.size();
}

void finish(benchmark::State& state, std::int64_t n, double rss_base, bool reset_ok) {
    state.counters["ns_per_task"] = weft_bench::per_item_time(static_cast<double>(n));
    state.SetItemsProcessed(state.iterations() * n);
    weft_bench::report_peak_rss(state, rss_base, reset_ok);
}

void BM_spawn_many_weft(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    auto loop = weft::new_event_loop();
    const bool reset_ok = weft_bench::reset_peak_rss();
    const double rss_base = weft_bench::current_rss_mib();
    for (auto _ : state) {
        g_ran.store(0, std::memory_order_relaxed);
        loop->run_until_complete(spawn_then_await_each(n));
        if (g_ran.load(std::memory_order_relaxed) != n) {
            state.SkipWithError("not every task ran");
            break;
        }
    }
    finish(state, n, rss_base, reset_ok);
}

void BM_spawn_many_weft_gather(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    auto loop = weft::new_event_loop();
    const bool reset_ok = weft_bench::reset_peak_rss();
    const double rss_base = weft_bench::current_rss_mib();
    for (auto _ : state) {
        g_ran.store(0, std::memory_order_relaxed);
        std::size_t got = loop->run_until_complete(spawn_by_gather(n));
        if (got != static_cast<std::size_t>(n) || g_ran.load(std::memory_order_relaxed) != n) {
            state.SkipWithError("gather did not return every result");
            break;
        }
    }
    finish(state, n, rss_base, reset_ok);
}

void BM_spawn_many_weft_batched(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const std::int64_t batch = state.range(1);
    auto loop = weft::new_event_loop();
    const bool reset_ok = weft_bench::reset_peak_rss();
    const double rss_base = weft_bench::current_rss_mib();
    for (auto _ : state) {
        g_ran.store(0, std::memory_order_relaxed);
        loop->run_until_complete(spawn_in_batches(n, batch));
        if (g_ran.load(std::memory_order_relaxed) != n) {
            state.SkipWithError("not every task ran");
            break;
        }
    }
    finish(state, n, rss_base, reset_ok);
}

void tbb_spawn(std::int64_t n) {
    tbb::task_group tg;
    for (std::int64_t i = 0; i < n; ++i)
        tg.run([] { g_ran.fetch_add(1, std::memory_order_relaxed); });
    tg.wait();
}

void BM_spawn_many_tbb(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const int threads = static_cast<int>(state.range(1));  // 0: TBB's default
    tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
    arena.initialize();
    const bool reset_ok = weft_bench::reset_peak_rss();
    const double rss_base = weft_bench::current_rss_mib();
    for (auto _ : state) {
        g_ran.store(0, std::memory_order_relaxed);
        arena.execute([n] { tbb_spawn(n); });
        if (g_ran.load(std::memory_order_relaxed) != n) {
            state.SkipWithError("not every TBB task ran");
            break;
        }
    }
    state.counters["tbb_threads"] = arena.max_concurrency();
    finish(state, n, rss_base, reset_ok);
}

constexpr std::int64_t tasks_per_iteration = 1'000'000;

} // namespace

BENCHMARK(BM_spawn_many_weft)
    ->ArgName("tasks")
    ->Arg(tasks_per_iteration)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_spawn_many_weft_gather)
    ->ArgName("tasks")
    ->Arg(tasks_per_iteration)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// Args: {tasks, batch}: the same million tasks, at most `batch` alive at once.
BENCHMARK(BM_spawn_many_weft_batched)
    ->ArgNames({"tasks", "batch"})
    ->Args({tasks_per_iteration, 1024})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// Args: {tasks, arena threads}; 1 = one thread (like one weft worker), 0 = all cores.
BENCHMARK(BM_spawn_many_tbb)
    ->ArgNames({"tasks", "threads"})
    ->Args({tasks_per_iteration, 1})
    ->Args({tasks_per_iteration, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
