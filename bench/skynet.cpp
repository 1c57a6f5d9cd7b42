// skynet, 1M leaves, 10-ary: weft gather(vector) vs oneTBB task_group (see
// workloads/skynet.cpp). Items = tasks spawned (1,111,110 for 1M leaves).
#include "bench_util.hpp"

namespace {

using weft_bench::sizes;

void bm_skynet_weft(benchmark::State& state, sizes s) {
    weft_bench::time_weft(state, weft_bench::expected_skynet(s.skynet_leaves),
                          [n = s.skynet_leaves](weft::runtime& rt) { return weft_bench::skynet_weft(rt, n); });
    weft_bench::report_items(state, weft_bench::skynet_tasks(s.skynet_leaves), "ns_per_task");
}

void bm_skynet_tbb(benchmark::State& state, sizes s) {
    weft_bench::time_tbb(state, weft_bench::expected_skynet(s.skynet_leaves),
                         [n = s.skynet_leaves](tbb::task_arena& a) { return weft_bench::skynet_tbb(a, n); });
    weft_bench::report_items(state, weft_bench::skynet_tasks(s.skynet_leaves), "ns_per_task");
}

void register_skynet(const sizes& s) {
    const std::string name = "skynet" + weft_bench::short_count(s.skynet_leaves);
    weft_bench::weft_benchmark(name, bm_skynet_weft, s);
    weft_bench::tbb_benchmark(name, bm_skynet_tbb, s);
}

WEFT_BENCH_REGISTRATION(register_skynet);

} // namespace
