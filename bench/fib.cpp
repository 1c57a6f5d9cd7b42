// Task-parallel fib(25), as in the libfork and oneTBB fib benchmarks: no
// sequential cutoff, every call with n >= 2 forks its two children.
//
// weft (gather):  co_await weft::gather(fib(n-1), fib(n-2)): two tasks and
//                 one gather frame per internal node (242,784 tasks for
//                 fib(25)).
// weft (spawn1):  the TBB shape: fib(n-1) as a task, fib(n-2) inline
//                 (co_await), then await the task (121,392 tasks).
// oneTBB:         task_group::run(fib(n-1)) + run_and_wait(fib(n-2)) — one
//                 spawned task per internal node, the other branch on the
//                 calling thread; in a one-thread arena (like one weft worker)
//                 and with TBB's default concurrency.
// Every benchmark checks fib(25) == 75025 and fails otherwise.
// Reported: time per fib(25), ns_per_task, peak_rss_MiB.
#include "bench_util.hpp"

#include <weft/weft.hpp>

#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <cstdint>

namespace {

constexpr int fib_n = 25;
constexpr std::int64_t fib_expected = 75025;

/// Internal nodes (n >= 2) of the fib(n) call tree: fib(n+1) - 1.
std::int64_t internal_nodes(int n) {
    std::int64_t a = 0, b = 1;  // fib(0), fib(1)
    for (int i = 0; i < n + 1; ++i) {
        std::int64_t c = a + b;
        a = b;
        b = c;
    }
    return a - 1;  // a == fib(n + 1)
}

weft::coro<std::int64_t> fib_gather(int n) {
    if (n < 2) co_return n;
    auto both = weft::gather(fib_gather(n - 1), fib_gather(n - 2));
    auto [x, y] = co_await std::move(both);
    co_return x + y;
}

weft::coro<std::int64_t> fib_spawn1(int n) {
    if (n < 2) co_return n;
    weft::task<std::int64_t> left = weft::create_task(fib_spawn1(n - 1));
    std::int64_t y = co_await fib_spawn1(n - 2);
    std::int64_t x = co_await left;
    co_return x + y;
}

std::int64_t fib_tbb(int n) {
    if (n < 2) return n;
    std::int64_t x = 0, y = 0;
    tbb::task_group g;
    g.run([&x, n] { x = fib_tbb(n - 1); });
    g.run_and_wait([&y, n] { y = fib_tbb(n - 2); });
    return x + y;
}

template <class Body>
void run_weft_fib(benchmark::State& state, Body body, double tasks_per_fib) {
    const int n = static_cast<int>(state.range(0));
    auto loop = weft::new_event_loop();
    const bool reset_ok = weft_bench::reset_peak_rss();
    const double rss_base = weft_bench::current_rss_mib();
    for (auto _ : state) {
        std::int64_t r = loop->run_until_complete(body(n));
        if (n == fib_n && r != fib_expected) {
            state.SkipWithError("fib(25) != 75025");
            break;
        }
        benchmark::DoNotOptimize(r);
    }
    state.counters["tasks"] = tasks_per_fib;
    state.counters["ns_per_task"] = weft_bench::per_item_time(tasks_per_fib);
    weft_bench::report_peak_rss(state, rss_base, reset_ok);
}

void BM_fib_weft_gather(benchmark::State& state) {
    run_weft_fib(state, fib_gather, 2.0 * static_cast<double>(internal_nodes(static_cast<int>(state.range(0)))));
}

void BM_fib_weft_spawn1(benchmark::State& state) {
    run_weft_fib(state, fib_spawn1, static_cast<double>(internal_nodes(static_cast<int>(state.range(0)))));
}

void BM_fib_tbb(benchmark::State& state) {
    const int n = static_cast<int>(state.range(0));
    const int threads = static_cast<int>(state.range(1));  // 0: TBB's default
    tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
    arena.initialize();
    const bool reset_ok = weft_bench::reset_peak_rss();
    const double rss_base = weft_bench::current_rss_mib();
    for (auto _ : state) {
        std::int64_t r = 0;
        arena.execute([&r, n] { r = fib_tbb(n); });
        if (n == fib_n && r != fib_expected) {
            state.SkipWithError("fib(25) != 75025");
            break;
        }
        benchmark::DoNotOptimize(r);
    }
    const double tasks = static_cast<double>(internal_nodes(n));
    state.counters["tbb_threads"] = arena.max_concurrency();
    state.counters["tasks"] = tasks;
    state.counters["ns_per_task"] = weft_bench::per_item_time(tasks);
    weft_bench::report_peak_rss(state, rss_base, reset_ok);
}

} // namespace

BENCHMARK(BM_fib_weft_gather)->ArgName("n")->Arg(fib_n)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_fib_weft_spawn1)->ArgName("n")->Arg(fib_n)->Unit(benchmark::kMillisecond)->UseRealTime();
// Args: {n, arena threads}; 1 = one thread (like one weft worker), 0 = all cores.
BENCHMARK(BM_fib_tbb)
    ->ArgNames({"n", "threads"})
    ->Args({fib_n, 1})
    ->Args({fib_n, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
