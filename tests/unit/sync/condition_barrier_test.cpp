// weft::condition and weft::barrier: asyncio semantics, cancellation, and
// use across workers.
#include <weft/sync.hpp>

#include "support/combinators.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using weft_test::event_log;
using weft_test::let_others_run;
using weft_test::on_this_loop;

namespace {

class CondOnWorkers : public ::testing::TestWithParam<unsigned> {};
INSTANTIATE_TEST_SUITE_P(Condition, CondOnWorkers, weft_test::worker_counts(), weft_test::workers_name);

// --- condition -----------------------------------------------------------------------

weft::coro<void> wait_notified(weft::condition* cv, event_log* log, std::string name) {
    auto g = co_await cv->scoped();
    try {
        co_await cv->wait();
    } catch (const weft::cancelled_error&) {
        // asyncio: the lock is held again when the cancellation arrives.
        log->add(name + (cv->locked() ? ":cancelled-with-lock" : ":cancelled-without-lock"));
        throw;
    }
    log->add(name + (cv->locked() ? ":notified-with-lock" : ":notified-without-lock"));
}

weft::coro<std::vector<std::string>> notify_one_then_all() {
    weft::condition cv;
    event_log log;
    std::vector<weft::task<void>> ts;
    for (const char* n : {"a", "b", "c", "d"}) ts.push_back(weft::create_task(wait_notified(&cv, &log, n), on_this_loop()));
    co_await let_others_run();
    ts[1].cancel();  // b leaves; notify(1) must reach a live waiter
    co_await let_others_run();
    {
        auto g = co_await cv.scoped();
        cv.notify(1);
    }
    co_await let_others_run();
    {
        auto g = co_await cv.scoped();
        cv.notify_all();
    }
    for (auto& t : ts) {
        try {
            co_await t;
        } catch (const weft::cancelled_error&) {
        }
    }
    EXPECT_FALSE(cv.locked());
    co_return log.events();
}

TEST_P(CondOnWorkers, NotifyWakesLiveWaitersInOrderWithTheLockHeld) {
    std::vector<std::string> expected{"b:cancelled-with-lock", "a:notified-with-lock", "c:notified-with-lock",
                                      "d:notified-with-lock"};
    EXPECT_EQ(weft_test::run(notify_one_then_all(), GetParam()), expected);
}

TEST(Condition, WaitAndNotifyWithoutTheLockThrow) {
    weft::condition cv;
    EXPECT_THROW(cv.notify(), weft::error);
    auto w = [](weft::condition* c) -> weft::coro<bool> {
        try {
            co_await c->wait();
        } catch (const weft::error&) {
            co_return true;
        }
        co_return false;
    };
    EXPECT_TRUE(weft_test::run(w(&cv)));
}

weft::coro<int> wait_for_predicate() {
    weft::lock shared;
    weft::condition cv(shared);
    int value = 0;
    struct waiter {
        static weft::coro<int> run(weft::condition* cv, int* value) {
            auto g = co_await cv->scoped();
            auto big = [value] { return *value >= 3; };
            co_await cv->wait_for(big);
            co_return *value;
        }
    };
    auto w = weft::create_task(waiter::run(&cv, &value));
    for (int i = 0; i < 5; ++i) {
        co_await weft::sleep(1ms);
        auto g = co_await cv.scoped();
        ++value;
        cv.notify_all();
    }
    co_return co_await w;
}

TEST_P(CondOnWorkers, WaitForReturnsOnceThePredicateHolds) {
    const int seen = weft_test::run(wait_for_predicate(), GetParam());
    EXPECT_GE(seen, 3);
}

// --- barrier -------------------------------------------------------------------------

TEST(Barrier, PartiesMustBePositive) {
    EXPECT_THROW(weft::barrier(0), weft::value_error);
    EXPECT_THROW(weft::barrier(-2), weft::value_error);
}

weft::coro<std::size_t> arrive(weft::barrier* b) { co_return co_await b->wait(); }

weft::coro<bool> barrier_rounds() {
    weft::barrier b(3);
    bool ok = true;
    for (int round = 0; round < 3; ++round) {
        std::vector<weft::task<std::size_t>> ts;
        for (int i = 0; i < 3; ++i) ts.push_back(weft::create_task(arrive(&b)));
        std::set<std::size_t> indexes;
        for (auto& t : ts) indexes.insert(co_await t);
        ok = ok && indexes == std::set<std::size_t>{0, 1, 2};
    }
    co_return ok && b.n_waiting() == 0 && !b.broken();
}

TEST_P(CondOnWorkers, BarrierReleasesEachFullRoundWithDistinctIndexes) {
    EXPECT_TRUE(weft_test::run(barrier_rounds(), GetParam()));
}

weft::coro<std::string> arrive_and_report(weft::barrier* b) {
    try {
        co_await b->wait();
        co_return "passed";
    } catch (const weft::broken_barrier_error&) {
        co_return "broken";
    } catch (const weft::cancelled_error&) {
        co_return "cancelled";
    }
}

weft::coro<std::vector<std::string>> barrier_abort_reset_cancel() {
    weft::barrier b(3);
    std::vector<std::string> out;
    // A cancelled waiter no longer counts as arrived.
    auto x = weft::create_task(arrive_and_report(&b), on_this_loop());
    co_await let_others_run();
    EXPECT_EQ(b.n_waiting(), 1u);
    x.cancel();
    out.push_back(co_await x);
    EXPECT_EQ(b.n_waiting(), 0u);
    // reset(): the waiters see broken; the barrier is usable again.
    auto y = weft::create_task(arrive_and_report(&b), on_this_loop());
    co_await let_others_run();
    b.reset();
    out.push_back(co_await y);
    EXPECT_FALSE(b.broken());
    // abort(): waiters and later arrivals see broken.
    auto z = weft::create_task(arrive_and_report(&b), on_this_loop());
    co_await let_others_run();
    b.abort();
    out.push_back(co_await z);
    EXPECT_TRUE(b.broken());
    out.push_back(co_await arrive_and_report(&b));
    co_return out;
}

TEST_P(CondOnWorkers, BarrierCancelResetAndAbort) {
    std::vector<std::string> expected{"cancelled", "broken", "broken", "broken"};
    EXPECT_EQ(weft_test::run(barrier_abort_reset_cancel(), GetParam()), expected);
}

} // namespace
