// ping-pong: two tasks passing a token back and forth through weft::future.
//
// Each round: A creates a fresh reply future, publishes it, completes B's
// current future with the token and awaits the reply; B wakes, installs a
// fresh future for the next round, then completes A's reply. One round trip
// = two future completions and two task wake-ups. oneTBB has no counterpart
// (its tasks cannot suspend), so this one is weft only.
#include "../workloads.hpp"

namespace weft_bench {
namespace {

struct court {
    weft::future<std::int64_t> to_b;  // what B awaits next
    weft::future<std::int64_t> to_a;  // what A awaits now
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

// The court lives in this frame, which outlives both players (it awaits them).
weft::coro<std::int64_t> match(std::int64_t rounds) {
    court c;
    auto b = weft::create_task(player_b(&c, rounds));
    auto a = weft::create_task(player_a(&c, rounds));
    std::int64_t token = co_await a;
    std::int64_t b_rounds = co_await b;
    if (b_rounds != rounds) co_return -1;
    co_return token;
}

} // namespace

std::int64_t ping_pong_weft(weft::runtime& rt, std::int64_t rounds) { return rt.run(match(rounds)); }

} // namespace weft_bench
