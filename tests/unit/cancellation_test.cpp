// Task cancellation with asyncio's semantics (API.md §1): delivery at each
// kind of suspension, propagation to what is awaited, cleanup that awaits,
// suppression, messages, cross-thread requests and repeated requests.
#include <weft/weft.hpp>

#include "support/core_test.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <exception>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using weft_core_test::event_log;
using weft_core_test::yield_n;

namespace {

// --- coroutines used by the tests ---------------------------------------------

/// Sleeps an hour; logs "<name>:cancelled" (and rethrows) if cancelled.
weft::coro<void> sleeper(event_log* log, std::string name) {
    try {
        co_await weft::sleep(1h);
        log->add(name + ":woke");
    } catch (const weft::cancelled_error& e) {
        log->add(name + ":cancelled");
        log->add(name + ":message=" + e.message());
        throw;
    }
}

/// As sleeper, logging "<name>:started" first.
weft::coro<void> logged_sleeper(event_log* log, std::string name) {
    log->add(name + ":started");
    co_await sleeper(log, std::move(name));
}

/// Awaits `inner`; logs how that ended.
weft::coro<void> await_task(event_log* log, std::string name, weft::task<void> inner) {
    try {
        co_await inner;
        log->add(name + ":done");
    } catch (const weft::cancelled_error& e) {
        log->add(name + ":cancelled");
        log->add(name + ":message=" + e.message());
        throw;
    }
}

weft::coro<void> await_future(event_log* log, std::string name, weft::future<int> f) {
    try {
        co_await f;
        log->add(name + ":done");
    } catch (const weft::cancelled_error& e) {
        log->add(name + ":cancelled");
        log->add(name + ":message=" + e.message());
        throw;
    }
}

weft::coro<void> await_gather(event_log* log, weft::task<void> a, weft::task<void> b, weft::task<void> c) {
    try {
        co_await weft::gather(std::move(a), std::move(b), std::move(c));
        log->add("outer:done");
    } catch (const weft::cancelled_error&) {
        log->add("outer:cancelled");
        throw;
    }
}

weft::coro<void> await_gather_of_coros(event_log* log) {
    try {
        co_await weft::gather(logged_sleeper(log, "c0"), logged_sleeper(log, "c1"),
                              logged_sleeper(log, "c2"));
        log->add("outer:done");
    } catch (const weft::cancelled_error&) {
        log->add("outer:cancelled");
        throw;
    }
}

weft::coro<void> await_wait_for(event_log* log, weft::task<void> inner) {
    try {
        co_await weft::wait_for(inner, 1h);
        log->add("outer:done");
    } catch (const weft::cancelled_error&) {
        log->add("outer:cancelled");
        throw;
    }
}

weft::coro<int> value_after_logged(event_log* log, std::string name, std::chrono::milliseconds d, int v) {
    co_await weft::sleep(d);
    log->add(name + ":done");
    co_return v;
}

weft::coro<int> await_shield(event_log* log, weft::task<int> inner) {
    try {
        int v = co_await weft::shield(inner);
        log->add("outer:done");
        co_return v;
    } catch (const weft::cancelled_error&) {
        log->add("outer:cancelled");
        throw;
    }
}

/// On cancellation, awaits during its cleanup (twice) and then rethrows.
weft::coro<void> awaiting_cleanup(event_log* log) {
    std::exception_ptr cancel;
    try {
        co_await weft::sleep(1h);
    } catch (const weft::cancelled_error&) {
        cancel = std::current_exception();
        log->add("caught");
    }
    if (cancel) {
        co_await weft::sleep(2ms);
        log->add("cleanup slept");
        co_await weft::sleep(0ms);
        log->add("cleanup done");
        std::rethrow_exception(cancel);
    }
    log->add("not cancelled");
}

weft::coro<int> suppresses_cancel(event_log* log) {
    try {
        co_await weft::sleep(1h);
    } catch (const weft::cancelled_error&) {
        log->add("caught");
    }
    co_await weft::sleep(0ms);  // the request was consumed: no second error
    log->add("returning");
    co_return 5;
}

weft::coro<int> count_up(int* counter) {
    ++*counter;
    co_return *counter;
}

weft::coro<int> no_suspension() { co_return 1; }

weft::coro<void> self_cancel(event_log* log) {
    EXPECT_TRUE(weft::current_task().cancel());
    log->add("still running");
    int v = co_await no_suspension();  // an inline await is not a suspension
    log->add("after inline await " + std::to_string(v));
    try {
        co_await weft::sleep(0ms);
        log->add("not cancelled");
    } catch (const weft::cancelled_error&) {
        log->add("cancelled at suspension");
        throw;
    }
}

weft::coro<void> busy_until(event_log* log, std::atomic<bool>* started, std::atomic<bool>* go) {
    started->store(true);
    while (!go->load()) std::this_thread::yield();
    log->add("busy loop ended");
    try {
        co_await weft::sleep(1h);
        log->add("not cancelled");
    } catch (const weft::cancelled_error& e) {
        log->add("cancelled at suspension:" + e.message());
        throw;
    }
}

weft::coro<int> survives_two_cancels(event_log* log) {
    int caught = 0;
    for (int i = 0; i < 2; ++i) {
        try {
            co_await weft::sleep(1h);
        } catch (const weft::cancelled_error&) {
            ++caught;
            log->add("caught " + std::to_string(caught));
        }
    }
    co_return caught;
}

template <class T>
weft::coro<bool> ends_cancelled(weft::task<T> t) {
    try {
        co_await t;
    } catch (const weft::cancelled_error&) {
        co_return true;
    } catch (...) {
        co_return false;
    }
    co_return false;
}

// --- test bodies -------------------------------------------------------------

// The tests below create their tasks on the loop of the test's task
// (on_this_loop): they rely on one loop's order ("after sleep(0) the new task
// has started"). Cancellation across workers is covered by FromAnotherThread
// and the stress test.
using weft_test::on_this_loop;

weft::coro<void> cancel_during_sleep() {
    event_log log;
    const auto start = weft::clock::now();
    auto t = weft::create_task(sleeper(&log, "t"), on_this_loop());
    co_await weft::sleep(0ms);
    EXPECT_FALSE(t.done());
    EXPECT_TRUE(t.cancel());
    bool cancelled = co_await ends_cancelled(t);
    EXPECT_TRUE(cancelled);
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.cancelled());
    EXPECT_TRUE(log.contains("t:cancelled"));
    EXPECT_FALSE(log.contains("t:woke"));
    EXPECT_LT(weft_test::ms_since(start), 5000.0);  // not the hour
}

weft::coro<void> cancel_while_awaiting_task() {
    event_log log;
    auto inner = weft::create_task(sleeper(&log, "inner"), on_this_loop());
    auto outer = weft::create_task(await_task(&log, "outer", inner), on_this_loop());
    co_await weft::sleep(0ms);
    EXPECT_TRUE(outer.cancel());
    bool outer_cancelled = co_await ends_cancelled(outer);
    EXPECT_TRUE(outer_cancelled);
    EXPECT_TRUE(outer.cancelled());
    EXPECT_TRUE(inner.done());
    EXPECT_TRUE(inner.cancelled());
    // The inner task finished cancelling before the outer one saw it.
    EXPECT_GE(log.index_of("inner:cancelled"), 0);
    EXPECT_LT(log.index_of("inner:cancelled"), log.index_of("outer:cancelled"));
}

weft::coro<void> cancel_while_awaiting_future() {
    event_log log;
    weft::future<int> f;
    auto t = weft::create_task(await_future(&log, "t", f), on_this_loop());
    co_await weft::sleep(0ms);
    EXPECT_TRUE(t.cancel());
    bool cancelled = co_await ends_cancelled(t);
    EXPECT_TRUE(cancelled);
    EXPECT_TRUE(f.cancelled());
    EXPECT_TRUE(log.contains("t:cancelled"));
}

weft::coro<void> cancel_while_in_gather_of_tasks() {
    event_log log;
    auto a = weft::create_task(sleeper(&log, "a"), on_this_loop());
    auto b = weft::create_task(sleeper(&log, "b"), on_this_loop());
    auto c = weft::create_task(sleeper(&log, "c"), on_this_loop());
    auto outer = weft::create_task(await_gather(&log, a, b, c), on_this_loop());
    co_await weft::sleep(0ms);
    EXPECT_TRUE(outer.cancel());
    bool outer_cancelled = co_await ends_cancelled(outer);
    EXPECT_TRUE(outer_cancelled);
    EXPECT_TRUE(outer.cancelled());
    std::vector<weft::task<void>*> children{&a, &b, &c};
    for (auto* child : children) {
        bool child_cancelled = co_await ends_cancelled(*child);
        EXPECT_TRUE(child_cancelled);
        EXPECT_TRUE(child->cancelled());
    }
    for (const char* name : {"a", "b", "c"}) {
        EXPECT_TRUE(log.contains(std::string(name) + ":cancelled")) << name;
    }
    EXPECT_TRUE(log.contains("outer:cancelled"));
}

weft::coro<void> cancel_while_in_gather_of_coros() {
    event_log log;
    auto outer = weft::create_task(await_gather_of_coros(&log), on_this_loop());
    // The children may run on other workers: wait until each has started
    // (a task cancelled before its first step never runs its body).
    const auto deadline = weft::clock::now() + 10s;
    while (!(log.contains("c0:started") && log.contains("c1:started") && log.contains("c2:started")) &&
           weft::clock::now() < deadline)
        co_await weft::sleep(1ms);
    EXPECT_TRUE(outer.cancel());
    bool outer_cancelled = co_await ends_cancelled(outer);
    EXPECT_TRUE(outer_cancelled);
    co_await yield_n(3);  // the children finish their cancellation
    for (const char* name : {"c0", "c1", "c2"}) {
        EXPECT_TRUE(log.contains(std::string(name) + ":cancelled")) << name;
    }
    EXPECT_EQ(weft::all_tasks().size(), 1u);  // only this task is left
}

weft::coro<void> cancel_while_in_wait_for() {
    event_log log;
    auto inner = weft::create_task(sleeper(&log, "inner"), on_this_loop());
    auto outer = weft::create_task(await_wait_for(&log, inner), on_this_loop());
    co_await weft::sleep(1ms);
    EXPECT_TRUE(outer.cancel());
    bool outer_cancelled = co_await ends_cancelled(outer);
    EXPECT_TRUE(outer_cancelled);
    EXPECT_TRUE(inner.done());
    EXPECT_TRUE(inner.cancelled());
    EXPECT_TRUE(log.contains("inner:cancelled"));
    EXPECT_TRUE(log.contains("outer:cancelled"));
}

weft::coro<void> wait_for_timeout_cancels_and_waits_for_inner() {
    event_log log;
    auto inner = weft::create_task(awaiting_cleanup(&log), on_this_loop());
    bool timed_out = false;
    try {
        co_await weft::wait_for(inner, 2ms);
    } catch (const weft::timeout_error&) {
        timed_out = true;
        log.add("timeout");
    }
    EXPECT_TRUE(timed_out);
    EXPECT_TRUE(inner.done());
    EXPECT_TRUE(inner.cancelled());
    // wait_for waited for the inner task's awaiting cleanup to finish.
    EXPECT_EQ(log.events(), (std::vector<std::string>{"caught", "cleanup slept", "cleanup done", "timeout"}));
}

weft::coro<void> cancel_while_shielded() {
    event_log log;
    auto inner = weft::create_task(value_after_logged(&log, "inner", 20ms, 7), on_this_loop());
    auto outer = weft::create_task(await_shield(&log, inner), on_this_loop());
    co_await weft::sleep(1ms);
    EXPECT_TRUE(outer.cancel());
    bool outer_cancelled = co_await ends_cancelled(outer);
    EXPECT_TRUE(outer_cancelled);
    EXPECT_TRUE(outer.cancelled());
    EXPECT_FALSE(inner.done());  // shielded: still running
    int v = co_await inner;
    EXPECT_EQ(v, 7);
    EXPECT_FALSE(inner.cancelled());
    EXPECT_EQ(log.events(), (std::vector<std::string>{"outer:cancelled", "inner:done"}));
}

weft::coro<void> cleanup_that_awaits() {
    event_log log;
    auto t = weft::create_task(awaiting_cleanup(&log), on_this_loop());
    co_await weft::sleep(0ms);
    EXPECT_TRUE(t.cancel());
    bool cancelled = co_await ends_cancelled(t);
    EXPECT_TRUE(cancelled);
    EXPECT_TRUE(t.cancelled());
    EXPECT_EQ(log.events(), (std::vector<std::string>{"caught", "cleanup slept", "cleanup done"}));
}

weft::coro<void> caught_and_returned_is_not_cancelled() {
    event_log log;
    auto t = weft::create_task(suppresses_cancel(&log), on_this_loop());
    co_await weft::sleep(0ms);
    EXPECT_TRUE(t.cancel());
    int v = co_await t;
    EXPECT_EQ(v, 5);
    EXPECT_TRUE(t.done());
    EXPECT_FALSE(t.cancelled());
    EXPECT_EQ(t.result(), 5);
    EXPECT_EQ(t.exception(), nullptr);
    EXPECT_EQ(log.events(), (std::vector<std::string>{"caught", "returning"}));
}

weft::coro<void> cancel_done_task() {
    int counter = 0;
    auto t = weft::create_task(count_up(&counter), on_this_loop());
    co_await t;
    EXPECT_FALSE(t.cancel());
    EXPECT_FALSE(t.cancelled());
    EXPECT_EQ(t.result(), 1);

    event_log log;
    auto c = weft::create_task(sleeper(&log, "c"), on_this_loop());
    co_await weft::sleep(0ms);
    EXPECT_TRUE(c.cancel());
    co_await ends_cancelled(c);
    EXPECT_FALSE(c.cancel());  // already done (cancelled)
    EXPECT_TRUE(c.cancelled());
}

weft::coro<void> cancel_before_start() {
    int counter = 0;
    auto t = weft::create_task(count_up(&counter), on_this_loop());
    EXPECT_TRUE(t.cancel("early"));
    try {
        co_await t;
        ADD_FAILURE() << "not cancelled";
    } catch (const weft::cancelled_error& e) {
        EXPECT_EQ(e.message(), "early");
    }
    EXPECT_EQ(counter, 0);  // the body never ran
    EXPECT_TRUE(t.cancelled());
}

weft::coro<void> message_through_sleep() {
    event_log log;
    auto t = weft::create_task(sleeper(&log, "t"), on_this_loop());
    co_await weft::sleep(0ms);
    EXPECT_TRUE(t.cancel("stop now"));
    try {
        co_await t;
        ADD_FAILURE() << "not cancelled";
    } catch (const weft::cancelled_error& e) {
        EXPECT_EQ(e.message(), "stop now");
    }
    EXPECT_TRUE(log.contains("t:message=stop now")) << "inside the task";
    try {
        t.result();
        ADD_FAILURE() << "result() did not throw";
    } catch (const weft::cancelled_error& e) {
        EXPECT_EQ(e.message(), "stop now");
    }
}

weft::coro<void> message_through_awaited_future() {
    event_log log;
    weft::future<int> f;
    auto t = weft::create_task(await_future(&log, "t", f), on_this_loop());
    co_await weft::sleep(0ms);
    EXPECT_TRUE(t.cancel("deadline"));
    co_await ends_cancelled(t);
    EXPECT_TRUE(log.contains("t:message=deadline")) << "inside the task";
    try {
        t.result();
        ADD_FAILURE() << "result() did not throw";
    } catch (const weft::cancelled_error& e) {
        EXPECT_EQ(e.message(), "deadline");
    }
}

weft::coro<void> message_through_awaited_task() {
    event_log log;
    auto inner = weft::create_task(sleeper(&log, "inner"), on_this_loop());
    auto outer = weft::create_task(await_task(&log, "outer", inner), on_this_loop());
    co_await weft::sleep(0ms);
    EXPECT_TRUE(outer.cancel("shutting down"));
    co_await ends_cancelled(outer);
    EXPECT_TRUE(log.contains("inner:message=shutting down")) << "inside the inner task";
    EXPECT_TRUE(log.contains("outer:message=shutting down")) << "inside the outer task";
}

weft::coro<void> cancel_from_other_thread() {
    event_log log;
    auto t = weft::create_task(sleeper(&log, "t"), on_this_loop());
    co_await weft::sleep(0ms);
    weft::basic_task handle = t;
    std::atomic<bool> accepted{false};
    std::thread canceller([handle, &accepted]() mutable { accepted.store(handle.cancel("from thread")); });
    bool cancelled = co_await ends_cancelled(t);
    canceller.join();
    EXPECT_TRUE(accepted.load());
    EXPECT_TRUE(cancelled);
    EXPECT_TRUE(t.cancelled());
    EXPECT_TRUE(log.contains("t:message=from thread"));
}

weft::coro<void> cancel_future_waiter_from_other_thread() {
    event_log log;
    weft::future<int> f;
    auto t = weft::create_task(await_future(&log, "t", f), on_this_loop());
    co_await weft::sleep(0ms);
    std::thread canceller([t]() mutable { t.cancel(); });
    bool cancelled = co_await ends_cancelled(t);
    canceller.join();
    EXPECT_TRUE(cancelled);
    EXPECT_TRUE(f.cancelled());
}

weft::coro<void> self_cancel_takes_effect_at_next_suspension() {
    event_log log;
    auto t = weft::create_task(self_cancel(&log), on_this_loop());
    bool cancelled = co_await ends_cancelled(t);
    EXPECT_TRUE(cancelled);
    EXPECT_EQ(log.events(), (std::vector<std::string>{"still running", "after inline await 1",
                                                      "cancelled at suspension"}));
}

weft::coro<void> cross_thread_cancel_while_running() {
    event_log log;
    std::atomic<bool> started{false};
    std::atomic<bool> go{false};
    auto t = weft::create_task(busy_until(&log, &started, &go), on_this_loop());
    std::atomic<bool> accepted{false};
    std::thread canceller([t, &started, &go, &accepted]() mutable {
        while (!started.load()) std::this_thread::yield();
        accepted.store(t.cancel("while busy"));
        go.store(true);
    });
    bool cancelled = co_await ends_cancelled(t);
    canceller.join();
    EXPECT_TRUE(accepted.load());
    EXPECT_TRUE(cancelled);
    EXPECT_EQ(log.events(),
              (std::vector<std::string>{"busy loop ended", "cancelled at suspension:while busy"}));
}

weft::coro<void> repeated_cancel() {
    event_log log;
    auto t = weft::create_task(survives_two_cancels(&log), on_this_loop());
    co_await weft::sleep(0ms);
    EXPECT_TRUE(t.cancel());
    EXPECT_TRUE(t.cancel());  // still pending: accepted again
    co_await yield_n(4);
    // Two requests before delivery make one cancelled_error.
    EXPECT_EQ(log.events(), (std::vector<std::string>{"caught 1"}));
    EXPECT_FALSE(t.done());
    EXPECT_TRUE(t.cancel());
    int caught = co_await t;
    EXPECT_EQ(caught, 2);
    EXPECT_FALSE(t.cancelled());
    EXPECT_EQ(log.events(), (std::vector<std::string>{"caught 1", "caught 2"}));
}

class CancellationWorkersTest : public ::testing::TestWithParam<unsigned> {};

} // namespace

TEST_P(CancellationWorkersTest, DuringSleep) { weft_test::run(cancel_during_sleep(), GetParam()); }

TEST_P(CancellationWorkersTest, WhileAwaitingATaskCancelsTheInnerTask) {
    weft_test::run(cancel_while_awaiting_task(), GetParam());
}

TEST_P(CancellationWorkersTest, WhileAwaitingAFutureCancelsTheFuture) {
    weft_test::run(cancel_while_awaiting_future(), GetParam());
}

TEST_P(CancellationWorkersTest, WhileInGatherOfTasksCancelsAllChildren) {
    weft_test::run(cancel_while_in_gather_of_tasks(), GetParam());
}

TEST_P(CancellationWorkersTest, WhileInGatherOfCorosCancelsAllChildren) {
    weft_test::run(cancel_while_in_gather_of_coros(), GetParam());
}

TEST_P(CancellationWorkersTest, WhileInWaitForCancelsTheInnerTask) {
    weft_test::run(cancel_while_in_wait_for(), GetParam());
}

TEST_P(CancellationWorkersTest, WaitForTimeoutWaitsForTheInnerCleanup) {
    weft_test::run(wait_for_timeout_cancels_and_waits_for_inner(), GetParam());
}

TEST_P(CancellationWorkersTest, ShieldCancelsOnlyTheOuterTask) {
    weft_test::run(cancel_while_shielded(), GetParam());
}

TEST_P(CancellationWorkersTest, CleanupMayAwait) { weft_test::run(cleanup_that_awaits(), GetParam()); }

TEST_P(CancellationWorkersTest, CaughtAndReturnedNormallyIsNotCancelled) {
    weft_test::run(caught_and_returned_is_not_cancelled(), GetParam());
}

TEST_P(CancellationWorkersTest, CancelOfADoneTaskReturnsFalse) { weft_test::run(cancel_done_task(), GetParam()); }

TEST_P(CancellationWorkersTest, BeforeTheTaskStartedTheBodyNeverRuns) {
    weft_test::run(cancel_before_start(), GetParam());
}

TEST_P(CancellationWorkersTest, MessageReachesCancelledErrorThroughSleep) {
    weft_test::run(message_through_sleep(), GetParam());
}

TEST_P(CancellationWorkersTest, MessageReachesCancelledErrorThroughAwaitedFuture) {
    weft_test::run(message_through_awaited_future(), GetParam());
}

TEST_P(CancellationWorkersTest, MessageReachesCancelledErrorThroughAwaitedTask) {
    weft_test::run(message_through_awaited_task(), GetParam());
}

TEST_P(CancellationWorkersTest, FromAnotherThread) { weft_test::run(cancel_from_other_thread(), GetParam()); }

TEST_P(CancellationWorkersTest, FutureWaiterFromAnotherThread) {
    weft_test::run(cancel_future_waiter_from_other_thread(), GetParam());
}

TEST_P(CancellationWorkersTest, RequestedWhileRunningTakesEffectAtNextSuspension) {
    weft_test::run(self_cancel_takes_effect_at_next_suspension(), GetParam());
}

TEST_P(CancellationWorkersTest, RequestedFromAnotherThreadWhileRunning) {
    weft_test::run(cross_thread_cancel_while_running(), GetParam());
}

TEST_P(CancellationWorkersTest, RepeatedCancel) { weft_test::run(repeated_cancel(), GetParam()); }

INSTANTIATE_TEST_SUITE_P(W, CancellationWorkersTest, weft_test::worker_counts(),
                         weft_core_test::workers_suffix);
