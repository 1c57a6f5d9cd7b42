// weft::detail::timer_heap: the 4-ary min-heap of timers with O(log n)
// removal, checked against an ordered std::set model.
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace {

using weft::detail::timer_heap;
using weft::detail::timer_node;
using tp = std::chrono::steady_clock::time_point;

tp at(std::int64_t ns) { return tp(std::chrono::nanoseconds(ns)); }

/// Every queued node's heap_index is a distinct slot below size(); every
/// other node is not_queued. Returns a description of the first violation,
/// or an empty string.
std::string index_problem(const std::vector<timer_node>& nodes, const std::vector<bool>& queued,
                          std::size_t size) {
    std::vector<bool> seen(size, false);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const std::size_t h = nodes[i].heap_index;
        if (!queued[i]) {
            if (nodes[i].queued() || h != timer_node::not_queued)
                return "node " + std::to_string(i) + " is not queued but has heap_index " + std::to_string(h);
            continue;
        }
        if (!nodes[i].queued()) return "queued node " + std::to_string(i) + " reports not queued";
        if (h >= size) return "node " + std::to_string(i) + " has heap_index " + std::to_string(h) + " >= size";
        if (seen[h]) return "two nodes share slot " + std::to_string(h);
        seen[h] = true;
    }
    return {};
}

/// One random sequence of push / pop / remove, compared with the model after
/// every step. Deadlines come from a small range so that ties are frequent.
void run_against_model(std::uint32_t seed, std::size_t node_count, int steps, std::int64_t spread) {
    SCOPED_TRACE("seed " + std::to_string(seed) + ", nodes " + std::to_string(node_count) +
                 ", deadline spread " + std::to_string(spread));
    std::mt19937 rng(seed);
    std::vector<timer_node> nodes(node_count);
    std::vector<bool> queued(node_count, false);
    // (deadline, insertion number, node): equal deadlines leave in FIFO order.
    std::set<std::tuple<std::int64_t, std::uint64_t, std::size_t>> model;
    std::vector<std::uint64_t> seq_of(node_count, 0);
    std::vector<std::int64_t> when_of(node_count, 0);
    std::uint64_t next_seq = 0;
    timer_heap heap;

    auto random_node = [&](bool want_queued) -> std::size_t {
        // Start at a random node and scan for one in the wanted state.
        std::size_t start = std::uniform_int_distribution<std::size_t>(0, node_count - 1)(rng);
        for (std::size_t k = 0; k < node_count; ++k) {
            std::size_t i = (start + k) % node_count;
            if (queued[i] == want_queued) return i;
        }
        return node_count;
    };

    for (int step = 0; step < steps; ++step) {
        const int op = std::uniform_int_distribution<int>(0, 9)(rng);
        if (op < 5) {  // push
            std::size_t i = random_node(false);
            if (i == node_count) continue;
            std::int64_t w = std::uniform_int_distribution<std::int64_t>(0, spread)(rng);
            nodes[i].when = at(w);
            heap.push(&nodes[i]);
            queued[i] = true;
            when_of[i] = w;
            seq_of[i] = next_seq++;
            model.emplace(w, seq_of[i], i);
        } else if (op < 8) {  // pop
            if (model.empty()) {
                ASSERT_TRUE(heap.empty());
                continue;
            }
            auto expected = *model.begin();
            model.erase(model.begin());
            ASSERT_EQ(heap.top(), &nodes[std::get<2>(expected)]);
            ASSERT_EQ(heap.next_deadline(), at(std::get<0>(expected)));
            timer_node* got = heap.pop();
            ASSERT_EQ(got, &nodes[std::get<2>(expected)]) << "step " << step;
            ASSERT_FALSE(got->queued());
            queued[std::get<2>(expected)] = false;
        } else {  // remove an arbitrary queued node
            std::size_t i = random_node(true);
            if (i == node_count) continue;
            model.erase({when_of[i], seq_of[i], i});
            heap.remove(&nodes[i]);
            ASSERT_FALSE(nodes[i].queued());
            queued[i] = false;
        }
        ASSERT_EQ(heap.size(), model.size()) << "step " << step;
        ASSERT_EQ(heap.empty(), model.empty()) << "step " << step;
        if (!model.empty()) {
            ASSERT_EQ(heap.top(), &nodes[std::get<2>(*model.begin())]);
            ASSERT_EQ(heap.next_deadline(), at(std::get<0>(*model.begin())));
        }
        if (step % 8 == 0 || node_count <= 64) {
            ASSERT_EQ(index_problem(nodes, queued, heap.size()), "") << "step " << step;
        }
    }
    // Drain: what is left comes out in model order.
    while (!model.empty()) {
        auto expected = *model.begin();
        model.erase(model.begin());
        ASSERT_EQ(heap.pop(), &nodes[std::get<2>(expected)]);
    }
    ASSERT_TRUE(heap.empty());
}

TEST(TimerHeap, MatchesAnOrderedSetModelOnRandomSequences) {
    for (std::uint32_t seed = 1; seed <= 8; ++seed) {
        // Few distinct deadlines (many ties), then many.
        ASSERT_NO_FATAL_FAILURE(run_against_model(seed, 64, 3000, 8));
        ASSERT_NO_FATAL_FAILURE(run_against_model(seed * 7919u, 300, 2000, 1'000'000));
    }
}

TEST(TimerHeap, MatchesTheModelWithARandomSeed) {
    // A fresh seed each run widens the coverage over time; the trace prints it.
    const std::uint32_t seed = std::random_device{}();
    ASSERT_NO_FATAL_FAILURE(run_against_model(seed, 200, 5000, 50));
}

TEST(TimerHeap, EqualDeadlinesLeaveInInsertionOrder) {
    std::vector<timer_node> nodes(100);
    timer_heap heap;
    for (auto& n : nodes) {
        n.when = at(42);
        heap.push(&n);
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        ASSERT_EQ(heap.pop(), &nodes[i]) << "pop #" << i;
    }
    EXPECT_TRUE(heap.empty());
}

TEST(TimerHeap, EqualDeadlinesStayFifoAcrossRemovalsAndReinsertion) {
    std::vector<timer_node> nodes(40);
    timer_heap heap;
    for (auto& n : nodes) {
        n.when = at(7);
        heap.push(&n);
    }
    // Remove every third node, then push node 0 back: a
    // re-pushed node goes behind all that stayed.
    std::vector<std::size_t> expected;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (i % 3 == 0)
            heap.remove(&nodes[i]);
        else
            expected.push_back(i);
    }
    heap.push(&nodes[0]);
    expected.push_back(0);
    ASSERT_EQ(heap.size(), expected.size());
    for (std::size_t k = 0; k < expected.size(); ++k) {
        ASSERT_EQ(heap.pop(), &nodes[expected[k]]) << "pop #" << k;
    }
}

TEST(TimerHeap, EarlierDeadlineWinsOverInsertionOrder) {
    timer_node late, early, middle;
    late.when = at(300);
    early.when = at(100);
    middle.when = at(200);
    timer_heap heap;
    heap.push(&late);
    heap.push(&early);
    heap.push(&middle);
    EXPECT_EQ(heap.next_deadline(), at(100));
    EXPECT_EQ(heap.pop(), &early);
    EXPECT_EQ(heap.pop(), &middle);
    EXPECT_EQ(heap.pop(), &late);
}

TEST(TimerHeap, HeapIndexTracksTheSlot) {
    std::vector<timer_node> nodes(50);
    timer_heap heap;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        EXPECT_FALSE(nodes[i].queued());
        nodes[i].when = at(static_cast<std::int64_t>((i * 37) % 50));
        heap.push(&nodes[i]);
        EXPECT_TRUE(nodes[i].queued());
    }
    std::vector<bool> queued(nodes.size(), true);
    ASSERT_EQ(index_problem(nodes, queued, heap.size()), "");
    // The top is in slot 0.
    EXPECT_EQ(heap.top()->heap_index, 0u);
    // Remove the top, a leaf and a middle node through remove().
    timer_node* top = heap.top();
    heap.remove(top);
    queued[static_cast<std::size_t>(top - nodes.data())] = false;
    EXPECT_FALSE(top->queued());
    for (std::size_t i : {std::size_t{49}, std::size_t{25}}) {
        if (!queued[i]) continue;
        heap.remove(&nodes[i]);
        queued[i] = false;
    }
    ASSERT_EQ(index_problem(nodes, queued, heap.size()), "");
    // Popping everything leaves every node not queued, in deadline order.
    std::int64_t last = -1;
    while (!heap.empty()) {
        timer_node* n = heap.pop();
        EXPECT_FALSE(n->queued());
        const auto w = n->when.time_since_epoch().count();
        EXPECT_GE(w, last);
        last = w;
    }
    for (auto& n : nodes) EXPECT_FALSE(n.queued());
}

TEST(TimerHeap, RemovingTheOnlyAndTheLastNode) {
    timer_heap heap;
    timer_node a, b;
    a.when = at(1);
    b.when = at(2);
    heap.push(&a);
    heap.remove(&a);
    EXPECT_TRUE(heap.empty());
    EXPECT_FALSE(a.queued());
    heap.push(&a);
    heap.push(&b);
    heap.remove(&b);  // the last slot
    EXPECT_EQ(heap.size(), 1u);
    EXPECT_EQ(heap.top(), &a);
    EXPECT_EQ(a.heap_index, 0u);
    EXPECT_EQ(heap.pop(), &a);
    EXPECT_TRUE(heap.empty());
}

TEST(TimerHeap, IncreasingDeadlinesComeOutInOrder) {
    std::vector<timer_node> nodes(1000);
    timer_heap heap;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        nodes[i].when = at(static_cast<std::int64_t>(i));
        heap.push(&nodes[i]);
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) ASSERT_EQ(heap.pop(), &nodes[i]);
}

TEST(TimerHeap, ClearDropsEveryNodeAndTheHeapStaysUsable) {
    std::vector<timer_node> nodes(30);
    timer_heap heap;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        nodes[i].when = at(static_cast<std::int64_t>(100 - i));
        heap.push(&nodes[i]);
    }
    heap.clear();
    EXPECT_TRUE(heap.empty());
    EXPECT_EQ(heap.size(), 0u);
    for (auto& n : nodes) EXPECT_FALSE(n.queued());
    // Reuse after clear.
    nodes[3].when = at(5);
    nodes[4].when = at(1);
    heap.push(&nodes[3]);
    heap.push(&nodes[4]);
    EXPECT_EQ(heap.size(), 2u);
    EXPECT_EQ(nodes[4].heap_index, 0u);
    EXPECT_EQ(heap.pop(), &nodes[4]);
    EXPECT_EQ(heap.pop(), &nodes[3]);
    EXPECT_TRUE(heap.empty());
}

} // namespace
