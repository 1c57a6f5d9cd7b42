// Two tasks passing a token back and forth through weft::future pairs.
//
// Each round: A creates a fresh reply future, publishes it, completes B's
// current future with the token and awaits the reply; B wakes, installs a
// fresh future for the next round, then completes A's reply. One round trip
// = two future completions, two task wake-ups and two loop iterations, all
// on one worker.
// Reported: ns_per_round_trip.
#include "bench_util.hpp"

#include <weft/weft.hpp>

#include <cstdint>

namespace {

struct court {
    weft::future<std::int64_t> to_b;    // what B awaits next
    weft::future<std::int64_t> to_a;    // what A awaits now
};

weft::coro<std::int64_t> player_a(court* c, std::int64_t rounds) {
    std::int64_t token = 0;
    for (std::int64_t i = 0; i < rounds; ++i) {
        weft::future<std::int64_t> reply;
        c->to_a = reply;
        weft::future<std::int64_t> out = c->to_b;
        out.set_result(token + 1);
        token = co_await reply;
    }
    co_return token;
}

weft::coro<std::int64_t> player_b(court* c, std::int64_t rounds) {
    for (std::int64_t i = 0; i < rounds; ++i) {
        weft::future<std::int64_t> in = c->to_b;
        std::int64_t v = co_await in;
        // Install the next round's future before answering: once A runs
        // again it completes whatever c->to_b is then.
        c->to_b = weft::future<std::int64_t>();
        weft::future<std::int64_t> back = c->to_a;
        back.set_result(v + 1);
    }
    co_return rounds;
}

weft::coro<std::int64_t> match(std::int64_t rounds) {
    court c;
    auto b = weft::create_task(player_b(&c, rounds));
    auto a = weft::create_task(player_a(&c, rounds));
    std::int64_t token = co_await a;
    std::int64_t b_rounds = co_await b;
    if (b_rounds != rounds) co_return -1;
    co_return token;
}

void BM_ping_pong_future(benchmark::State& state) {
    const std::int64_t rounds = state.range(0);
    auto loop = weft::new_event_loop();
    for (auto _ : state) {
        std::int64_t token = loop->run_until_complete(match(rounds));
        if (token != 2 * rounds) {
            state.SkipWithError("the token did not make every round trip");
            break;
        }
    }
    state.counters["ns_per_round_trip"] = weft_bench::per_item_time(static_cast<double>(rounds));
    state.SetItemsProcessed(state.iterations() * rounds);
}

} // namespace

BENCHMARK(BM_ping_pong_future)
    ->ArgName("rounds")
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
