// weft::as_completed (asyncio.as_completed).
#include "support/combinators.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using weft_test::fail_after;
using weft_test::test_failure;
using weft_test::value_after;

namespace {

class AsCompletedOnWorkers : public ::testing::TestWithParam<unsigned> {};
INSTANTIATE_TEST_SUITE_P(AsCompleted, AsCompletedOnWorkers, weft_test::worker_counts(), weft_test::workers_name);

static weft::coro<int> gated(weft::future<int> gate, int add) {
    int v = co_await gate;
    co_return v + add;
}

// --- order -------------------------------------------------------------------------------

static weft::coro<std::vector<int>> completion_order_tasks() {
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(value_after(30ms, 0)));
    ts.push_back(weft::create_task(value_after(10ms, 1)));
    ts.push_back(weft::create_task(value_after(20ms, 2)));
    ts.push_back(weft::create_task(value_after(1ms, 3)));
    std::vector<int> got;
    auto range = weft::as_completed(ts);
    for (auto next : range) {
        int v = co_await next;
        got.push_back(v);
    }
    co_return got;
}

TEST_P(AsCompletedOnWorkers, YieldsTaskResultsInCompletionOrder) {
    const std::vector<int> expected = {3, 1, 2, 0};
    EXPECT_EQ(weft_test::run(completion_order_tasks(), GetParam()), expected);
}

static weft::coro<std::vector<int>> completion_order_coros() {
    std::vector<weft::coro<int>> cs;
    cs.push_back(value_after(20ms, 0));
    cs.push_back(value_after(1ms, 1));
    cs.push_back(value_after(10ms, 2));
    std::vector<int> got;
    auto range = weft::as_completed(std::move(cs));
    for (auto next : range) {
        int v = co_await next;
        got.push_back(v);
    }
    co_return got;
}

TEST_P(AsCompletedOnWorkers, YieldsCoroResultsInCompletionOrder) {
    const std::vector<int> expected = {1, 2, 0};
    EXPECT_EQ(weft_test::run(completion_order_coros(), GetParam()), expected);
}

static weft::coro<void> release_in_order(std::vector<weft::future<int>> fs, std::vector<std::size_t> order) {
    for (std::size_t i : order) {
        co_await weft::sleep(1ms);
        fs[i].set_result(static_cast<int>(i));
    }
}

static weft::coro<std::vector<int>> completion_order_futures() {
    std::vector<weft::future<int>> fs(4);
    std::vector<std::size_t> order;
    order.push_back(2);
    order.push_back(0);
    order.push_back(3);
    order.push_back(1);
    auto releaser = weft::create_task(release_in_order(fs, order));
    std::vector<int> got;
    auto range = weft::as_completed(fs);
    for (auto next : range) {
        int v = co_await next;
        got.push_back(v);
    }
    co_await releaser;
    co_return got;
}

TEST_P(AsCompletedOnWorkers, WorksWithFutures) {
    const std::vector<int> expected = {2, 0, 3, 1};
    EXPECT_EQ(weft_test::run(completion_order_futures(), GetParam()), expected);
}

static weft::coro<std::vector<int>> futures_set_by_thread() {
    std::vector<weft::future<int>> fs(4);
    std::vector<weft::future<int>> copy = fs;
    // Registered first: completions are then seen as they happen.
    auto range = weft::as_completed(fs);
    std::thread setter([copy]() mutable {
        for (std::size_t i : {std::size_t{2}, std::size_t{0}, std::size_t{3}, std::size_t{1}}) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            copy[i].set_result(static_cast<int>(i));
        }
    });
    std::vector<int> got;
    for (auto next : range) {
        int v = co_await next;
        got.push_back(v);
    }
    setter.join();
    co_return got;
}

TEST_P(AsCompletedOnWorkers, FuturesCompletedFromAnotherThreadComeInCompletionOrder) {
    const std::vector<int> expected = {2, 0, 3, 1};
    for (int round = 0; round < 5; ++round)
        EXPECT_EQ(weft_test::run(futures_set_by_thread(), GetParam()), expected);
}

// --- exceptions --------------------------------------------------------------------------

static weft::coro<std::vector<std::string>> exceptions_in_order() {
    std::vector<weft::coro<int>> cs;
    cs.push_back(value_after(15ms, 3));
    cs.push_back(fail_after(5ms, "second"));
    cs.push_back(value_after(1ms, 1));
    std::vector<std::string> got;
    auto range = weft::as_completed(std::move(cs));
    for (auto next : range) {
        try {
            int v = co_await next;
            got.push_back(std::to_string(v));
        } catch (const test_failure& e) {
            got.push_back(std::string("error:") + e.what());
        }
    }
    co_return got;
}

TEST_P(AsCompletedOnWorkers, ExceptionsAreRethrownByTheMatchingAwait) {
    const std::vector<std::string> expected = {"1", "error:second", "3"};
    EXPECT_EQ(weft_test::run(exceptions_in_order(), GetParam()), expected);
}

static weft::coro<std::vector<std::string>> cancelled_input() {
    auto victim = weft::create_task(value_after(1h, 0));
    auto canceller = weft::create_task(weft_test::cancel_after(victim, 2ms));
    weft::future<int> gate;
    std::vector<weft::task<int>> ts;
    ts.push_back(victim);
    ts.push_back(weft::create_task(gated(gate, 1)));
    std::vector<std::string> got;
    auto range = weft::as_completed(ts);
    for (auto next : range) {
        try {
            int v = co_await next;
            got.push_back(std::to_string(v));
        } catch (const weft::cancelled_error&) {
            got.push_back("cancelled");
        }
        if (!gate.done()) gate.set_result(0);  // the second input finishes after the first result
    }
    co_await canceller;
    co_return got;
}

TEST_P(AsCompletedOnWorkers, ACancelledInputRethrowsCancelled) {
    const std::vector<std::string> expected = {"cancelled", "1"};
    EXPECT_EQ(weft_test::run(cancelled_input(), GetParam()), expected);
}

// --- timeout -----------------------------------------------------------------------------

struct timeout_report {
    std::vector<std::string> got;
    weft::clock::duration first_timeout_after{};
    bool slow_cancelled = true;
    int slow_value = 0;
};

static weft::coro<timeout_report> timeout_after_first() {
    timeout_report r;
    weft::future<int> hold;
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(gated(hold, 1)));
    ts.push_back(weft::create_task(value_after(1ms, 7)));
    const auto start = weft::clock::now();
    auto range = weft::as_completed(ts, 20ms);
    for (auto next : range) {
        try {
            int v = co_await next;
            r.got.push_back(std::to_string(v));
        } catch (const weft::timeout_error&) {
            if (r.first_timeout_after == weft::clock::duration{}) r.first_timeout_after = weft::clock::now() - start;
            r.got.push_back("timeout");
        }
    }
    // as_completed cancels nothing on timeout.
    hold.set_result(10);
    r.slow_value = co_await ts[0];
    r.slow_cancelled = ts[0].cancelled();
    co_return r;
}

TEST_P(AsCompletedOnWorkers, TimeoutThrowsForAwaitsPastTheDeadline) {
    auto r = weft_test::run(timeout_after_first(), GetParam());
    const std::vector<std::string> expected = {"7", "timeout"};
    EXPECT_EQ(r.got, expected);
    EXPECT_GE(r.first_timeout_after, 20ms);
    EXPECT_FALSE(r.slow_cancelled);
    EXPECT_EQ(r.slow_value, 11);
}

static weft::coro<std::vector<std::string>> timeout_then_late_completion() {
    weft::future<int> hold;
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(gated(hold, 0)));
    ts.push_back(weft::create_task(gated(hold, 1)));
    std::vector<std::string> got;
    auto range = weft::as_completed(ts, 5ms);
    auto it = range.begin();
    try {
        auto next = *it;
        int v = co_await next;
        got.push_back(std::to_string(v));
    } catch (const weft::timeout_error&) {
        got.push_back("timeout");
    }
    ++it;
    // A task finishes after the deadline; the next await is past the
    // deadline too, so it times out as well (asyncio: every await after the
    // timeout raises TimeoutError).
    hold.set_result(0);
    co_await ts[0];
    co_await ts[1];
    try {
        auto next = *it;
        int v = co_await next;
        got.push_back(std::to_string(v));
    } catch (const weft::timeout_error&) {
        got.push_back("timeout");
    }
    co_return got;
}

TEST_P(AsCompletedOnWorkers, AwaitsAfterTheDeadlineTimeOutEvenIfAnInputFinishedLate) {
    const std::vector<std::string> expected = {"timeout", "timeout"};
    EXPECT_EQ(weft_test::run(timeout_then_late_completion(), GetParam()), expected);
}

static weft::coro<std::vector<std::string>> results_before_deadline_survive_it() {
    weft::future<int> hold;
    std::vector<weft::task<int>> ts;
    // On this loop, so that "1" completes before "2" on any worker count.
    ts.push_back(weft::create_task(value_after(0ms, 1), weft_test::on_this_loop()));
    ts.push_back(weft::create_task(value_after(0ms, 2), weft_test::on_this_loop()));
    ts.push_back(weft::create_task(gated(hold, 3)));
    auto range = weft::as_completed(ts, 5ms);
    co_await ts[0];
    co_await ts[1];
    co_await weft::sleep(10ms);  // past the deadline before the first await
    std::vector<std::string> got;
    for (auto next : range) {
        try {
            int v = co_await next;
            got.push_back(std::to_string(v));
        } catch (const weft::timeout_error&) {
            got.push_back("timeout");
        }
    }
    hold.set_result(0);
    co_await ts[2];
    co_return got;
}

TEST_P(AsCompletedOnWorkers, ResultsThatFinishedBeforeTheDeadlineAreStillYielded) {
    // As asyncio: what completed in time is handed out, the rest times out.
    const std::vector<std::string> expected = {"1", "2", "timeout"};
    EXPECT_EQ(weft_test::run(results_before_deadline_survive_it(), GetParam()), expected);
}

static weft::coro<std::vector<int>> timeout_not_reached() {
    std::vector<weft::coro<int>> cs;
    cs.push_back(value_after(3ms, 0));
    cs.push_back(value_after(1ms, 1));
    std::vector<int> got;
    auto range = weft::as_completed(std::move(cs), 10s);
    for (auto next : range) {
        int v = co_await next;
        got.push_back(v);
    }
    co_return got;
}

TEST_P(AsCompletedOnWorkers, DistantTimeoutChangesNothing) {
    const std::vector<int> expected = {1, 0};
    EXPECT_EQ(weft_test::run(timeout_not_reached(), GetParam()), expected);
}

// --- every input once ----------------------------------------------------------------------

static weft::coro<bool> each_input_once() {
    constexpr int n = 24;
    std::vector<weft::task<int>> ts;
    // A few finished before as_completed is called, the rest with many ties.
    for (int i = 0; i < 4; ++i) ts.push_back(weft::create_task(value_after(0ms, i)));
    co_await weft::sleep(2ms);
    for (int i = 4; i < n; ++i) ts.push_back(weft::create_task(value_after(std::chrono::milliseconds((i * 7) % 5), i)));
    auto range = weft::as_completed(ts);
    EXPECT_EQ(range.size(), static_cast<std::size_t>(n));
    std::vector<int> got;
    for (auto next : range) {
        int v = co_await next;
        got.push_back(v);
    }
    std::sort(got.begin(), got.end());
    std::vector<int> expected(n);
    std::iota(expected.begin(), expected.end(), 0);
    EXPECT_EQ(got, expected);
    co_return got == expected;
}

TEST_P(AsCompletedOnWorkers, EveryInputIsYieldedExactlyOnce) {
    EXPECT_TRUE(weft_test::run(each_input_once(), GetParam()));
}

static weft::coro<std::size_t> empty_input() {
    std::vector<weft::task<int>> none;
    auto range = weft::as_completed(none);
    std::size_t iterations = 0;
    for (auto next : range) {
        (void)next;
        ++iterations;
    }
    co_return iterations + range.size();
}

TEST_P(AsCompletedOnWorkers, EmptyInputYieldsNothing) { EXPECT_EQ(weft_test::run(empty_input(), GetParam()), 0u); }

// --- cancellation of the consumer ---------------------------------------------------------

static weft::coro<void> consume_all(std::vector<weft::task<int>> ts, weft_test::event_log* log) {
    auto range = weft::as_completed(std::move(ts));
    for (auto next : range) {
        int v = co_await next;
        log->add(std::to_string(v));
    }
}

static weft::coro<bool> cancel_consumer() {
    weft_test::event_log log;
    weft::future<int> hold;
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(value_after(0ms, 1)));
    ts.push_back(weft::create_task(gated(hold, 2)));
    auto consumer = weft::create_task(consume_all(ts, &log));
    co_await weft::sleep(3ms);
    consumer.cancel();
    bool cancelled = false;
    try {
        co_await consumer;
    } catch (const weft::cancelled_error&) {
        cancelled = true;
    }
    EXPECT_EQ(log.events(), std::vector<std::string>(1, "1"));
    // The inputs were left running.
    EXPECT_FALSE(ts[1].done());
    hold.set_result(0);
    const int v = co_await ts[1];
    co_return cancelled && v == 2 && !ts[1].cancelled();
}

TEST_P(AsCompletedOnWorkers, CancellingTheConsumerLeavesTheInputsRunning) {
    EXPECT_TRUE(weft_test::run(cancel_consumer(), GetParam()));
}

} // namespace
