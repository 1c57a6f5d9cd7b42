// Cross-thread submission: a plain thread (not a worker) hands work to a
// weft::runtime, against the oneTBB way of doing the same from outside an
// arena (task_arena::enqueue). The arena has N threads and no slot reserved
// for external threads, like the runtime's N workers with the submitting
// thread outside.
//
//   xthread_post<n>/weft       call_soon_threadsafe of a plain function, n
//                              times, round robin over the workers' loops;
//                              then wait until all have run (a std::latch)
//   xthread_post<n>/tbb        task_arena::enqueue of the same function
//   xthread_submit<n>/weft     run_coroutine_threadsafe (runtime::submit) of
//                              n coroutines, then the sum of their results
//                              through the concurrent_futures
//   xthread_submit<n>/tbb      enqueue n functions, each setting a
//                              std::promise, then the sum through the futures
//   xthread_roundtrip<m>/weft  submit one coroutine and wait for its result,
//                              m times in a row: the latency of waking a
//                              parked worker and hearing back
//   xthread_roundtrip<m>/tbb   enqueue + std::promise, one at a time
//
// n is a tenth of spawn's task count, m a tenth of ping-pong's rounds.
// Reported: ns_per_call = wall time / calls.
#include "bench_util.hpp"

#include <oneapi/tbb/task_arena.h>

#include <cstdint>
#include <future>
#include <latch>
#include <vector>

namespace {

using weft_bench::sizes;

std::int64_t post_count(const sizes& s) { return s.spawn_tasks / 10; }
std::int64_t round_trips(const sizes& s) { return s.ping_pong_rounds / 10; }

weft::coro<std::int64_t> one() { co_return 1; }

void count_down(std::latch* done) noexcept { done->count_down(); }

std::int64_t post_weft(weft::runtime& rt, std::int64_t n) {
    std::latch done(n);
    const std::size_t loops = rt.workers();
    for (std::int64_t i = 0; i < n; ++i)
        rt.loop(static_cast<std::size_t>(i) % loops).call_soon_threadsafe(count_down, &done);
    done.wait();
    return n;
}

std::int64_t post_tbb(tbb::task_arena& arena, std::int64_t n) {
    std::latch done(n);
    for (std::int64_t i = 0; i < n; ++i) arena.enqueue([&done] { done.count_down(); });
    done.wait();
    return n;
}

std::int64_t submit_weft(weft::runtime& rt, std::int64_t n) {
    std::vector<weft::concurrent_future<std::int64_t>> fs;
    fs.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) fs.push_back(rt.submit(one()));
    std::int64_t sum = 0;
    for (auto& f : fs) sum += f.result();
    return sum;
}

std::int64_t submit_tbb(tbb::task_arena& arena, std::int64_t n) {
    std::vector<std::promise<std::int64_t>> ps(static_cast<std::size_t>(n));
    std::vector<std::future<std::int64_t>> fs;
    fs.reserve(ps.size());
    for (auto& p : ps) {
        fs.push_back(p.get_future());
        std::promise<std::int64_t>* pp = &p;
        arena.enqueue([pp] { pp->set_value(1); });
    }
    std::int64_t sum = 0;
    for (auto& f : fs) sum += f.get();
    return sum;
}

std::int64_t round_trip_weft(weft::runtime& rt, std::int64_t m) {
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < m; ++i) sum += rt.submit(one()).result();
    return sum;
}

std::int64_t round_trip_tbb(tbb::task_arena& arena, std::int64_t m) {
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < m; ++i) {
        std::promise<std::int64_t> p;
        std::future<std::int64_t> f = p.get_future();
        arena.enqueue([&p] { p.set_value(1); });
        sum += f.get();
    }
    return sum;
}

void bm_post_weft(benchmark::State& state, sizes s) {
    const std::int64_t n = post_count(s);
    weft_bench::time_weft(state, n, [n](weft::runtime& rt) { return post_weft(rt, n); });
    weft_bench::report_items(state, n, "ns_per_call");
}

void bm_post_tbb(benchmark::State& state, sizes s) {
    const std::int64_t n = post_count(s);
    weft_bench::time_tbb(state, n, [n](tbb::task_arena& a) { return post_tbb(a, n); }, 0);
    weft_bench::report_items(state, n, "ns_per_call");
}

void bm_submit_weft(benchmark::State& state, sizes s) {
    const std::int64_t n = post_count(s);
    weft_bench::time_weft(state, n, [n](weft::runtime& rt) { return submit_weft(rt, n); });
    weft_bench::report_items(state, n, "ns_per_call");
}

void bm_submit_tbb(benchmark::State& state, sizes s) {
    const std::int64_t n = post_count(s);
    weft_bench::time_tbb(state, n, [n](tbb::task_arena& a) { return submit_tbb(a, n); }, 0);
    weft_bench::report_items(state, n, "ns_per_call");
}

void bm_round_trip_weft(benchmark::State& state, sizes s) {
    const std::int64_t m = round_trips(s);
    weft_bench::time_weft(state, m, [m](weft::runtime& rt) { return round_trip_weft(rt, m); });
    weft_bench::report_items(state, m, "ns_per_call");
}

void bm_round_trip_tbb(benchmark::State& state, sizes s) {
    const std::int64_t m = round_trips(s);
    weft_bench::time_tbb(state, m, [m](tbb::task_arena& a) { return round_trip_tbb(a, m); }, 0);
    weft_bench::report_items(state, m, "ns_per_call");
}

void register_cross_thread(const sizes& s) {
    const std::string n = weft_bench::short_count(post_count(s));
    const std::string m = weft_bench::short_count(round_trips(s));
    weft_bench::weft_benchmark("xthread_post" + n, bm_post_weft, s);
    weft_bench::tbb_benchmark("xthread_post" + n, bm_post_tbb, s);
    weft_bench::weft_benchmark("xthread_submit" + n, bm_submit_weft, s);
    weft_bench::tbb_benchmark("xthread_submit" + n, bm_submit_tbb, s);
    weft_bench::weft_benchmark("xthread_roundtrip" + m, bm_round_trip_weft, s);
    weft_bench::tbb_benchmark("xthread_roundtrip" + m, bm_round_trip_tbb, s);
}

WEFT_BENCH_REGISTRATION(register_cross_thread);

} // namespace
