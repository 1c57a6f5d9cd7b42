// weft::shield (asyncio.shield).
#include "support/combinators.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using weft_test::event_log;
using weft_test::fail_after;
using weft_test::test_failure;
using weft_test::value_after;

namespace {

class ShieldOnWorkers : public ::testing::TestWithParam<unsigned> {};
INSTANTIATE_TEST_SUITE_P(Shield, ShieldOnWorkers, weft_test::worker_counts(), weft_test::workers_name);

std::vector<std::string> events(std::initializer_list<const char*> es) {
    return std::vector<std::string>(es.begin(), es.end());
}

/// Finishes with gate's value + add once the test sets the gate; logs it.
static weft::coro<int> gated(weft::future<int> gate, int add, event_log* log) {
    int v = co_await gate;
    log->add("inner:done");
    co_return v + add;
}

static weft::coro<int> shielded_wait(weft::task<int> t, event_log* log) {
    try {
        int v = co_await weft::shield(t);
        log->add("outer:value");
        co_return v;
    } catch (const weft::cancelled_error&) {
        log->add("outer:cancelled");
        throw;
    }
}

// --- values ------------------------------------------------------------------------------

static weft::coro<bool> shield_values() {
    const int a = co_await weft::shield(value_after(2ms, 3));
    auto t = weft::create_task(value_after(1ms, 4));
    const int b = co_await weft::shield(t);
    EXPECT_EQ(a, 3);
    EXPECT_EQ(b, 4);
    EXPECT_EQ(t.result(), 4);  // the caller's handle is untouched
    auto done = weft::create_task(value_after(0ms, 5));
    co_await weft::sleep(2ms);
    const int c = co_await weft::shield(done);
    EXPECT_EQ(c, 5);
    co_return a == 3 && b == 4 && c == 5;
}

TEST_P(ShieldOnWorkers, AwaitingTheShieldReturnsTheValue) { EXPECT_TRUE(weft_test::run(shield_values(), GetParam())); }

static weft::coro<std::string> shield_exception() {
    try {
        co_await weft::shield(fail_after(1ms, "shielded boom"));
    } catch (const test_failure& e) {
        co_return e.what();
    }
    co_return "no exception";
}

TEST_P(ShieldOnWorkers, InnerExceptionPropagates) {
    EXPECT_EQ(weft_test::run(shield_exception(), GetParam()), "shielded boom");
}

static weft::coro<void> void_gated(weft::future<int> gate) { co_await gate; }

static weft::coro<bool> shield_void() {
    weft::future<int> gate;
    auto t = weft::create_task(void_gated(gate));
    gate.set_result(0);
    co_await weft::shield(t);
    co_return t.done() && !t.cancelled();
}

TEST_P(ShieldOnWorkers, VoidTask) { EXPECT_TRUE(weft_test::run(shield_void(), GetParam())); }

// --- cancelling the outer task --------------------------------------------------------

struct outer_cancel_report {
    std::vector<std::string> events;
    bool inner_done_when_outer_cancelled = true;
    bool inner_cancelled = true;
    int inner_value = 0;
};

static weft::coro<outer_cancel_report> cancel_outer_of_shield() {
    event_log log;
    outer_cancel_report r;
    weft::future<int> gate;
    auto inner = weft::create_task(gated(gate, 1, &log));
    auto outer = weft::create_task(shielded_wait(inner, &log));
    co_await weft::sleep(2ms);
    outer.cancel();
    try {
        co_await outer;
    } catch (const weft::cancelled_error&) {
        log.add("main:outer cancelled");
    }
    EXPECT_TRUE(outer.cancelled());
    r.inner_done_when_outer_cancelled = inner.done();
    // The inner task is still running and completes normally.
    gate.set_result(8);
    r.inner_value = co_await inner;
    r.inner_cancelled = inner.cancelled();
    r.events = log.events();
    co_return r;
}

TEST_P(ShieldOnWorkers, CancellingTheOuterTaskLeavesTheInnerTaskRunning) {
    auto r = weft_test::run(cancel_outer_of_shield(), GetParam());
    EXPECT_FALSE(r.inner_done_when_outer_cancelled);
    EXPECT_FALSE(r.inner_cancelled);
    EXPECT_EQ(r.inner_value, 9);
    EXPECT_EQ(r.events, events({"outer:cancelled", "main:outer cancelled", "inner:done"}));
}

static weft::coro<void> shield_coro_then_log(weft::future<int> gate, std::atomic<bool>* inner_done,
                                             event_log* log) {
    try {
        co_await weft::shield(gated(gate, 0, log));
    } catch (const weft::cancelled_error&) {
        log->add("outer:cancelled");
        throw;
    }
    inner_done->store(true);
}

static weft::coro<bool> flag_on_log(event_log* log, const char* entry, std::atomic<bool>* flag) {
    for (int i = 0; i < 5000 && !log->contains(entry); ++i) co_await weft::sleep(1ms);
    flag->store(log->contains(entry));
    co_return flag->load();
}

static weft::coro<std::vector<std::string>> cancel_outer_of_shielded_coro() {
    event_log log;
    std::atomic<bool> outer_finished{false};
    weft::future<int> gate;
    auto outer = weft::create_task(shield_coro_then_log(gate, &outer_finished, &log));
    co_await weft::sleep(1ms);
    outer.cancel();
    try {
        co_await outer;
    } catch (const weft::cancelled_error&) {
        log.add("main:outer cancelled");
    }
    EXPECT_FALSE(outer_finished.load());
    // The task the shield made from the coro goes on and finishes.
    gate.set_result(0);
    std::atomic<bool> seen{false};
    co_await flag_on_log(&log, "inner:done", &seen);
    co_return log.events();
}

TEST_P(ShieldOnWorkers, ShieldedCoroKeepsRunningAfterTheOuterTaskIsCancelled) {
    EXPECT_EQ(weft_test::run(cancel_outer_of_shielded_coro(), GetParam()),
              events({"outer:cancelled", "main:outer cancelled", "inner:done"}));
}

// --- cancelling the inner task -------------------------------------------------------

static weft::coro<int> shield_then_recover(weft::task<int> t, event_log* log) {
    try {
        co_return co_await weft::shield(t);
    } catch (const weft::cancelled_error&) {
        log->add("outer:saw cancelled");
    }
    co_return -1;
}

static weft::coro<bool> cancel_inner_of_shield() {
    event_log log;
    weft::future<int> gate;
    auto inner = weft::create_task(gated(gate, 0, &log));
    auto outer = weft::create_task(shield_then_recover(inner, &log));
    co_await weft::sleep(2ms);
    inner.cancel();
    const int v = co_await outer;
    EXPECT_EQ(v, -1);
    EXPECT_TRUE(inner.cancelled());
    // The outer task was not cancelled itself: it caught the inner's
    // cancellation and finished normally.
    EXPECT_FALSE(outer.cancelled());
    EXPECT_EQ(log.events(), events({"outer:saw cancelled"}));
    co_return v == -1;
}

TEST_P(ShieldOnWorkers, CancellingTheInnerTaskMakesTheShieldThrowCancelled) {
    EXPECT_TRUE(weft_test::run(cancel_inner_of_shield(), GetParam()));
}

static weft::coro<bool> cancel_inner_uncaught() {
    event_log log;
    weft::future<int> gate;
    auto inner = weft::create_task(gated(gate, 0, &log));
    auto outer = weft::create_task(shielded_wait(inner, &log));
    co_await weft::sleep(2ms);
    inner.cancel();
    bool threw = false;
    try {
        co_await outer;
    } catch (const weft::cancelled_error&) {
        threw = true;
    }
    EXPECT_TRUE(outer.cancelled());
    co_return threw && inner.cancelled();
}

TEST_P(ShieldOnWorkers, CancelledInnerTaskEndsAnOuterTaskThatDoesNotCatch) {
    EXPECT_TRUE(weft_test::run(cancel_inner_uncaught(), GetParam()));
}

} // namespace
