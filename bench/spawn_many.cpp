// spawn 1M empty tasks from one task, then await them all: weft create_task
// vs oneTBB task_group::run (see workloads/spawn.cpp); plus two weft-only
// variants kept from the earlier set (gather over a vector of 1M coros, and
// bursts of 1024). ns_per_task = time / tasks.
#include "bench_util.hpp"

namespace {

using weft_bench::sizes;

constexpr std::int64_t burst = 1024;

void bm_spawn_weft(benchmark::State& state, sizes s) {
    weft_bench::time_weft(state, s.spawn_tasks,
                          [n = s.spawn_tasks](weft::runtime& rt) { return weft_bench::spawn_weft(rt, n); });
    weft_bench::report_items(state, s.spawn_tasks, "ns_per_task");
}

void bm_spawn_weft_gather(benchmark::State& state, sizes s) {
    weft_bench::time_weft(state, s.spawn_tasks, [n = s.spawn_tasks](weft::runtime& rt) {
        return weft_bench::spawn_weft_gather(rt, n);
    });
    weft_bench::report_items(state, s.spawn_tasks, "ns_per_task");
}

void bm_spawn_weft_batched(benchmark::State& state, sizes s) {
    weft_bench::time_weft(state, s.spawn_tasks, [n = s.spawn_tasks](weft::runtime& rt) {
        return weft_bench::spawn_weft_batched(rt, n, burst);
    });
    weft_bench::report_items(state, s.spawn_tasks, "ns_per_task");
}

void bm_spawn_tbb(benchmark::State& state, sizes s) {
    weft_bench::time_tbb(state, s.spawn_tasks,
                         [n = s.spawn_tasks](tbb::task_arena& a) { return weft_bench::spawn_tbb(a, n); });
    weft_bench::report_items(state, s.spawn_tasks, "ns_per_task");
}

void register_spawn(const sizes& s) {
    const std::string name = "spawn" + weft_bench::short_count(s.spawn_tasks);
    weft_bench::weft_benchmark(name, bm_spawn_weft, s);
    weft_bench::tbb_benchmark(name, bm_spawn_tbb, s);
    weft_bench::weft_benchmark(name + "-gather", bm_spawn_weft_gather, s);
    weft_bench::weft_benchmark(name + "-burst" + std::to_string(burst), bm_spawn_weft_batched, s);
}

WEFT_BENCH_REGISTRATION(register_spawn);

} // namespace
