// weft::wait_for and weft::wait_until (asyncio.wait_for, asyncio.timeout_at).
#include "support/combinators.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using weft_test::cancellable_sleeper;
using weft_test::event_log;
using weft_test::fail_after;
using weft_test::test_failure;
using weft_test::value_after;

namespace {

class WaitForOnWorkers : public ::testing::TestWithParam<unsigned> {};
INSTANTIATE_TEST_SUITE_P(WaitFor, WaitForOnWorkers, weft_test::worker_counts(), weft_test::workers_name);

std::vector<std::string> events(std::initializer_list<const char*> es) {
    return std::vector<std::string>(es.begin(), es.end());
}

// --- success and failure of the inner awaitable ----------------------------------------

static weft::coro<int> wait_for_value() {
    int v = co_await weft::wait_for(value_after(5ms, 42), 10s);
    co_return v;
}

TEST_P(WaitForOnWorkers, ReturnsTheValueBeforeTheTimeout) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(weft_test::run(wait_for_value(), GetParam()), 42);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // did not wait for the timeout
}

static weft::coro<void> void_after(std::chrono::milliseconds d, bool* ran) {
    co_await weft::sleep(d);
    *ran = true;
}

static weft::coro<bool> wait_for_void() {
    bool ran = false;
    co_await weft::wait_for(void_after(2ms, &ran), 10s);
    bool timed_out = false;
    bool late_ran = false;
    try {
        co_await weft::wait_for(void_after(1h, &late_ran), 5ms);
    } catch (const weft::timeout_error&) {
        timed_out = true;
    }
    co_return ran && timed_out && !late_ran;
}

TEST_P(WaitForOnWorkers, VoidAwaitables) { EXPECT_TRUE(weft_test::run(wait_for_void(), GetParam())); }

static weft::coro<std::string> wait_for_inner_exception() {
    try {
        co_await weft::wait_for(fail_after(2ms, "inner boom"), 10s);
    } catch (const weft::timeout_error&) {
        co_return "timeout_error";
    } catch (const test_failure& e) {
        co_return e.what();
    }
    co_return "no exception";
}

TEST_P(WaitForOnWorkers, InnerExceptionPropagates) {
    EXPECT_EQ(weft_test::run(wait_for_inner_exception(), GetParam()), "inner boom");
}

static weft::coro<bool> wait_for_task_handle() {
    auto t = weft::create_task(value_after(3ms, 8));
    const int v = co_await weft::wait_for(t, 10s);
    EXPECT_EQ(v, 8);
    // The handle is still the caller's.
    EXPECT_TRUE(t.done());
    EXPECT_EQ(t.result(), 8);
    co_return v == 8;
}

TEST_P(WaitForOnWorkers, AcceptsATaskHandle) { EXPECT_TRUE(weft_test::run(wait_for_task_handle(), GetParam())); }

// --- timeout ---------------------------------------------------------------------------

struct timeout_report {
    bool timed_out = false;
    bool inner_done_at_throw = false;
    bool inner_cancelled_at_throw = false;
    weft::clock::duration elapsed{};
    std::vector<std::string> events;
};

static weft::coro<timeout_report> wait_for_task_times_out(weft::clock::duration timeout) {
    event_log log;
    timeout_report r;
    auto t = weft::create_task(cancellable_sleeper(&log, "inner"));
    const auto start = weft::clock::now();
    try {
        co_await weft::wait_for(t, timeout);
    } catch (const weft::timeout_error&) {
        log.add("timeout");
        r.timed_out = true;
        r.inner_done_at_throw = t.done();
        r.inner_cancelled_at_throw = t.cancelled();
    }
    r.elapsed = weft::clock::now() - start;
    r.events = log.events();
    co_return r;
}

TEST_P(WaitForOnWorkers, TimeoutCancelsTheTaskAndWaitsForItsCleanup) {
    auto r = weft_test::run(wait_for_task_times_out(10ms), GetParam());
    EXPECT_TRUE(r.timed_out);
    EXPECT_TRUE(r.inner_done_at_throw);
    EXPECT_TRUE(r.inner_cancelled_at_throw);
    EXPECT_GE(r.elapsed, 10ms);
    EXPECT_EQ(r.events, events({"inner:cancelled", "inner:cleanup", "timeout"}));
}

TEST_P(WaitForOnWorkers, ZeroAndNegativeTimeoutsTimeOutAtOnce) {
    for (auto timeout : {weft::clock::duration(0s), weft::clock::duration(-1s)}) {
        auto r = weft_test::run(wait_for_task_times_out(timeout), GetParam());
        EXPECT_TRUE(r.timed_out);
        EXPECT_TRUE(r.inner_cancelled_at_throw);
        EXPECT_LT(r.elapsed, 1s);
        EXPECT_EQ(r.events, events({"inner:cancelled", "inner:cleanup", "timeout"}));
    }
}

static weft::coro<std::vector<std::string>> wait_for_coro_times_out() {
    event_log log;
    try {
        co_await weft::wait_for(cancellable_sleeper(&log, "inner"), 10ms);
    } catch (const weft::timeout_error&) {
        log.add("timeout");
    }
    co_return log.events();
}

TEST_P(WaitForOnWorkers, TimeoutCancelsACoroAndWaitsForItsCleanup) {
    EXPECT_EQ(weft_test::run(wait_for_coro_times_out(), GetParam()),
              events({"inner:cancelled", "inner:cleanup", "timeout"}));
}

static weft::coro<int> wait_for_zero_on_done_task() {
    auto t = weft::create_task(value_after(0ms, 5));
    co_await weft::sleep(2ms);
    EXPECT_TRUE(t.done());
    const int v = co_await weft::wait_for(t, 0s);
    co_return v;
}

TEST_P(WaitForOnWorkers, ZeroTimeoutOnADoneTaskReturnsItsValue) {
    EXPECT_EQ(weft_test::run(wait_for_zero_on_done_task(), GetParam()), 5);
}

static weft::coro<int> swallow_cancel(event_log* log) {
    try {
        co_await weft::sleep(1h);
    } catch (const weft::cancelled_error&) {
        log->add("swallowed");
    }
    co_return 7;
}

static weft::coro<bool> wait_for_swallowing_task() {
    event_log log;
    auto t = weft::create_task(swallow_cancel(&log));
    bool timed_out = false;
    try {
        co_await weft::wait_for(t, 5ms);
    } catch (const weft::timeout_error&) {
        timed_out = true;
    }
    EXPECT_TRUE(timed_out);
    EXPECT_TRUE(log.contains("swallowed"));
    EXPECT_TRUE(t.done());
    EXPECT_FALSE(t.cancelled());
    if (t.done() && !t.cancelled()) {
        EXPECT_EQ(t.result(), 7);
    }
    co_return timed_out;
}

TEST_P(WaitForOnWorkers, ATaskThatSwallowsTheCancellationStillTimesOut) {
    EXPECT_TRUE(weft_test::run(wait_for_swallowing_task(), GetParam()));
}

template <class D>
static weft::coro<std::string> wait_for_huge_timeout(D timeout) {
    try {
        const int v = co_await weft::wait_for(value_after(2ms, 4), timeout);
        co_return std::to_string(v);
    } catch (const weft::timeout_error&) {
        co_return "timeout_error";
    }
}

TEST_P(WaitForOnWorkers, HugeTimeoutsDoNotTimeOut) {
    EXPECT_EQ(weft_test::run(wait_for_huge_timeout(weft::clock::duration::max()), GetParam()), "4");
    EXPECT_EQ(weft_test::run(wait_for_huge_timeout(std::chrono::hours::max()), GetParam()), "4");
}

// --- cancelling the outer task --------------------------------------------------------

static weft::coro<void> outer_wait_for(weft::task<int> t, event_log* log) {
    try {
        co_await weft::wait_for(t, 10s);
    } catch (const weft::timeout_error&) {
        log->add("outer:timeout");
        throw;
    } catch (const weft::cancelled_error&) {
        log->add("outer:cancelled");
        throw;
    }
}

static weft::coro<std::vector<std::string>> cancel_outer_of_wait_for() {
    event_log log;
    auto inner = weft::create_task(cancellable_sleeper(&log, "inner"));
    auto outer = weft::create_task(outer_wait_for(inner, &log));
    co_await weft::sleep(2ms);
    outer.cancel();
    try {
        co_await outer;
    } catch (const weft::cancelled_error&) {
        log.add("main:outer cancelled");
    }
    EXPECT_TRUE(outer.cancelled());
    EXPECT_TRUE(inner.done());
    EXPECT_TRUE(inner.cancelled());
    co_return log.events();
}

TEST_P(WaitForOnWorkers, CancellingTheOuterTaskCancelsTheInnerOne) {
    EXPECT_EQ(weft_test::run(cancel_outer_of_wait_for(), GetParam()),
              events({"inner:cancelled", "inner:cleanup", "outer:cancelled", "main:outer cancelled"}));
}

static weft::coro<int> slow_cleanup(event_log* log) {
    bool cancelled = false;
    try {
        co_await weft::sleep(1h);
    } catch (const weft::cancelled_error&) {
        cancelled = true;
    }
    if (cancelled) {
        log->add("inner:cancelled");
        co_await weft::sleep(20ms);
        log->add("inner:cleanup");
        throw weft::cancelled_error();
    }
    co_return 0;
}

static weft::coro<void> wait_for_then_continue(event_log* log) {
    try {
        co_await weft::wait_for(slow_cleanup(log), 2ms);
    } catch (const weft::timeout_error&) {
        log->add("outer:timeout");
    }
    co_await weft::sleep(50ms);
    log->add("outer:continued");
}

static weft::coro<std::vector<std::string>> cancel_during_timeout_cleanup() {
    event_log log;
    auto outer = weft::create_task(wait_for_then_continue(&log));
    for (int i = 0; i < 2000 && !log.contains("inner:cancelled"); ++i) co_await weft::sleep(1ms);
    outer.cancel();  // while wait_for waits for the inner task's cleanup
    try {
        co_await outer;
        log.add("main:outer finished");
    } catch (const weft::cancelled_error&) {
        log.add("main:outer cancelled");
    }
    co_return log.events();
}

TEST_P(WaitForOnWorkers, ACancelArrivingDuringTheTimeoutCleanupIsNotLost) {
    auto events = weft_test::run(cancel_during_timeout_cleanup(), GetParam());
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back(), "main:outer cancelled");
    EXPECT_EQ(std::find(events.begin(), events.end(), "outer:continued"), events.end());
    // The inner task's cleanup was not cut short by the second cancel.
    EXPECT_NE(std::find(events.begin(), events.end(), "inner:cleanup"), events.end());
}

// --- wait_until ----------------------------------------------------------------------------

static weft::coro<bool> wait_until_cases() {
    int v = co_await weft::wait_until(value_after(2ms, 3), weft::clock::now() + 10s);
    EXPECT_EQ(v, 3);

    event_log log;
    const auto deadline = weft::clock::now() + 10ms;
    bool timed_out = false;
    try {
        co_await weft::wait_until(cancellable_sleeper(&log, "late"), deadline);
    } catch (const weft::timeout_error&) {
        timed_out = true;
        log.add("timeout");
    }
    EXPECT_TRUE(timed_out);
    EXPECT_GE(weft::clock::now(), deadline);

    auto t = weft::create_task(cancellable_sleeper(&log, "past"));
    bool past_timed_out = false;
    try {
        co_await weft::wait_until(t, weft::clock::now() - 1s);
    } catch (const weft::timeout_error&) {
        past_timed_out = true;
        log.add("past timeout");
    }
    EXPECT_TRUE(past_timed_out);
    EXPECT_TRUE(t.cancelled());
    EXPECT_EQ(log.events(), events({"late:cancelled", "late:cleanup", "timeout", "past:cancelled",
                                    "past:cleanup", "past timeout"}));
    co_return v == 3 && timed_out && past_timed_out;
}

TEST_P(WaitForOnWorkers, WaitUntilUsesAnAbsoluteDeadline) {
    EXPECT_TRUE(weft_test::run(wait_until_cases(), GetParam()));
}

} // namespace
