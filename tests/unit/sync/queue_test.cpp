// weft::queue, priority_queue, lifo_queue: asyncio.Queue semantics, move-only
// items, shutdown, task_done/join, cancellation safety, and producers and
// consumers on several workers with cancellations (totals conserved).
#include <weft/sync.hpp>

#include "support/combinators.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using weft_test::let_others_run;
using weft_test::on_this_loop;

namespace {

class QueueOnWorkers : public ::testing::TestWithParam<unsigned> {};
INSTANTIATE_TEST_SUITE_P(Queue, QueueOnWorkers, weft_test::worker_counts(), weft_test::workers_name);

TEST(Queue, NowaitOperationsAndSizes) {
    weft::queue<int> q(2);
    EXPECT_TRUE(q.empty());
    EXPECT_FALSE(q.full());
    q.put_nowait(1);
    q.put_nowait(2);
    EXPECT_TRUE(q.full());
    EXPECT_EQ(q.qsize(), 2u);
    EXPECT_THROW(q.put_nowait(3), weft::queue_full);
    EXPECT_EQ(q.get_nowait(), 1);
    EXPECT_EQ(q.get_nowait(), 2);
    EXPECT_THROW(q.get_nowait(), weft::queue_empty);
}

TEST(Queue, OrderOfTheThreeKinds) {
    weft::priority_queue<int> pq;
    weft::lifo_queue<int> lq;
    for (int v : {5, 1, 4, 2, 3}) {
        pq.put_nowait(v);
        lq.put_nowait(v);
    }
    std::vector<int> p, l;
    for (int i = 0; i < 5; ++i) {
        p.push_back(pq.get_nowait());
        l.push_back(lq.get_nowait());
    }
    EXPECT_EQ(p, (std::vector<int>{1, 2, 3, 4, 5}));
    EXPECT_EQ(l, (std::vector<int>{3, 2, 4, 1, 5}));
    weft::priority_queue<int, std::greater<int>> maxq;
    for (int v : {5, 1, 4}) maxq.put_nowait(v);
    EXPECT_EQ(maxq.get_nowait(), 5);
}

TEST(Queue, MoveOnlyItems) {
    struct by_value {
        bool operator()(const std::unique_ptr<int>& a, const std::unique_ptr<int>& b) const { return *a < *b; }
    };
    weft::priority_queue<std::unique_ptr<int>, by_value> pq;
    pq.put_nowait(std::make_unique<int>(3));
    pq.put_nowait(std::make_unique<int>(1));
    EXPECT_EQ(*pq.get_nowait(), 1);
    weft::queue<std::unique_ptr<int>> q;
    q.put_nowait(std::make_unique<int>(7));
    std::unique_ptr<int> p = q.get_nowait();
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, 7);
}

TEST(Queue, TaskDoneTooOftenIsAValueError) {
    weft::queue<int> q;
    q.put_nowait(1);
    (void)q.get_nowait();
    q.task_done();
    EXPECT_THROW(q.task_done(), weft::value_error);
}

weft::coro<std::vector<int>> get_waits_for_put() {
    weft::queue<int> q;
    std::vector<int> got;
    struct consumer {
        static weft::coro<void> run(weft::queue<int>* q, std::vector<int>* got) {
            for (int i = 0; i < 3; ++i) got->push_back(co_await q->get());
        }
    };
    auto c = weft::create_task(consumer::run(&q, &got), on_this_loop());
    co_await let_others_run();
    EXPECT_TRUE(got.empty());
    for (int i = 1; i <= 3; ++i) co_await q.put(i);
    co_await c;
    co_return got;
}

TEST_P(QueueOnWorkers, GetWaitsForPutAndItemsComeInOrder) {
    EXPECT_EQ(weft_test::run(get_waits_for_put(), GetParam()), (std::vector<int>{1, 2, 3}));
}

weft::coro<int> put_waits_while_full() {
    weft::queue<int> q(1);
    co_await q.put(1);
    struct producer {
        static weft::coro<void> run(weft::queue<int>* q) { co_await q->put(2); }
    };
    auto p = weft::create_task(producer::run(&q), on_this_loop());
    co_await let_others_run();
    EXPECT_FALSE(p.done());
    EXPECT_EQ(q.get_nowait(), 1);
    co_await p;
    co_return q.get_nowait();
}

TEST_P(QueueOnWorkers, PutWaitsWhileFull) { EXPECT_EQ(weft_test::run(put_waits_while_full(), GetParam()), 2); }

weft::coro<int> one_get(weft::queue<int>* q) { co_return co_await q->get(); }

weft::coro<std::vector<int>> cancelled_getter_takes_nothing() {
    weft::queue<int> q;
    auto a = weft::create_task(one_get(&q), on_this_loop());
    auto b = weft::create_task(one_get(&q), on_this_loop());
    co_await let_others_run();
    a.cancel();
    co_await let_others_run();
    q.put_nowait(10);  // must go to b
    int vb = co_await b;
    EXPECT_TRUE(a.cancelled());
    // Granted to a getter that is cancelled before it runs: the item stays.
    auto c = weft::create_task(one_get(&q), on_this_loop());
    co_await let_others_run();
    q.put_nowait(20);
    c.cancel();
    co_await let_others_run();
    EXPECT_TRUE(c.cancelled());
    std::vector<int> out{vb, static_cast<int>(q.qsize())};
    out.push_back(q.get_nowait());
    co_return out;
}

TEST_P(QueueOnWorkers, ACancelledGetterNeverConsumesAnItem) {
    EXPECT_EQ(weft_test::run(cancelled_getter_takes_nothing(), GetParam()), (std::vector<int>{10, 1, 20}));
}

weft::coro<bool> join_waits_for_task_done() {
    weft::queue<int> q;
    std::atomic<int> processed{0};
    struct worker {
        static weft::coro<void> run(weft::queue<int>* q, std::atomic<int>* processed) {
            for (;;) {
                int v = co_await q->get();
                co_await weft::sleep(0ms);
                processed->fetch_add(v);
                q->task_done();
            }
        }
    };
    for (int i = 1; i <= 10; ++i) q.put_nowait(i);
    std::vector<weft::task<void>> ws;
    for (int i = 0; i < 3; ++i) ws.push_back(weft::create_task(worker::run(&q, &processed)));
    co_await q.join();
    const bool ok = processed.load() == 55 && q.empty();
    for (auto& w : ws) w.cancel();
    for (auto& w : ws) {
        try {
            co_await w;
        } catch (const weft::cancelled_error&) {
        }
    }
    co_await q.join();  // nothing unfinished: returns at once
    co_return ok;
}

TEST_P(QueueOnWorkers, JoinWaitsUntilEveryItemIsDone) {
    EXPECT_TRUE(weft_test::run(join_waits_for_task_done(), GetParam()));
}

weft::coro<std::vector<std::string>> shutdown_semantics(bool immediate) {
    weft::queue<int> q(1);
    q.put_nowait(1);
    struct blocked_put {
        static weft::coro<std::string> run(weft::queue<int>* q) {
            try {
                co_await q->put(2);
                co_return "put";
            } catch (const weft::queue_shut_down&) {
                co_return "put:shut_down";
            }
        }
    };
    auto p = weft::create_task(blocked_put::run(&q), on_this_loop());
    co_await let_others_run();
    q.shutdown(immediate);
    std::string first = co_await p;
    std::vector<std::string> out;
    out.push_back(first);
    try {
        out.push_back(std::to_string(co_await q.get()));
    } catch (const weft::queue_shut_down&) {
        out.push_back("get:shut_down");
    }
    try {
        q.put_nowait(3);
        out.push_back("put_nowait");
    } catch (const weft::queue_shut_down&) {
        out.push_back("put_nowait:shut_down");
    }
    try {
        out.push_back(std::to_string(co_await q.get()));
    } catch (const weft::queue_shut_down&) {
        out.push_back("get:shut_down");
    }
    co_return out;
}

TEST_P(QueueOnWorkers, ShutdownStopsPutsAndDrainsGets) {
    EXPECT_EQ(weft_test::run(shutdown_semantics(false), GetParam()),
              (std::vector<std::string>{"put:shut_down", "1", "put_nowait:shut_down", "get:shut_down"}));
}

TEST_P(QueueOnWorkers, ImmediateShutdownDropsTheItems) {
    EXPECT_EQ(weft_test::run(shutdown_semantics(true), GetParam()),
              (std::vector<std::string>{"put:shut_down", "get:shut_down", "put_nowait:shut_down", "get:shut_down"}));
}

// --- producers and consumers across workers, with cancellations ------------------

struct totals {
    std::atomic<long> produced{0};
    std::atomic<long> consumed{0};
    std::atomic<long> items_in{0};
    std::atomic<long> items_out{0};
};

weft::coro<void> producer(weft::queue<long>* q, totals* t, int id, int n) {
    for (int i = 0; i < n; ++i) {
        const long v = static_cast<long>(id) * 1000000 + i;
        co_await q->put(v);  // a cancel here adds nothing
        t->produced.fetch_add(v);
        t->items_in.fetch_add(1);
    }
}

weft::coro<void> consumer(weft::queue<long>* q, totals* t) {
    for (;;) {
        long v = co_await q->get();  // a cancel here takes nothing
        t->consumed.fetch_add(v);
        t->items_out.fetch_add(1);
        if (v % 7 == 0) co_await weft::sleep(0ms);
    }
}

weft::coro<bool> mpmc_with_cancellations(unsigned seed) {
    weft::queue<long> q(8);
    totals t;
    std::mt19937 rng(seed);
    std::vector<weft::task<void>> producers, consumers;
    for (int i = 0; i < 4; ++i) producers.push_back(weft::create_task(producer(&q, &t, i + 1, 3000)));
    for (int i = 0; i < 4; ++i) consumers.push_back(weft::create_task(consumer(&q, &t)));
    // Cancel some consumers (and start replacements) while everything runs.
    for (int round = 0; round < 20; ++round) {
        co_await weft::sleep(std::chrono::microseconds(rng() % 300));
        auto& victim = consumers[rng() % consumers.size()];
        victim.cancel();
        consumers.push_back(weft::create_task(consumer(&q, &t)));
    }
    for (auto& p : producers) co_await p;
    // Everything produced is in the queue or consumed: drain and stop.
    while (t.items_out.load() != t.items_in.load()) co_await weft::sleep(0ms);
    for (auto& c : consumers) c.cancel();
    for (auto& c : consumers) {
        try {
            co_await c;
        } catch (const weft::cancelled_error&) {
        }
    }
    EXPECT_EQ(t.items_in.load(), 4 * 3000);
    EXPECT_EQ(t.items_out.load(), t.items_in.load()) << "seed " << seed;
    EXPECT_EQ(t.consumed.load(), t.produced.load()) << "seed " << seed;
    EXPECT_TRUE(q.empty());
    co_return true;
}

TEST_P(QueueOnWorkers, ProducersAndConsumersConserveItemsUnderCancellation) {
    for (unsigned seed : {1u, 2u, 3u}) EXPECT_TRUE(weft_test::run(mpmc_with_cancellations(seed), GetParam()));
}

} // namespace
