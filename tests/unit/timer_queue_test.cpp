// weft::detail::timer_queue: the in-order lane plus the heap, checked against
// an ordered std::set model of (deadline, insertion number).
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace {

using weft::detail::timer_node;
using weft::detail::timer_queue;
using tp = std::chrono::steady_clock::time_point;

tp at(std::int64_t ns) { return tp(std::chrono::nanoseconds(ns)); }

/// Random push / pop / remove; `in_order_percent` of pushes use a deadline
/// at or after every earlier one (the lane's case), the rest anything.
void run_against_model(std::uint32_t seed, int in_order_percent) {
    SCOPED_TRACE("seed " + std::to_string(seed) + ", in-order pushes " +
                 std::to_string(in_order_percent) + "%");
    std::mt19937 rng(seed);
    std::vector<timer_node> nodes(300);
    std::set<std::tuple<std::int64_t, std::uint64_t, std::size_t>> model;
    std::vector<std::uint64_t> seq_of(nodes.size());
    std::uint64_t seq = 0;
    std::int64_t latest = 0;
    timer_queue q;
    auto pick = [&](bool want_queued) -> std::ptrdiff_t {
        for (int tries = 0; tries < 1000; ++tries) {
            std::size_t i = rng() % nodes.size();
            if (nodes[i].queued() == want_queued) return static_cast<std::ptrdiff_t>(i);
        }
        return -1;
    };
    for (int step = 0; step < 20000; ++step) {
        const unsigned op = rng() % 10;
        if (op < 5) {
            std::ptrdiff_t i = pick(false);
            if (i < 0) continue;
            std::int64_t when;
            if (static_cast<int>(rng() % 100) < in_order_percent)
                when = latest + static_cast<std::int64_t>(rng() % 3);  // ties are frequent
            else
                when = static_cast<std::int64_t>(rng() % static_cast<std::uint32_t>(latest + 10));
            latest = std::max(latest, when);
            nodes[i].when = at(when);
            q.push(&nodes[i]);
            seq_of[i] = seq;
            model.emplace(when, seq++, i);
        } else if (op < 8) {
            if (model.empty()) {
                ASSERT_TRUE(q.empty());
                continue;
            }
            auto expected = *model.begin();
            model.erase(model.begin());
            timer_node* got = q.pop();
            ASSERT_EQ(got, &nodes[std::get<2>(expected)]) << "step " << step;
            ASSERT_FALSE(got->queued());
        } else {
            std::ptrdiff_t i = pick(true);
            if (i < 0) continue;
            model.erase({nodes[i].when.time_since_epoch().count(), seq_of[i], static_cast<std::size_t>(i)});
            q.remove(&nodes[i]);
            ASSERT_FALSE(nodes[i].queued());
        }
        ASSERT_EQ(q.size(), model.size()) << "step " << step;
        if (!model.empty()) {
            ASSERT_EQ(q.top(), &nodes[std::get<2>(*model.begin())]) << "step " << step;
            ASSERT_EQ(q.next_deadline(), at(std::get<0>(*model.begin())));
        }
    }
    q.clear();
    EXPECT_TRUE(q.empty());
    for (auto& n : nodes) EXPECT_FALSE(n.queued());
}

TEST(TimerQueue, MatchesTheModelMostlyInOrder) { run_against_model(12345, 90); }
TEST(TimerQueue, MatchesTheModelInAnyOrder) { run_against_model(777, 30); }
TEST(TimerQueue, MatchesTheModelWithARandomSeed) { run_against_model(std::random_device{}(), 70); }

TEST(TimerQueue, EqualDeadlinesAcrossLaneAndHeapLeaveInInsertionOrder) {
    timer_node a, b, c, d;
    a.when = at(10);
    b.when = at(20);  // lane: a, b
    c.when = at(10);  // earlier than the lane's tail: heap, after a
    d.when = at(20);  // lane again, after b
    timer_queue q;
    for (timer_node* n : {&a, &b, &c, &d}) q.push(n);
    EXPECT_EQ(q.pop(), &a);
    EXPECT_EQ(q.pop(), &c);
    EXPECT_EQ(q.pop(), &b);
    EXPECT_EQ(q.pop(), &d);
    EXPECT_TRUE(q.empty());
}

} // namespace
