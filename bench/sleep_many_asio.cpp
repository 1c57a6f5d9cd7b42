// Baselines for sleep_many.cpp: 100,000 waits of 10 ms on standalone Asio
// steady_timers, all on one io_context run by the calling thread (as
// sleep_many runs one event loop).
//
//   BM_sleep_many_asio            a C++20 coroutine per sleeper (co_spawn),
//                                 each awaiting its own timer: the shape of
//                                 sleep_many (a task per sleeper)
//   BM_sleep_many_asio_callbacks  a timer per sleeper with a completion
//                                 callback, no coroutines: Asio's timer
//                                 machinery alone
//
// One iteration = start the waits, run the io_context until every one has
// woken. Reported like sleep_many: wall time per iteration (manual time
// around the run), overshoot_ms = that - 10 ms.
#ifndef ASIO_STANDALONE
#define ASIO_STANDALONE
#endif
#include <asio.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <vector>

namespace {

asio::awaitable<void> sleeper(std::chrono::milliseconds d, std::int64_t* woke) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
    ++*woke;
}

void coroutines(asio::io_context& ctx, std::int64_t n, std::chrono::milliseconds d, std::int64_t* woke) {
    for (std::int64_t i = 0; i < n; ++i) asio::co_spawn(ctx, sleeper(d, woke), asio::detached);
    ctx.run();
    ctx.restart();
}

void callbacks(asio::io_context& ctx, std::int64_t n, std::chrono::milliseconds d, std::int64_t* woke) {
    std::vector<asio::steady_timer> timers;
    timers.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
        timers.emplace_back(ctx, d);
        timers.back().async_wait([woke](const std::error_code& ec) {
            if (!ec) ++*woke;
        });
    }
    ctx.run();
    ctx.restart();
}

template <void (*Run)(asio::io_context&, std::int64_t, std::chrono::milliseconds, std::int64_t*)>
void BM_sleep_many_asio(benchmark::State& state) {
    using wall = std::chrono::steady_clock;
    const std::int64_t n = state.range(0);
    const std::chrono::milliseconds d(state.range(1));
    // One thread runs it: Asio may skip the locking.
    asio::io_context ctx(1);
    double total_s = 0;
    for (auto _ : state) {
        std::int64_t woke = 0;
        const auto start = wall::now();
        Run(ctx, n, d, &woke);
        const double s = std::chrono::duration<double>(wall::now() - start).count();
        state.SetIterationTime(s);
        total_s += s;
        if (woke != n) {
            state.SkipWithError("not every sleeper woke");
            break;
        }
    }
    if (state.iterations() > 0) {
        const double mean_ms = total_s * 1e3 / static_cast<double>(state.iterations());
        state.counters["overshoot_ms"] = mean_ms - static_cast<double>(d.count());
    }
    state.counters["sleepers"] = static_cast<double>(n);
}

} // namespace

BENCHMARK_TEMPLATE(BM_sleep_many_asio, coroutines)
    ->Name("BM_sleep_many_asio")
    ->ArgNames({"tasks", "ms"})
    ->Args({100'000, 10})
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
BENCHMARK_TEMPLATE(BM_sleep_many_asio, callbacks)
    ->Name("BM_sleep_many_asio_callbacks")
    ->ArgNames({"tasks", "ms"})
    ->Args({100'000, 10})
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
