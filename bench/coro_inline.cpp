// Inline co_await of a trivial weft::coro<int>.
//
// One task runs a loop of N `co_await trivial(i)`; each await allocates the
// callee's frame (from the per-thread frame pool), transfers into it
// symmetrically, returns a value and frees the frame. No scheduling happens.
// Reported: ns_per_await (wall time of the whole loop / N).
// Target (the performance issue): <= 5 ns per await.
#include "bench_util.hpp"

#include <weft/weft.hpp>

#include <cstdint>

namespace {

weft::coro<int> trivial(int x) { co_return x + 1; }

weft::coro<std::int64_t> await_loop(std::int64_t n) {
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        int v = co_await trivial(static_cast<int>(i & 0xffff));
        sum += v;
    }
    co_return sum;
}

std::int64_t expected_sum(std::int64_t n) {
    std::int64_t s = 0;
    for (std::int64_t i = 0; i < n; ++i) s += (i & 0xffff) + 1;
    return s;
}

void BM_coro_inline_await(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const std::int64_t want = expected_sum(n);
    auto loop = weft::new_event_loop();
    for (auto _ : state) {
        std::int64_t got = loop->run_until_complete(await_loop(n));
        if (got != want) {
            state.SkipWithError("wrong sum from the awaited coroutines");
            break;
        }
        benchmark::DoNotOptimize(got);
    }
    state.counters["ns_per_await"] = weft_bench::per_item_time(static_cast<double>(n));
    state.SetItemsProcessed(state.iterations() * n);
}

} // namespace

// N awaits per iteration; the per-iteration run_until_complete overhead
// (a task, a done-callback, a loop start) is amortised over N.
BENCHMARK(BM_coro_inline_await)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();
