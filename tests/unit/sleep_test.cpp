// weft::sleep and weft::sleep_until (asyncio.sleep).
#include "support/combinators.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
// Orders between tasks are properties of one loop: tests of them keep their
// tasks on the loop that created them.
using weft_test::on_this_loop;
using weft_test::event_log;

namespace {

class SleepOnWorkers : public ::testing::TestWithParam<unsigned> {};

INSTANTIATE_TEST_SUITE_P(Sleep, SleepOnWorkers, weft_test::worker_counts(), weft_test::workers_name);

// --- elapsed time ------------------------------------------------------------------

static weft::coro<std::vector<weft::clock::duration>> measure_sleeps(std::vector<weft::clock::duration> ds) {
    std::vector<weft::clock::duration> elapsed;
    for (auto d : ds) {
        const auto start = weft::clock::now();
        co_await weft::sleep(d);
        elapsed.push_back(weft::clock::now() - start);
    }
    co_return elapsed;
}

TEST_P(SleepOnWorkers, ElapsedIsAtLeastTheRequestedDuration) {
    const std::vector<weft::clock::duration> ds = {1ms, 5ms, 20ms, 3ms};
    auto elapsed = weft_test::run(measure_sleeps(ds), GetParam());
    ASSERT_EQ(elapsed.size(), ds.size());
    for (std::size_t i = 0; i < ds.size(); ++i) {
        EXPECT_GE(elapsed[i], ds[i]) << "sleep #" << i;
        EXPECT_LT(elapsed[i], ds[i] + 2s) << "sleep #" << i;  // generous: it does end
    }
}

static weft::coro<weft::clock::duration> sleep_other_units() {
    const auto start = weft::clock::now();
    co_await weft::sleep(std::chrono::microseconds(2500));
    co_await weft::sleep(std::chrono::duration<double, std::milli>(2.5));
    co_return weft::clock::now() - start;
}

TEST_P(SleepOnWorkers, AcceptsAnyDurationType) {
    auto elapsed = weft_test::run(sleep_other_units(), GetParam());
    EXPECT_GE(elapsed, 5ms);
}

// --- sleep(0) yields ---------------------------------------------------------------

template <class D>
static weft::coro<void> yielder(event_log* log, std::string name, int rounds, D d) {
    for (int i = 0; i < rounds; ++i) {
        log->add(name);
        co_await weft::sleep(d);
    }
}

template <class D>
static weft::coro<std::vector<std::string>> alternate(D d) {
    event_log log;
    auto a = weft::create_task(yielder(&log, "A", 3, d), on_this_loop());
    auto b = weft::create_task(yielder(&log, "B", 3, d), on_this_loop());
    co_await a;
    co_await b;
    co_return log.events();
}

TEST_P(SleepOnWorkers, ZeroYieldsSoTwoTasksInterleave) {
    const std::vector<std::string> expected = {"A", "B", "A", "B", "A", "B"};
    EXPECT_EQ(weft_test::run(alternate(0s), GetParam()), expected);
}

TEST_P(SleepOnWorkers, NegativeDurationsActAsZero) {
    const std::vector<std::string> expected = {"A", "B", "A", "B", "A", "B"};
    EXPECT_EQ(weft_test::run(alternate(-5ms), GetParam()), expected);
    EXPECT_EQ(weft_test::run(alternate(-1h), GetParam()), expected);
}

static weft::coro<void> set_flag(bool* flag) {
    *flag = true;
    co_return;
}

static weft::coro<bool> zero_sleep_lets_ready_task_run() {
    bool ran = false;
    auto t = weft::create_task(set_flag(&ran));
    co_await weft::sleep(0s);
    bool seen = ran;
    co_await t;
    co_return seen;
}

TEST_P(SleepOnWorkers, ZeroLetsAReadyTaskRun) {
    EXPECT_TRUE(weft_test::run(zero_sleep_lets_ready_task_run(), GetParam()));
}

static weft::coro<weft::clock::duration> negative_sleep_is_quick() {
    const auto start = weft::clock::now();
    co_await weft::sleep(-1h);
    co_await weft::sleep(-1ns);
    co_return weft::clock::now() - start;
}

TEST_P(SleepOnWorkers, NegativeDurationDoesNotWait) {
    EXPECT_LT(weft_test::run(negative_sleep_is_quick(), GetParam()), 1s);
}

// --- sleep_until ---------------------------------------------------------------------

static weft::coro<bool> sleep_until_deadline(weft::clock::duration ahead) {
    const auto deadline = weft::clock::now() + ahead;
    co_await weft::sleep_until(deadline);
    co_return weft::clock::now() >= deadline;
}

TEST_P(SleepOnWorkers, SleepUntilWakesAtOrAfterTheDeadline) {
    EXPECT_TRUE(weft_test::run(sleep_until_deadline(15ms), GetParam()));
    EXPECT_TRUE(weft_test::run(sleep_until_deadline(1ms), GetParam()));
}


template <class D>
static weft::coro<void> until_yielder(event_log* log, std::string name, int rounds, D ago) {
    for (int i = 0; i < rounds; ++i) {
        log->add(name);
        co_await weft::sleep_until(weft::clock::now() - ago);
    }
}

static weft::coro<std::vector<std::string>> past_deadline_yields() {
    event_log log;
    auto a = weft::create_task(until_yielder(&log, "A", 3, 1s), on_this_loop());
    auto b = weft::create_task(until_yielder(&log, "B", 3, 0s), on_this_loop());
    co_await a;
    co_await b;
    co_return log.events();
}

TEST_P(SleepOnWorkers, SleepUntilAPastDeadlineYields) {
    const std::vector<std::string> expected = {"A", "B", "A", "B", "A", "B"};
    EXPECT_EQ(weft_test::run(past_deadline_yields(), GetParam()), expected);
}

// --- ordering of timers ------------------------------------------------------------

static weft::coro<std::vector<std::string>> wake_order() {
    event_log log;
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(weft_test::logged_value_after(&log, "30", 30ms, 0), on_this_loop()));
    ts.push_back(weft::create_task(weft_test::logged_value_after(&log, "10", 10ms, 0), on_this_loop()));
    ts.push_back(weft::create_task(weft_test::logged_value_after(&log, "20", 20ms, 0), on_this_loop()));
    ts.push_back(weft::create_task(weft_test::logged_value_after(&log, "1", 1ms, 0), on_this_loop()));
    for (auto& t : ts) co_await t;
    co_return log.events();
}

TEST_P(SleepOnWorkers, TasksWakeInDeadlineOrder) {
    const std::vector<std::string> expected = {"1", "10", "20", "30"};
    EXPECT_EQ(weft_test::run(wake_order(), GetParam()), expected);
}

static weft::coro<void> equal_sleeper(event_log* log, std::string name, weft::clock::time_point when) {
    co_await weft::sleep_until(when);
    log->add(name);
}

static weft::coro<std::vector<std::string>> equal_deadlines_fifo() {
    event_log log;
    const auto when = weft::clock::now() + 10ms;
    std::vector<weft::task<void>> ts;
    for (int i = 0; i < 8; ++i) ts.push_back(weft::create_task(equal_sleeper(&log, std::to_string(i), when), on_this_loop()));
    for (auto& t : ts) co_await t;
    co_return log.events();
}

TEST_P(SleepOnWorkers, EqualDeadlinesWakeInStartOrder) {
    const std::vector<std::string> expected = {"0", "1", "2", "3", "4", "5", "6", "7"};
    EXPECT_EQ(weft_test::run(equal_deadlines_fifo(), GetParam()), expected);
}

// --- cancellation ------------------------------------------------------------------

struct cancel_report {
    bool threw_cancelled = false;
    bool task_cancelled = false;
    weft::clock::duration cancel_to_done{};
    std::vector<std::string> events;
};

static weft::coro<cancel_report> cancel_long_sleep() {
    event_log log;
    cancel_report r;
    auto t = weft::create_task(weft_test::cancellable_sleeper(&log, "s"));
    co_await weft::sleep(2ms);  // t is now inside sleep(1h)
    const auto start = weft::clock::now();
    EXPECT_TRUE(t.cancel());
    try {
        co_await t;
    } catch (const weft::cancelled_error&) {
        r.threw_cancelled = true;
    }
    r.cancel_to_done = weft::clock::now() - start;
    r.task_cancelled = t.cancelled();
    r.events = log.events();
    co_return r;
}

TEST_P(SleepOnWorkers, CancelDuringSleepThrowsCancelledInsideAndEndsPromptly) {
    const auto start = std::chrono::steady_clock::now();
    auto r = weft_test::run(cancel_long_sleep(), GetParam());
    const auto wall = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(r.threw_cancelled);
    EXPECT_TRUE(r.task_cancelled);
    const std::vector<std::string> expected = {"s:cancelled", "s:cleanup"};
    EXPECT_EQ(r.events, expected);
    EXPECT_LT(r.cancel_to_done, 1s);
    // The cancelled sleep(1h) leaves nothing behind that keeps the run going.
    EXPECT_LT(wall, 2s);
}

static weft::coro<void> plain_sleep(weft::clock::duration d) { co_await weft::sleep(d); }

static weft::coro<void> named_sleep(event_log* log, std::string name, weft::clock::duration d) {
    co_await weft::sleep(d);
    log->add(name);
}

static weft::coro<void> probe_sleep(event_log* log) {
    co_await weft::sleep(10ms);
    log->add("probe");
}

static weft::coro<std::vector<std::string>> cancelled_timer_is_removed() {
    // Cancel short sleeps, then start longer sleeps of the same shape, whose
    // frames reuse the cancelled frames' memory, and a short probe sleep. A
    // timer left in the heap would point into a destroyed (or reused) frame:
    // a use after free, and a heap whose top reports the wrong deadline, so
    // the probe would not wake before the long sleeps.
    event_log log;
    std::vector<weft::task<void>> cancelled;
    for (int i = 0; i < 16; ++i)
        cancelled.push_back(weft::create_task(named_sleep(&log, "cancelled", 5ms + 1ms * i)));
    co_await weft::sleep(0s);  // they all sleep now; none can have woken yet
    for (auto& t : cancelled) t.cancel();
    for (auto& t : cancelled) {
        try {
            co_await t;
        } catch (const weft::cancelled_error&) {
            log.add("cancelled ok");
        }
    }
    std::vector<weft::task<void>> later;
    for (int i = 0; i < 16; ++i) later.push_back(weft::create_task(named_sleep(&log, "long", 60ms)));
    auto probe = weft::create_task(probe_sleep(&log));
    co_await probe;
    for (auto& t : later) co_await t;
    co_return log.events();
}

TEST_P(SleepOnWorkers, CancelledSleepRemovesItsTimer) {
    std::vector<std::string> expected(16, "cancelled ok");
    expected.push_back("probe");
    for (int i = 0; i < 16; ++i) expected.push_back("long");
    EXPECT_EQ(weft_test::run(cancelled_timer_is_removed(), GetParam()), expected);
}

static weft::coro<bool> cancel_from_another_thread() {
    event_log log;
    auto t = weft::create_task(weft_test::cancellable_sleeper(&log, "s"));
    co_await weft::sleep(1ms);
    std::thread canceller([t]() mutable { t.cancel("from a thread"); });
    bool cancelled = false;
    std::string message;
    try {
        co_await t;
    } catch (const weft::cancelled_error& e) {
        cancelled = true;
        message = e.message();
    }
    canceller.join();
    EXPECT_EQ(message, "from a thread");
    co_return cancelled && t.cancelled() && log.contains("s:cleanup");
}

TEST_P(SleepOnWorkers, CancelFromAnotherThreadInterruptsTheSleep) {
    EXPECT_TRUE(weft_test::run(cancel_from_another_thread(), GetParam()));
}

static weft::coro<bool> cancel_before_sleep() {
    // A task cancelled while running reaches its next sleep with the request
    // pending: even sleep(0) throws.
    bool threw = false;
    EXPECT_TRUE(weft::current_task().cancel());
    try {
        co_await weft::sleep(0s);
    } catch (const weft::cancelled_error&) {
        threw = true;
    }
    co_return threw;
}

static weft::coro<bool> run_cancel_before_sleep() {
    auto t = weft::create_task(cancel_before_sleep());
    co_return co_await t;
}

TEST_P(SleepOnWorkers, PendingCancelIsThrownByTheNextSleep) {
    EXPECT_TRUE(weft_test::run(run_cancel_before_sleep(), GetParam()));
}

static weft::coro<void> sleep_hours_max() { co_await weft::sleep(std::chrono::hours::max()); }

static weft::coro<bool> huge_duration_sleep() {
    // clock::duration::max() is the usual spelling of "forever"; hours::max()
    // does not even fit the clock's nanoseconds.
    auto t = weft::create_task(plain_sleep(weft::clock::duration::max()));
    auto u = weft::create_task(sleep_hours_max());
    co_await weft::sleep(20ms);
    const bool t_done = t.done();
    const bool u_done = u.done();
    EXPECT_FALSE(t_done) << "sleep(clock::duration::max()) returned at once";
    EXPECT_FALSE(u_done) << "sleep(hours::max()) returned at once";
    t.cancel();
    u.cancel();
    co_return !t_done && !u_done;
}

TEST_P(SleepOnWorkers, HugeDurationsDoNotWakeAtOnce) {
    EXPECT_TRUE(weft_test::run(huge_duration_sleep(), GetParam()));
}

static weft::coro<void> spin_yielding(int* rounds) {
    for (;;) {
        ++*rounds;
        co_await weft::sleep(0s);
    }
}

static weft::coro<bool> cancel_a_yielding_task() {
    int rounds = 0;
    auto t = weft::create_task(spin_yielding(&rounds));
    while (rounds < 5) co_await weft::sleep(0s);
    t.cancel();
    bool cancelled = false;
    try {
        co_await t;
    } catch (const weft::cancelled_error&) {
        cancelled = true;
    }
    const int at_cancel = rounds;
    co_await weft::sleep(1ms);
    EXPECT_EQ(rounds, at_cancel);  // it no longer runs
    co_return cancelled && t.cancelled();
}

TEST_P(SleepOnWorkers, CancelReachesATaskThatOnlyYields) {
    EXPECT_TRUE(weft_test::run(cancel_a_yielding_task(), GetParam()));
}

// --- many sleeps ---------------------------------------------------------------------

// 100,000 normally; fewer under ThreadSanitizer, which slows every task
// switch down several times, so that the test stays well under 3 s there.
#if defined(__SANITIZE_THREAD__)
constexpr int kSleepers = 50000;
#else
constexpr int kSleepers = 100000;
#endif

struct many_report {
    int completed = 0;
    int early = 0;
};

static weft::coro<void> counted_sleep(many_report* r) {
    const auto start = weft::clock::now();
    co_await weft::sleep(10ms);
    if (weft::clock::now() - start < 10ms) ++r->early;
    ++r->completed;
}

static weft::coro<many_report> many_sleeps() {
    many_report r;
    std::vector<weft::task<void>> ts;
    ts.reserve(kSleepers);
    for (int i = 0; i < kSleepers; ++i) ts.push_back(weft::create_task(counted_sleep(&r)));
    co_await weft::gather(std::move(ts));
    co_return r;
}

TEST(Sleep, HundredThousandConcurrentSleepsAllComplete) {
    const auto start = std::chrono::steady_clock::now();
    auto r = weft_test::run(many_sleeps(), 1);
    const auto wall = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.completed, kSleepers);
    EXPECT_EQ(r.early, 0);
    EXPECT_LT(wall, 5s);
}

TEST(Sleep, AwaitingOutsideATaskIsAnError) {
    // sleep() suspends a task: outside one, suspending throws weft::error.
    auto aw = weft::sleep(1ms);
    EXPECT_THROW((void)aw.await_suspend(std::noop_coroutine()), weft::error);
}

} // namespace
