// run_in_executor against the plain oneTBB way to do the same, in the same run.
//
//   executors/round_trip/weft         one task awaits run_in_executor(&arena,
//                                     empty function) 10,000 times in a row,
//                                     on a 1- or 2-worker runtime
//   executors/round_trip/tbb_promise  one thread does task_arena::enqueue of
//                                     a function that sets a std::promise,
//                                     and waits on its future, 10,000 times
//   executors/throughput/weft         64 tasks on 2 workers, each awaiting
//                                     1,000 calls in a row (64,000 calls)
//   executors/throughput/tbb_promise  64 std::promise round trips in flight
//                                     from one thread, 1,000 rounds
//   executors/to_thread_round_trip    to_thread(empty function), 10,000 in a
//                                     row, default thread pool
// The arena has max_concurrency 2 and no slot reserved for external
// threads in every row. Reported: ns_per_call
// (wall time / calls) and items_per_second (calls per second).
#include "bench_util.hpp"

#include <weft/weft.hpp>

#include <oneapi/tbb/task_arena.h>

#include <cstdint>
#include <future>
#include <vector>

namespace {

constexpr std::int64_t calls = 10'000;
constexpr int lanes = 64;
constexpr std::int64_t per_lane = 1'000;

weft::runtime_options workers(unsigned n) {
    weft::runtime_options o;
    o.workers = n;
    return o;
}

weft::tbb_executor_options arena_options() {
    weft::tbb_executor_options o;
    o.max_concurrency = 2;
    o.name = "bench";
    return o;
}

int nothing() noexcept { return 1; }

weft::coro<std::int64_t> call_in_a_row(weft::tbb_executor* ex, std::int64_t n) {
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < n; ++i) sum += co_await weft::run_in_executor(ex, nothing);
    co_return sum;
}

void BM_round_trip_weft(benchmark::State& state) {
    weft::runtime rt(workers(static_cast<unsigned>(state.range(0))));
    weft::tbb_executor ex(arena_options());
    for (auto _ : state)
        if (rt.run(call_in_a_row(&ex, calls)) != calls) state.SkipWithError("lost calls");
    weft_bench::report_items(state, calls, "ns_per_call");
}

void BM_round_trip_tbb_promise(benchmark::State& state) {
    oneapi::tbb::task_arena arena(2, 0);
    for (auto _ : state) {
        std::int64_t sum = 0;
        for (std::int64_t i = 0; i < calls; ++i) {
            std::promise<int> p;
            std::future<int> f = p.get_future();
            arena.enqueue([&p] { p.set_value(nothing()); });
            sum += f.get();
        }
        if (sum != calls) state.SkipWithError("lost calls");
    }
    weft_bench::report_items(state, calls, "ns_per_call");
}

weft::coro<std::int64_t> lanes_of_calls(weft::tbb_executor* ex) {
    std::vector<weft::task<std::int64_t>> ts;
    ts.reserve(lanes);
    for (int i = 0; i < lanes; ++i) ts.push_back(weft::create_task(call_in_a_row(ex, per_lane)));
    std::int64_t sum = 0;
    for (auto& t : ts) sum += co_await t;
    co_return sum;
}

void BM_throughput_weft(benchmark::State& state) {
    weft::runtime rt(workers(2));
    weft::tbb_executor ex(arena_options());
    for (auto _ : state)
        if (rt.run(lanes_of_calls(&ex)) != lanes * per_lane) state.SkipWithError("lost calls");
    weft_bench::report_items(state, lanes * per_lane, "ns_per_call");
}

void BM_throughput_tbb_promise(benchmark::State& state) {
    oneapi::tbb::task_arena arena(2, 0);
    for (auto _ : state) {
        std::int64_t sum = 0;
        for (std::int64_t round = 0; round < per_lane; ++round) {
            std::vector<std::promise<int>> ps(lanes);
            std::vector<std::future<int>> fs;
            fs.reserve(lanes);
            for (auto& p : ps) {
                fs.push_back(p.get_future());
                std::promise<int>* pp = &p;
                arena.enqueue([pp] { pp->set_value(nothing()); });
            }
            for (auto& f : fs) sum += f.get();
        }
        if (sum != lanes * per_lane) state.SkipWithError("lost calls");
    }
    weft_bench::report_items(state, lanes * per_lane, "ns_per_call");
}

weft::coro<std::int64_t> to_thread_in_a_row(std::int64_t n) {
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < n; ++i) sum += co_await weft::to_thread(nothing);
    co_return sum;
}

void BM_to_thread_round_trip(benchmark::State& state) {
    weft::runtime rt(workers(static_cast<unsigned>(state.range(0))));
    for (auto _ : state)
        if (rt.run(to_thread_in_a_row(calls)) != calls) state.SkipWithError("lost calls");
    weft_bench::report_items(state, calls, "ns_per_call");
}

} // namespace

BENCHMARK(BM_round_trip_weft)->Name("executors/round_trip/weft")->ArgName("workers")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_round_trip_tbb_promise)->Name("executors/round_trip/tbb_promise")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_throughput_weft)->Name("executors/throughput/weft")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_throughput_tbb_promise)->Name("executors/throughput/tbb_promise")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_to_thread_round_trip)->Name("executors/to_thread_round_trip")->ArgName("workers")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
