// weft::thread_pool_executor on its own (no runtime): growth up to
// max_threads with the rest queued in submission order, the counts of
// snapshot(), retirement of idle threads, shutdown (runs the queue, joins,
// is bounded for a stuck job and reports what was left, refuses later
// work naming the pool) and refusal of an empty job.
#include "support/gate.hpp"

#include <weft/errors.hpp>
#include <weft/scheduler/thread_pool_executor.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using weft_test::gate;


/// Waits (bounded) until a condition on the pool's counts holds.
template <class Pred>
bool wait_counts(const weft::thread_pool_executor& p, Pred pred, std::chrono::milliseconds bound = 10s) {
    const auto end = std::chrono::steady_clock::now() + bound;
    while (!pred(p.snapshot())) {
        if (std::chrono::steady_clock::now() >= end) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

/// Waits (bounded) until nothing is queued or running: the jobs submitted
/// before have finished.
bool wait_pool_quiet(weft::thread_pool_executor& p, std::chrono::milliseconds bound = 10s) {
    return wait_counts(p, [](const weft::thread_pool_executor::counts& c) { return c.queued == 0 && c.running == 0; },
                       bound);
}

/// Waits (bounded) until flag is set.
bool wait_flag(const std::atomic<bool>& flag, std::chrono::milliseconds bound = 10s) {
    const auto end = std::chrono::steady_clock::now() + bound;
    while (!flag.load()) {
        if (std::chrono::steady_clock::now() >= end) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

weft::thread_pool_options options(unsigned max_threads, std::string name = "test-pool") {
    weft::thread_pool_options o;
    o.max_threads = max_threads;
    o.name = std::move(name);
    return o;
}

TEST(ThreadPoolExecutor, MaxThreadsZeroMeansHardwareThreadsPlusFourAtMost32) {
    weft::thread_pool_executor pool(options(0));
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    EXPECT_EQ(pool.options().max_threads, std::min(32u, hw + 4));
    EXPECT_EQ(pool.options().name, "test-pool");
    EXPECT_NE(pool.describe().find("test-pool"), std::string::npos) << pool.describe();
    const auto c = pool.snapshot();  // threads start on demand only
    EXPECT_EQ(c.threads, 0u);
    EXPECT_EQ(c.queued, 0u);
    EXPECT_EQ(c.running, 0u);
}

TEST(ThreadPoolExecutor, GrowsToItsLimitAndQueuesTheRest) {
    weft::thread_pool_executor pool(options(3));
    auto g = std::make_shared<gate>();
    std::atomic<int> ran{0};
    for (int i = 0; i < 10; ++i)
        pool.execute([g, &ran] {
            g->pass();
            ran.fetch_add(1);
        });
    EXPECT_TRUE(g->wait_arrivals(3));
    auto c = pool.snapshot();
    EXPECT_EQ(c.threads, 3u);
    EXPECT_EQ(c.idle, 0u);
    EXPECT_EQ(c.running, 3u);
    EXPECT_EQ(c.queued, 7u);
    g->release();
    EXPECT_TRUE(wait_pool_quiet(pool));
    EXPECT_EQ(ran.load(), 10);
    EXPECT_LE(pool.snapshot().threads, 3u);
    EXPECT_EQ(pool.shutdown(), 0u);
}

TEST(ThreadPoolExecutor, SnapshotCountsARunningJob) {
    weft::thread_pool_executor pool(options(2));
    auto g = std::make_shared<gate>();
    std::atomic<bool> done{false};
    pool.execute([g, &done] {
        g->pass();
        done.store(true);
    });
    EXPECT_TRUE(g->wait_arrivals(1));
    auto c = pool.snapshot();
    EXPECT_EQ(c.running, 1u);
    EXPECT_EQ(c.queued, 0u);
    EXPECT_EQ(c.threads, 1u);
    EXPECT_EQ(c.idle, 0u);
    g->release();
    EXPECT_TRUE(wait_pool_quiet(pool));
    EXPECT_TRUE(done.load());
    c = pool.snapshot();
    EXPECT_EQ(c.running, 0u);
    // The thread stays (idle_timeout is 10 s) and waits for work.
    EXPECT_TRUE(wait_counts(pool, [](const weft::thread_pool_executor::counts& k) { return k.idle == 1; }));
    EXPECT_EQ(pool.snapshot().threads, 1u);
}

TEST(ThreadPoolExecutor, JobsStartInSubmissionOrder) {
    weft::thread_pool_executor pool(options(1));
    auto g = std::make_shared<gate>();
    std::mutex m;
    std::vector<int> order;
    pool.execute([g] { g->pass(); });  // holds the only thread while the rest queue
    EXPECT_TRUE(g->wait_arrivals(1));
    for (int i = 0; i < 20; ++i)
        pool.execute([i, &m, &order] {
            std::lock_guard lk(m);
            order.push_back(i);
        });
    EXPECT_EQ(pool.snapshot().queued, 20u);
    g->release();
    EXPECT_TRUE(wait_pool_quiet(pool));
    std::lock_guard lk(m);
    ASSERT_EQ(order.size(), 20u);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
}

TEST(ThreadPoolExecutor, IdleThreadsRetire) {
    weft::thread_pool_options o = options(4);
    o.idle_timeout = 20ms;
    weft::thread_pool_executor pool(o);
    auto g = std::make_shared<gate>();
    for (int i = 0; i < 4; ++i) pool.execute([g] { g->pass(); });
    EXPECT_TRUE(g->wait_arrivals(4));
    EXPECT_EQ(pool.snapshot().threads, 4u);
    g->release();
    EXPECT_TRUE(wait_counts(pool, [](const weft::thread_pool_executor::counts& c) { return c.threads == 0; }));
    EXPECT_EQ(pool.snapshot().threads, 0u);
    // A pool whose threads all retired starts threads again.
    std::atomic<bool> ran{false};
    pool.execute([&ran] { ran.store(true); });
    EXPECT_TRUE(wait_pool_quiet(pool));
    EXPECT_TRUE(ran.load());
}

TEST(ThreadPoolExecutor, ShutdownRunsTheQueueAndJoins) {
    std::atomic<int> ran{0};
    {
        weft::thread_pool_executor pool(options(2));
        for (int i = 0; i < 20; ++i) pool.execute([&ran] { ran.fetch_add(1); });
        EXPECT_EQ(pool.shutdown(), 0u);
        EXPECT_EQ(ran.load(), 20);
        const auto c = pool.snapshot();
        EXPECT_EQ(c.threads, 0u);
        EXPECT_EQ(c.queued, 0u);
        EXPECT_EQ(c.running, 0u);
        EXPECT_EQ(pool.shutdown(), 0u);  // idempotent
    }
    // The destructor shuts down too.
    std::atomic<int> ran_too{0};
    {
        weft::thread_pool_executor pool(options(2));
        for (int i = 0; i < 20; ++i) pool.execute([&ran_too] { ran_too.fetch_add(1); });
    }
    EXPECT_EQ(ran_too.load(), 20);
}

TEST(ThreadPoolExecutor, ShutdownDoesNotWaitForeverForAStuckJob) {
    // Shared with the jobs: the detached thread outlives the pool object.
    struct state {
        gate g;
        std::atomic<bool> stuck_done{false};
        std::atomic<bool> queued_done{false};
    };
    auto s = std::make_shared<state>();
    const auto start = std::chrono::steady_clock::now();
    {
        weft::thread_pool_options o = options(1, "stuck-pool");
        o.shutdown_timeout = 50ms;
        weft::thread_pool_executor pool(o);
        pool.execute([s] {
            s->g.pass();
            s->stuck_done.store(true);
        });
        EXPECT_TRUE(s->g.wait_arrivals(1));
        pool.execute([s] { s->queued_done.store(true); });
        // One job running, one queued behind it: both left when the wait
        // ends.
        EXPECT_EQ(pool.shutdown(), 2u);
        EXPECT_FALSE(s->stuck_done.load());
        try {
            pool.execute([] {});
            ADD_FAILURE() << "execute() after shutdown() did not throw";
        } catch (const weft::value_error& e) {
            ADD_FAILURE() << "value_error: " << e.what();
        } catch (const weft::error& e) {
            EXPECT_NE(std::string(e.what()).find("stuck-pool"), std::string::npos) << e.what();
        }
    }  // the destructor's shutdown() waits at most shutdown_timeout again
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_FALSE(s->stuck_done.load());
    // The detached thread finishes its job and the queue on its own.
    s->g.release();
    EXPECT_TRUE(wait_flag(s->stuck_done));
    EXPECT_TRUE(wait_flag(s->queued_done));
}

TEST(ThreadPoolExecutor, ExecuteAfterShutdownThrowsNamingThePool) {
    weft::thread_pool_executor pool(options(2, "closed-pool"));
    EXPECT_EQ(pool.shutdown(), 0u);
    std::atomic<bool> ran{false};
    try {
        pool.execute([&ran] { ran.store(true); });
        ADD_FAILURE() << "execute() after shutdown() did not throw";
    } catch (const weft::value_error& e) {
        ADD_FAILURE() << "value_error: " << e.what();
    } catch (const weft::error& e) {
        EXPECT_NE(std::string(e.what()).find("closed-pool"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(ran.load());
    EXPECT_EQ(pool.snapshot().queued, 0u);
}

TEST(ThreadPoolExecutor, AnEmptyJobIsRefused) {
    weft::thread_pool_executor pool(options(2, "strict-pool"));
    try {
        pool.execute(weft::detail::unique_function<void()>());
        ADD_FAILURE() << "execute() with an empty job did not throw";
    } catch (const weft::value_error& e) {
        EXPECT_NE(std::string(e.what()).find("strict-pool"), std::string::npos) << e.what();
    }
    const auto c = pool.snapshot();
    EXPECT_EQ(c.queued, 0u);
    EXPECT_EQ(c.threads, 0u);
    // The pool still works.
    std::atomic<bool> ran{false};
    pool.execute([&ran] { ran.store(true); });
    EXPECT_TRUE(wait_pool_quiet(pool));
    EXPECT_TRUE(ran.load());
}

} // namespace
