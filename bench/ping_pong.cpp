// ping-pong through weft::future pairs, 100k round trips (see
// workloads/ping_pong.cpp); weft only. ns_per_round_trip = time / rounds.
#include "bench_util.hpp"

namespace {

using weft_bench::sizes;

void bm_ping_pong_weft(benchmark::State& state, sizes s) {
    weft_bench::time_weft(state, 2 * s.ping_pong_rounds, [n = s.ping_pong_rounds](weft::runtime& rt) {
        return weft_bench::ping_pong_weft(rt, n);
    });
    weft_bench::report_items(state, s.ping_pong_rounds, "ns_per_round_trip");
}

void register_ping_pong(const sizes& s) {
    weft_bench::weft_benchmark("pingpong" + weft_bench::short_count(s.ping_pong_rounds),
                               bm_ping_pong_weft, s);
}

WEFT_BENCH_REGISTRATION(register_ping_pong);

} // namespace
