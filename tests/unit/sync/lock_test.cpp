// weft::lock, weft::semaphore, weft::bounded_semaphore, weft::event: the
// asyncio semantics, cancellation safety, and mutual exclusion across workers.
#include <weft/sync.hpp>

#include "support/combinators.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using weft_test::event_log;
using weft_test::let_others_run;
using weft_test::on_this_loop;

namespace {

class SyncOnWorkers : public ::testing::TestWithParam<unsigned> {};
INSTANTIATE_TEST_SUITE_P(Sync, SyncOnWorkers, weft_test::worker_counts(), weft_test::workers_name);

// --- lock ---------------------------------------------------------------------------

weft::coro<void> take_and_log(weft::lock* m, event_log* log, std::string name) {
    try {
        co_await m->acquire();
    } catch (const weft::cancelled_error&) {
        log->add(name + ":cancelled");
        throw;
    }
    log->add(name + ":acquired");
    co_await weft::sleep(0ms);
    m->release();
}

weft::coro<bool> lock_basics() {
    weft::lock m;
    bool ok = !m.locked();
    co_await m.acquire();
    ok = ok && m.locked() && !m.try_acquire();
    m.release();
    ok = ok && !m.locked();
    {
        auto g = co_await m.scoped();
        ok = ok && m.locked() && g.owns_lock();
    }
    ok = ok && !m.locked();
    co_return ok;
}

TEST_P(SyncOnWorkers, LockAcquireReleaseAndScopedGuard) {
    EXPECT_TRUE(weft_test::run(lock_basics(), GetParam()));
}

TEST(Lock, ReleasingAnUnlockedLockThrows) {
    weft::lock m;
    try {
        m.release();
        FAIL() << "release() of an unlocked lock did not throw";
    } catch (const weft::error& e) {
        EXPECT_NE(std::string(e.what()).find("not acquired"), std::string::npos) << e.what();
    }
}

weft::coro<std::vector<std::string>> lock_fifo_order() {
    weft::lock m;
    event_log log;
    co_await m.acquire();
    std::vector<weft::task<void>> ts;
    for (const char* n : {"a", "b", "c"}) ts.push_back(weft::create_task(take_and_log(&m, &log, n), on_this_loop()));
    co_await let_others_run();
    EXPECT_TRUE(m.locked());
    m.release();
    for (auto& t : ts) co_await t;
    EXPECT_FALSE(m.locked());
    co_return log.events();
}

TEST_P(SyncOnWorkers, LockIsHandedOverInArrivalOrder) {
    std::vector<std::string> expected{"a:acquired", "b:acquired", "c:acquired"};
    EXPECT_EQ(weft_test::run(lock_fifo_order(), GetParam()), expected);
}

weft::coro<std::vector<std::string>> lock_cancelled_waiter() {
    weft::lock m;
    event_log log;
    co_await m.acquire();
    auto a = weft::create_task(take_and_log(&m, &log, "a"), on_this_loop());
    auto b = weft::create_task(take_and_log(&m, &log, "b"), on_this_loop());
    co_await let_others_run();
    a.cancel();
    co_await let_others_run();  // a leaves the queue
    m.release();                // goes to b, not to the cancelled a
    co_await b;
    EXPECT_TRUE(a.cancelled());
    EXPECT_FALSE(m.locked());
    co_return log.events();
}

TEST_P(SyncOnWorkers, ACancelledLockWaiterNeverGetsTheLock) {
    std::vector<std::string> expected{"a:cancelled", "b:acquired"};
    EXPECT_EQ(weft_test::run(lock_cancelled_waiter(), GetParam()), expected);
}

weft::coro<std::vector<std::string>> lock_granted_then_cancelled() {
    weft::lock m;
    event_log log;
    co_await m.acquire();
    auto a = weft::create_task(take_and_log(&m, &log, "a"), on_this_loop());
    auto b = weft::create_task(take_and_log(&m, &log, "b"), on_this_loop());
    co_await let_others_run();
    // In one step: the lock goes to a, then a is cancelled before it runs.
    // a must pass the lock on to b (nothing lost) and end cancelled.
    m.release();
    a.cancel();
    co_await b;
    bool a_cancelled = false;
    try {
        co_await a;
    } catch (const weft::cancelled_error&) {
        a_cancelled = true;
    }
    EXPECT_TRUE(a_cancelled);
    EXPECT_FALSE(m.locked());
    co_return log.events();
}

TEST_P(SyncOnWorkers, AWaiterGrantedTheLockButCancelledPassesItOn) {
    std::vector<std::string> expected{"a:cancelled", "b:acquired"};
    EXPECT_EQ(weft_test::run(lock_granted_then_cancelled(), GetParam()), expected);
}

TEST(Lock, AcquireOutsideATaskThrows) {
    weft::lock m;
    // The lock is free, so acquire() completes without suspending; only a
    // waiting acquire needs a task. Hold it and check the waiting path.
    ASSERT_TRUE(m.try_acquire());
    auto a = m.acquire();
    EXPECT_FALSE(a.await_ready());
    EXPECT_THROW(a.await_suspend(std::noop_coroutine()), weft::error);
    m.release();
}

/// Increments *counter `rounds` times under the lock, yielding inside the
/// critical section so that the other tasks (on other workers) contend.
weft::coro<void> locked_increments(weft::lock* m, long* counter, std::atomic<long>* completed,
                                   std::atomic<int>* inside, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        auto g = co_await m->scoped();
        EXPECT_EQ(inside->fetch_add(1), 0) << "two tasks inside the lock";
        // Left also when a cancel arrives at the yield below (before the
        // guard releases the lock).
        struct leave {
            std::atomic<int>* n;
            ~leave() { n->fetch_sub(1); }
        } mark{inside};
        long v = *counter;
        if (i % 3 == 0) co_await weft::sleep(0ms);
        *counter = v + 1;
        completed->fetch_add(1);
    }
}

weft::coro<long> lock_stress(int tasks, int rounds) {
    weft::lock m;
    long counter = 0;
    std::atomic<long> completed{0};
    std::atomic<int> inside{0};
    std::vector<weft::task<void>> ts;
    for (int i = 0; i < tasks; ++i)
        ts.push_back(weft::create_task(locked_increments(&m, &counter, &completed, &inside, rounds)));
    // A few victims cancelled while they wait: they must not break exclusion
    // or keep the lock.
    std::vector<weft::task<void>> victims;
    for (int i = 0; i < 8; ++i)
        victims.push_back(weft::create_task(locked_increments(&m, &counter, &completed, &inside, 1000000)));
    co_await weft::sleep(1ms);
    for (auto& v : victims) v.cancel();
    for (auto& t : ts) co_await t;
    for (auto& v : victims) {
        try {
            co_await v;
        } catch (const weft::cancelled_error&) {
        }
    }
    EXPECT_FALSE(m.locked());
    EXPECT_EQ(counter, completed.load()) << "an increment was lost: two tasks held the lock";
    co_return counter;
}

TEST_P(SyncOnWorkers, LockExcludesAcrossWorkersUnderCancellation) {
    // Every increment is a read, a possible yield and a write: any overlap
    // would lose one (and trip the `inside` check). The victims add their
    // own increments before they are cancelled.
    const long total = weft_test::run(lock_stress(8, 2000), GetParam());
    EXPECT_GE(total, 8 * 2000);
}

// --- semaphore ------------------------------------------------------------------------

TEST(Semaphore, NegativeInitialValueIsAValueError) {
    EXPECT_THROW(weft::semaphore(-1), weft::value_error);
    EXPECT_THROW(weft::bounded_semaphore(-3), weft::value_error);
}

TEST(Semaphore, BoundedSemaphoreRejectsAnExtraRelease) {
    weft::bounded_semaphore s(2);
    EXPECT_TRUE(s.try_acquire());
    s.release();
    try {
        s.release();
        FAIL() << "an extra release() did not throw";
    } catch (const weft::value_error& e) {
        EXPECT_NE(std::string(e.what()).find("too many"), std::string::npos) << e.what();
    }
    EXPECT_EQ(s.value(), 2u);
    weft::semaphore& as_base = s;  // the bound holds through the base class too
    EXPECT_THROW(as_base.release(), weft::value_error);
    weft::bounded_semaphore zero(0);
    EXPECT_THROW(zero.release(), weft::value_error);
}

weft::coro<void> hold_permit(weft::semaphore* s, std::atomic<int>* holders, std::atomic<int>* peak, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        co_await s->acquire();
        int now = holders->fetch_add(1) + 1;
        int p = peak->load();
        while (now > p && !peak->compare_exchange_weak(p, now)) {
        }
        co_await weft::sleep(0ms);
        holders->fetch_sub(1);
        s->release();
    }
}

weft::coro<int> semaphore_limits(int limit) {
    weft::semaphore s(limit);
    std::atomic<int> holders{0}, peak{0};
    std::vector<weft::task<void>> ts;
    for (int i = 0; i < 10; ++i) ts.push_back(weft::create_task(hold_permit(&s, &holders, &peak, 200)));
    for (auto& t : ts) co_await t;
    EXPECT_EQ(s.value(), static_cast<std::size_t>(limit));
    co_return peak.load();
}

TEST_P(SyncOnWorkers, SemaphoreBoundsConcurrentHolders) {
    const int peak = weft_test::run(semaphore_limits(3), GetParam());
    EXPECT_LE(peak, 3);
    EXPECT_GE(peak, 1);
}

weft::coro<void> acquire_once(weft::semaphore* s) { co_await s->acquire(); }

weft::coro<std::size_t> semaphore_cancelled_waiter() {
    weft::semaphore s(0);
    auto a = weft::create_task(acquire_once(&s), on_this_loop());
    co_await let_others_run();
    EXPECT_TRUE(s.locked());
    a.cancel();
    co_await let_others_run();
    s.release();
    EXPECT_TRUE(a.cancelled());
    co_return s.value();  // the permit was not consumed by the cancelled waiter
}

TEST_P(SyncOnWorkers, ACancelledSemaphoreWaiterTakesNoPermit) {
    EXPECT_EQ(weft_test::run(semaphore_cancelled_waiter(), GetParam()), 1u);
}

// --- event ------------------------------------------------------------------------------

weft::coro<void> wait_and_log(weft::event* e, event_log* log, std::string name) {
    try {
        co_await e->wait();
        log->add(name + ":woke");
    } catch (const weft::cancelled_error&) {
        log->add(name + ":cancelled");
        throw;
    }
}

weft::coro<bool> event_semantics() {
    weft::event e;
    event_log log;
    bool ok = !e.is_set();
    std::vector<weft::task<void>> ts;
    for (const char* n : {"a", "b", "c"}) ts.push_back(weft::create_task(wait_and_log(&e, &log, n), on_this_loop()));
    co_await let_others_run();
    ok = ok && log.events().empty();
    ts[1].cancel();
    co_await let_others_run();
    e.set();
    for (auto& t : ts) {
        try {
            co_await t;
        } catch (const weft::cancelled_error&) {
        }
    }
    ok = ok && e.is_set() && log.contains("a:woke") && log.contains("c:woke") && log.contains("b:cancelled");
    co_await e.wait();  // set: returns at once
    e.clear();
    auto late = weft::create_task(wait_and_log(&e, &log, "d"), on_this_loop());
    co_await let_others_run();
    ok = ok && !log.contains("d:woke");
    e.set();
    co_await late;
    co_return ok && log.contains("d:woke");
}

TEST_P(SyncOnWorkers, EventWakesEveryWaiterAndClearMakesWaitsWaitAgain) {
    EXPECT_TRUE(weft_test::run(event_semantics(), GetParam()));
}

weft::coro<int> event_set_from_a_thread() {
    weft::event e;
    std::atomic<int> woke{0};
    struct waiter {
        static weft::coro<void> run(weft::event* e, std::atomic<int>* woke) {
            co_await e->wait();
            woke->fetch_add(1);
        }
    };
    std::vector<weft::task<void>> ts;
    for (int i = 0; i < 16; ++i) ts.push_back(weft::create_task(waiter::run(&e, &woke)));
    co_await weft::sleep(2ms);
    std::thread setter([&e] { e.set(); });
    for (auto& t : ts) co_await t;
    setter.join();
    co_return woke.load();
}

TEST_P(SyncOnWorkers, EventSetFromAForeignThreadWakesEveryone) {
    EXPECT_EQ(weft_test::run(event_set_from_a_thread(), GetParam()), 16);
}

} // namespace
