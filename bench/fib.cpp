// fib(30) without a cutoff: weft gather vs oneTBB task_group (two spawned
// tasks per internal node on both sides; see workloads/fib.cpp), plus weft's
// one-task-per-node variant. Items = tasks spawned; ns_per_task = time / items.
#include "bench_util.hpp"

namespace {

using weft_bench::sizes;

void bm_fib_weft(benchmark::State& state, sizes s) {
    weft_bench::time_weft(state, weft_bench::expected_fib(s.fib_n),
                          [n = s.fib_n](weft::runtime& rt) { return weft_bench::fib_weft(rt, n); });
    weft_bench::report_items(state, weft_bench::fib_tasks(s.fib_n), "ns_per_task");
}

void bm_fib_weft_spawn1(benchmark::State& state, sizes s) {
    weft_bench::time_weft(state, weft_bench::expected_fib(s.fib_n), [n = s.fib_n](weft::runtime& rt) {
        return weft_bench::fib_weft_spawn1(rt, n);
    });
    weft_bench::report_items(state, weft_bench::fib_tasks(s.fib_n) / 2, "ns_per_task");
}

void bm_fib_tbb(benchmark::State& state, sizes s) {
    weft_bench::time_tbb(state, weft_bench::expected_fib(s.fib_n),
                         [n = s.fib_n](tbb::task_arena& a) { return weft_bench::fib_tbb(a, n); });
    weft_bench::report_items(state, weft_bench::fib_tasks(s.fib_n), "ns_per_task");
}

void register_fib(const sizes& s) {
    const std::string name = "fib" + std::to_string(s.fib_n);
    weft_bench::weft_benchmark(name, bm_fib_weft, s);
    weft_bench::tbb_benchmark(name, bm_fib_tbb, s);
    // No oneTBB twin: TBB's equivalent (run + run_and_wait) spawns one task
    // per node too, but its inline child never suspends; kept for weft's trend.
    weft_bench::weft_benchmark(name + "-spawn1", bm_fib_weft_spawn1, s);
}

WEFT_BENCH_REGISTRATION(register_fib);

} // namespace
