// weft::wait (asyncio.wait): all_completed, first_completed, first_exception,
// timeouts, and what it leaves alone.
#include "support/combinators.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using weft_test::fail_after;
using weft_test::test_failure;
using weft_test::value_after;

namespace {

class WaitOnWorkers : public ::testing::TestWithParam<unsigned> {};
INSTANTIATE_TEST_SUITE_P(Wait, WaitOnWorkers, weft_test::worker_counts(), weft_test::workers_name);

/// Returns the gate's value plus `add` once the gate is set: a task that
/// finishes exactly when the test decides.
static weft::coro<int> gated(weft::future<int> gate, int add) {
    int v = co_await gate;
    co_return v + add;
}

static weft::coro<int> fail_when(weft::future<int> gate, std::string what) {
    co_await gate;
    throw test_failure(what);
}

template <class H>
static bool same_handles(const std::vector<H>& a, const std::vector<H>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(a[i] == b[i])) return false;
    return true;
}

// --- return_when ---------------------------------------------------------------------

static weft::coro<bool> wait_all_completed() {
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(value_after(10ms, 0)));
    ts.push_back(weft::create_task(value_after(1ms, 1)));
    ts.push_back(weft::create_task(value_after(5ms, 2)));
    auto r = co_await weft::wait(ts);
    EXPECT_EQ(r.done.size(), 3u);
    EXPECT_TRUE(r.pending.empty());
    // done keeps the order the tasks were given in.
    EXPECT_TRUE(same_handles(r.done, ts));
    for (auto& t : ts) EXPECT_TRUE(t.done());
    for (int i = 0; i < 3; ++i) EXPECT_EQ(ts[static_cast<std::size_t>(i)].result(), i);
    co_return r.done.size() == 3 && r.pending.empty();
}

TEST_P(WaitOnWorkers, AllCompletedWaitsForEveryTask) { EXPECT_TRUE(weft_test::run(wait_all_completed(), GetParam())); }

static weft::coro<bool> wait_default_is_all_completed_with_failures() {
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(fail_after(1ms, "x")));
    ts.push_back(weft::create_task(value_after(8ms, 1)));
    auto r = co_await weft::wait(ts);  // never throws for a task's failure
    EXPECT_EQ(r.done.size(), 2u);
    EXPECT_TRUE(r.pending.empty());
    EXPECT_NE(ts[0].exception(), nullptr);
    co_return r.done.size() == 2;
}

TEST_P(WaitOnWorkers, AllCompletedDoesNotStopAtAnException) {
    EXPECT_TRUE(weft_test::run(wait_default_is_all_completed_with_failures(), GetParam()));
}

static weft::coro<bool> wait_first_completed() {
    weft::future<int> g1, g2;
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(gated(g1, 10)));
    ts.push_back(weft::create_task(value_after(2ms, 0)));
    ts.push_back(weft::create_task(gated(g2, 20)));
    weft::wait_options opts;
    opts.return_when = weft::first_completed;
    auto r = co_await weft::wait(ts, opts);
    EXPECT_EQ(r.done.size(), 1u);
    EXPECT_EQ(r.pending.size(), 2u);
    const bool shape = r.done.size() == 1 && r.pending.size() == 2;
    if (shape) {
        EXPECT_TRUE(r.done[0] == ts[1]);
        EXPECT_TRUE(r.pending[0] == ts[0]);
        EXPECT_TRUE(r.pending[1] == ts[2]);
    }
    // Nothing was cancelled: the pending tasks finish when released.
    g1.set_result(1);
    g2.set_result(2);
    const int a = co_await ts[0];
    const int b = co_await ts[2];
    EXPECT_EQ(a, 11);
    EXPECT_EQ(b, 22);
    co_return shape && !ts[0].cancelled() && !ts[2].cancelled();
}

TEST_P(WaitOnWorkers, FirstCompletedReturnsAtTheFirstCompletion) {
    EXPECT_TRUE(weft_test::run(wait_first_completed(), GetParam()));
}

static weft::coro<bool> wait_first_completed_already_done() {
    weft::future<int> g;
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(gated(g, 0)));
    ts.push_back(weft::create_task(value_after(0ms, 1)));
    co_await weft::sleep(3ms);
    weft::wait_options opts;
    opts.return_when = weft::first_completed;
    auto r = co_await weft::wait(ts, opts);
    g.set_result(0);
    co_await ts[0];
    co_return r.done.size() == 1 && r.done[0] == ts[1] && r.pending.size() == 1;
}

TEST_P(WaitOnWorkers, FirstCompletedWithAnAlreadyDoneTaskReturnsAtOnce) {
    EXPECT_TRUE(weft_test::run(wait_first_completed_already_done(), GetParam()));
}

static weft::coro<void> cancel_then_fail(weft::task<int> victim, weft::future<int> fail_gate) {
    co_await weft::sleep(2ms);
    victim.cancel();
    co_await weft::sleep(5ms);
    fail_gate.set_result(0);
}

static weft::coro<bool> wait_first_exception() {
    weft::future<int> fail_gate, hold;
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(value_after(1h, 0)));              // cancelled at ~2 ms
    ts.push_back(weft::create_task(fail_when(fail_gate, "failed")));  // fails at ~7 ms
    ts.push_back(weft::create_task(gated(hold, 0)));                   // held until the end
    ts.push_back(weft::create_task(value_after(0ms, 3)));             // done early
    auto script = weft::create_task(cancel_then_fail(ts[0], fail_gate));
    weft::wait_options opts;
    opts.return_when = weft::first_exception;
    auto r = co_await weft::wait(ts, opts);
    co_await script;
    // The cancellation did not end the wait; the exception did.
    EXPECT_EQ(r.done.size(), 3u);
    EXPECT_EQ(r.pending.size(), 1u);
    bool shape = r.done.size() == 3 && r.pending.size() == 1;
    if (shape) {
        EXPECT_TRUE(r.done[0] == ts[0]);
        EXPECT_TRUE(r.done[1] == ts[1]);
        EXPECT_TRUE(r.done[2] == ts[3]);
        EXPECT_TRUE(r.pending[0] == ts[2]);
        shape = r.done[1] == ts[1] && r.pending[0] == ts[2];
    }
    EXPECT_TRUE(ts[0].cancelled());
    EXPECT_NE(ts[1].exception(), nullptr);
    EXPECT_FALSE(ts[2].done());
    hold.set_result(0);
    co_await ts[2];
    co_return shape;
}

TEST_P(WaitOnWorkers, FirstExceptionIgnoresCancelledTasksAndStopsAtTheException) {
    EXPECT_TRUE(weft_test::run(wait_first_exception(), GetParam()));
}

static weft::coro<bool> wait_first_exception_without_exception() {
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(value_after(1ms, 0)));
    ts.push_back(weft::create_task(value_after(6ms, 1)));
    weft::wait_options opts;
    opts.return_when = weft::first_exception;
    auto r = co_await weft::wait(ts, opts);
    co_return r.done.size() == 2 && r.pending.empty();
}

TEST_P(WaitOnWorkers, FirstExceptionWithoutExceptionsWaitsForAll) {
    EXPECT_TRUE(weft_test::run(wait_first_exception_without_exception(), GetParam()));
}

static weft::coro<bool> wait_first_exception_already_failed() {
    weft::future<int> hold;
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(gated(hold, 0)));
    ts.push_back(weft::create_task(fail_after(0ms, "early")));
    co_await weft::sleep(3ms);
    weft::wait_options opts;
    opts.return_when = weft::first_exception;
    auto r = co_await weft::wait(ts, opts);
    EXPECT_NE(ts[1].exception(), nullptr);
    hold.set_result(0);
    co_await ts[0];
    co_return r.done.size() == 1 && r.done[0] == ts[1] && r.pending.size() == 1;
}

TEST_P(WaitOnWorkers, FirstExceptionWithAnAlreadyFailedTaskReturnsAtOnce) {
    EXPECT_TRUE(weft_test::run(wait_first_exception_already_failed(), GetParam()));
}

// --- timeout -------------------------------------------------------------------------

static weft::coro<bool> wait_timeout() {
    weft::future<int> hold;
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(value_after(0ms, 1)));
    ts.push_back(weft::create_task(gated(hold, 1)));
    co_await ts[0];  // done before the wait starts
    weft::wait_options opts;
    opts.timeout = 20ms;
    const auto start = weft::clock::now();
    auto r = co_await weft::wait(ts, opts);
    const auto elapsed = weft::clock::now() - start;
    EXPECT_GE(elapsed, 20ms);
    EXPECT_EQ(r.done.size(), 1u);
    EXPECT_EQ(r.pending.size(), 1u);
    const bool shape = r.done.size() == 1 && r.pending.size() == 1 && r.done[0] == ts[0] && r.pending[0] == ts[1];
    // The timeout cancelled nothing: the pending task completes later.
    EXPECT_FALSE(ts[1].done());
    hold.set_result(41);
    const int v = co_await ts[1];
    EXPECT_EQ(v, 42);
    co_return shape && !ts[1].cancelled() && elapsed >= 20ms;
}

TEST_P(WaitOnWorkers, TimeoutReturnsDoneAndPendingWithoutCancelling) {
    EXPECT_TRUE(weft_test::run(wait_timeout(), GetParam()));
}

static weft::coro<bool> wait_zero_timeout(weft::clock::duration timeout) {
    weft::future<int> hold;
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(gated(hold, 0)));
    ts.push_back(weft::create_task(gated(hold, 1)));
    weft::wait_options opts;
    opts.timeout = timeout;
    const auto start = weft::clock::now();
    auto r = co_await weft::wait(ts, opts);
    const auto elapsed = weft::clock::now() - start;
    EXPECT_TRUE(r.done.empty());
    EXPECT_EQ(r.pending.size(), 2u);
    EXPECT_LT(elapsed, 1s);
    hold.set_result(0);
    const int a = co_await ts[0];
    const int b = co_await ts[1];
    co_return r.done.empty() && r.pending.size() == 2 && a == 0 && b == 1;
}

TEST_P(WaitOnWorkers, ZeroOrNegativeTimeoutReturnsAtOnce) {
    EXPECT_TRUE(weft_test::run(wait_zero_timeout(0s), GetParam()));
    EXPECT_TRUE(weft_test::run(wait_zero_timeout(-1s), GetParam()));
}

static weft::coro<bool> wait_finishes_before_timeout() {
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(value_after(2ms, 0)));
    ts.push_back(weft::create_task(value_after(4ms, 1)));
    weft::wait_options opts;
    opts.timeout = 10s;
    const auto start = weft::clock::now();
    auto r = co_await weft::wait(ts, opts);
    co_return r.done.size() == 2 && r.pending.empty() && weft::clock::now() - start < 5s;
}

TEST_P(WaitOnWorkers, ReturnsBeforeTheTimeoutWhenTheConditionHolds) {
    EXPECT_TRUE(weft_test::run(wait_finishes_before_timeout(), GetParam()));
}

static weft::coro<bool> wait_huge_timeout() {
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(value_after(2ms, 0)));
    weft::wait_options opts;
    opts.timeout = weft::clock::duration::max();
    auto r = co_await weft::wait(ts, opts);
    EXPECT_EQ(r.done.size(), 1u) << "wait() with timeout = clock::duration::max() returned at once";
    co_return r.done.size() == 1 && r.pending.empty();
}

TEST_P(WaitOnWorkers, HugeTimeoutDoesNotExpire) {
    EXPECT_TRUE(weft_test::run(wait_huge_timeout(), GetParam()));
}

// --- errors and cancellation -----------------------------------------------------------

static weft::coro<int> wait_empty() {
    int errors = 0;
    try {
        auto c = weft::wait(std::vector<weft::task<int>>{});
        co_await std::move(c);
    } catch (const weft::value_error&) {
        ++errors;
    }
    try {
        weft::wait_options opts;
        opts.timeout = 1s;
        opts.return_when = weft::first_completed;
        auto c = weft::wait(std::vector<weft::future<int>>{}, opts);
        co_await std::move(c);
    } catch (const weft::value_error&) {
        ++errors;
    }
    co_return errors;
}

TEST_P(WaitOnWorkers, EmptySetThrowsValueError) { EXPECT_EQ(weft_test::run(wait_empty(), GetParam()), 2); }

static weft::coro<void> wait_on(std::vector<weft::task<int>> ts) {
    auto r = co_await weft::wait(std::move(ts));
    (void)r;
}

static weft::coro<bool> cancel_task_in_wait() {
    weft::future<int> hold;
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(gated(hold, 1)));
    ts.push_back(weft::create_task(gated(hold, 2)));
    auto outer = weft::create_task(wait_on(ts));
    co_await weft::sleep(2ms);
    outer.cancel();
    bool outer_cancelled = false;
    try {
        co_await outer;
    } catch (const weft::cancelled_error&) {
        outer_cancelled = true;
    }
    EXPECT_TRUE(outer_cancelled);
    // The waited tasks were left alone.
    EXPECT_FALSE(ts[0].done());
    EXPECT_FALSE(ts[1].done());
    hold.set_result(10);
    const int a = co_await ts[0];
    const int b = co_await ts[1];
    EXPECT_EQ(a, 11);
    EXPECT_EQ(b, 12);
    co_return outer_cancelled && !ts[0].cancelled() && !ts[1].cancelled();
}

TEST_P(WaitOnWorkers, CancellingTheAwaitingTaskLeavesTheTasksRunning) {
    EXPECT_TRUE(weft_test::run(cancel_task_in_wait(), GetParam()));
}

static weft::coro<void> set_after(weft::future<int> f, std::chrono::milliseconds d, int v) {
    co_await weft::sleep(d);
    f.set_result(v);
}

static weft::coro<bool> wait_on_futures() {
    std::vector<weft::future<int>> fs(3);
    auto setter = weft::create_task(set_after(fs[1], 2ms, 7));
    weft::wait_options opts;
    opts.return_when = weft::first_completed;
    auto r = co_await weft::wait(fs, opts);
    co_await setter;
    EXPECT_EQ(r.done.size(), 1u);
    const bool ok = r.done.size() == 1 && r.done[0] == fs[1] && r.pending.size() == 2;
    if (ok) {
        EXPECT_EQ(r.done[0].result(), 7);
    }
    fs[0].set_result(0);
    fs[2].set_result(0);
    co_return ok;
}

TEST_P(WaitOnWorkers, WorksWithFutures) { EXPECT_TRUE(weft_test::run(wait_on_futures(), GetParam())); }

static weft::coro<bool> wait_futures_set_by_thread() {
    std::vector<weft::future<int>> fs(3);
    weft::future<int> second = fs[2];
    std::thread setter([second]() mutable {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
        second.set_result(5);
    });
    weft::wait_options opts;
    opts.return_when = weft::first_completed;
    auto r = co_await weft::wait(fs, opts);
    setter.join();
    const bool ok = r.done.size() == 1 && r.done[0] == fs[2] && r.pending.size() == 2;
    EXPECT_TRUE(ok);
    // all_completed with the rest set from another thread.
    std::vector<weft::future<int>> rest = r.pending;
    std::thread finisher([rest]() mutable {
        for (auto& f : rest) f.set_result(1);
    });
    auto all = co_await weft::wait(fs);
    finisher.join();
    co_return ok && all.done.size() == 3 && all.pending.empty();
}

TEST_P(WaitOnWorkers, FuturesCompletedFromAnotherThread) {
    for (int round = 0; round < 5; ++round) EXPECT_TRUE(weft_test::run(wait_futures_set_by_thread(), GetParam()));
}

static weft::coro<std::size_t> wait_on_one(weft::future<int> f) {
    std::vector<weft::future<int>> fs;
    fs.push_back(std::move(f));
    auto r = co_await weft::wait(std::move(fs));
    co_return r.done.size();
}

static weft::coro<int> wait_completion_races_cancel(int rounds) {
    int anomalies = 0;
    for (int i = 0; i < rounds; ++i) {
        weft::future<int> f;
        auto outer = weft::create_task(wait_on_one(f));
        co_await weft::sleep(0s);  // outer is now inside wait()
        std::thread setter([f]() mutable { f.set_result(1); });  // wait() never cancels f
        std::thread canceller([outer]() mutable { outer.cancel(); });
        try {
            const std::size_t done = co_await outer;
            if (done != 1) ++anomalies;
        } catch (const weft::cancelled_error&) {
        }
        setter.join();
        canceller.join();
        if (f.cancelled() || !f.done()) ++anomalies;
    }
    co_return anomalies;
}

TEST_P(WaitOnWorkers, CompletionFromOneThreadRacingCancelFromAnother) {
    EXPECT_EQ(weft_test::run(wait_completion_races_cancel(100), GetParam()), 0);
}

} // namespace
