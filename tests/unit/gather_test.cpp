// weft::gather and weft::gather_settled (asyncio.gather, with and without
// return_exceptions).
#include "support/combinators.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

using namespace std::chrono_literals;
using weft_test::event_log;
using weft_test::fail_after;
using weft_test::logged_value_after;
using weft_test::test_failure;
using weft_test::value_after;

namespace {

class GatherOnWorkers : public ::testing::TestWithParam<unsigned> {};
INSTANTIATE_TEST_SUITE_P(Gather, GatherOnWorkers, weft_test::worker_counts(), weft_test::workers_name);

class GatherSettledOnWorkers : public ::testing::TestWithParam<unsigned> {};
INSTANTIATE_TEST_SUITE_P(GatherSettled, GatherSettledOnWorkers, weft_test::worker_counts(),
                         weft_test::workers_name);

static weft::coro<std::string> string_after(std::chrono::milliseconds d, std::string s) {
    co_await weft::sleep(d);
    co_return s;
}

static weft::coro<double> double_after(std::chrono::milliseconds d, double v) {
    co_await weft::sleep(d);
    co_return v;
}

static weft::coro<void> void_after(std::chrono::milliseconds d, std::atomic<int>* counter) {
    co_await weft::sleep(d);
    ++*counter;
}

static weft::coro<std::unique_ptr<int>> ptr_after(std::chrono::milliseconds d, int v) {
    co_await weft::sleep(d);
    co_return std::make_unique<int>(v);
}

/// Waits for the gate, then sets *flag and returns the gate's value.
static weft::coro<int> flag_after_gate(weft::future<int> gate, std::atomic<bool>* flag) {
    int v = co_await gate;
    flag->store(true);
    co_return v;
}

static weft::coro<int> gated(weft::future<int> gate) { co_return co_await gate; }

static weft::coro<void> set_future_after(weft::future<int> f, std::chrono::milliseconds d, int v) {
    co_await weft::sleep(d);
    f.set_result(v);
}

// --- order and types -----------------------------------------------------------------

struct ordered_report {
    std::tuple<int, int, int> values;
    std::vector<std::string> completion;
};

static weft::coro<ordered_report> gather_out_of_order() {
    event_log log;
    ordered_report r;
    r.values = co_await weft::gather(logged_value_after(&log, "a", 30ms, 1),
                                     logged_value_after(&log, "b", 10ms, 2),
                                     logged_value_after(&log, "c", 20ms, 3));
    r.completion = log.events();
    co_return r;
}

TEST_P(GatherOnWorkers, ResultsComeInArgumentOrderNotCompletionOrder) {
    auto r = weft_test::run(gather_out_of_order(), GetParam());
    EXPECT_EQ(r.values, std::make_tuple(1, 2, 3));
    const std::vector<std::string> completion = {"b", "c", "a"};
    EXPECT_EQ(r.completion, completion);
}

static weft::coro<bool> gather_mixed_types() {
    std::atomic<int> voids{0};
    auto r = co_await weft::gather(value_after(5ms, 7), string_after(1ms, "seven"), void_after(3ms, &voids),
                                   double_after(0ms, 7.5));
    static_assert(std::is_same_v<decltype(r), std::tuple<int, std::string, std::monostate, double>>);
    EXPECT_EQ(std::get<0>(r), 7);
    EXPECT_EQ(std::get<1>(r), "seven");
    EXPECT_EQ(std::get<3>(r), 7.5);
    co_return voids.load() == 1;
}

TEST_P(GatherOnWorkers, TupleOfMixedTypes) { EXPECT_TRUE(weft_test::run(gather_mixed_types(), GetParam())); }

static weft::coro<int> gather_voids() {
    std::atomic<int> voids{0};
    auto r = co_await weft::gather(void_after(2ms, &voids), void_after(1ms, &voids), void_after(0ms, &voids));
    static_assert(std::is_same_v<decltype(r), std::tuple<std::monostate, std::monostate, std::monostate>>);
    co_return voids.load();
}

TEST_P(GatherOnWorkers, VoidResultsAreMonostate) { EXPECT_EQ(weft_test::run(gather_voids(), GetParam()), 3); }

static weft::coro<std::vector<int>> gather_vector_of_coros() {
    std::vector<weft::coro<int>> cs;
    for (int i = 0; i < 6; ++i) cs.push_back(value_after(std::chrono::milliseconds(2 * (6 - i)), i));
    auto r = co_await weft::gather(std::move(cs));
    static_assert(std::is_same_v<decltype(r), std::vector<int>>);
    co_return r;
}

TEST_P(GatherOnWorkers, VectorOfCoros) {
    const std::vector<int> expected = {0, 1, 2, 3, 4, 5};
    EXPECT_EQ(weft_test::run(gather_vector_of_coros(), GetParam()), expected);
}

static weft::coro<std::vector<int>> gather_vector_of_tasks() {
    std::vector<weft::task<int>> ts;
    for (int i = 0; i < 5; ++i) ts.push_back(weft::create_task(value_after(std::chrono::milliseconds(5 - i), 10 * i)));
    std::vector<weft::task<int>> copy = ts;
    auto r = co_await weft::gather(std::move(copy));
    // The caller's handles still hold their results.
    for (int i = 0; i < 5; ++i) EXPECT_EQ(ts[static_cast<std::size_t>(i)].result(), 10 * i);
    co_return r;
}

TEST_P(GatherOnWorkers, VectorOfTasks) {
    const std::vector<int> expected = {0, 10, 20, 30, 40};
    EXPECT_EQ(weft_test::run(gather_vector_of_tasks(), GetParam()), expected);
}

static weft::coro<std::size_t> gather_empty_vector() {
    std::vector<weft::coro<int>> none;
    auto r = co_await weft::gather(std::move(none));
    co_return r.size();
}

TEST_P(GatherOnWorkers, EmptyVectorGivesEmptyResult) {
    EXPECT_EQ(weft_test::run(gather_empty_vector(), GetParam()), 0u);
}

static weft::coro<std::tuple<int, int, int>> gather_coro_task_future() {
    weft::future<int> f;
    auto setter = weft::create_task(set_future_after(f, 5ms, 3));
    auto t = weft::create_task(value_after(1ms, 2));
    auto r = co_await weft::gather(value_after(3ms, 1), std::move(t), std::move(f));
    co_await setter;
    co_return r;
}

TEST_P(GatherOnWorkers, MixesCorosTasksAndFutures) {
    EXPECT_EQ(weft_test::run(gather_coro_task_future(), GetParam()), std::make_tuple(1, 2, 3));
}

static weft::coro<bool> gather_keeps_lvalue_handles() {
    weft::future<int> f;
    auto setter = weft::create_task(set_future_after(f, 2ms, 3));
    auto t = weft::create_task(value_after(1ms, 2));
    auto r = co_await weft::gather(t, f);
    co_await setter;
    EXPECT_EQ(r, std::make_tuple(2, 3));
    // Handles are copyable: passing them as lvalues must leave them usable,
    // as passing a task to asyncio.gather does.
    const bool task_kept = static_cast<bool>(t.raw_state());
    const bool future_kept = f.raw_state() != nullptr;
    EXPECT_TRUE(task_kept) << "gather(t, ...) emptied the caller's task handle";
    EXPECT_TRUE(future_kept) << "gather(..., f) emptied the caller's future handle";
    if (task_kept) {
        EXPECT_EQ(t.result(), 2);
    }
    if (future_kept) {
        EXPECT_EQ(f.result(), 3);
    }
    co_return task_kept && future_kept;
}

TEST_P(GatherOnWorkers, LvalueTaskAndFutureHandlesStayUsable) {
    EXPECT_TRUE(weft_test::run(gather_keeps_lvalue_handles(), GetParam()));
}

static weft::coro<bool> gather_starts_children_at_call() {
    event_log log;
    const std::size_t before = weft::all_tasks().size();
    auto g = weft::gather(logged_value_after(&log, "a", 0ms, 1), logged_value_after(&log, "b", 0ms, 2));
    // Both children are tasks already, before anything awaits the gather.
    const std::size_t after = weft::all_tasks().size();
    EXPECT_EQ(after, before + 2);
    co_await weft::sleep(5ms);
    // ... and they ran meanwhile.
    EXPECT_EQ(log.size(), 2u);
    const bool ran_before_await = log.size() == 2;
    auto r = co_await std::move(g);
    EXPECT_EQ(r, std::make_tuple(1, 2));
    co_return ran_before_await && after == before + 2;
}

TEST_P(GatherOnWorkers, ChildrenStartAtTheCallNotAtTheAwait) {
    EXPECT_TRUE(weft_test::run(gather_starts_children_at_call(), GetParam()));
}

static weft::coro<int> log_start(event_log* log, std::string name) {
    log->add(name);
    co_await weft::sleep(0s);
    co_return 0;
}

static weft::coro<std::vector<std::string>> gather_start_order() {
    event_log log;
    co_await weft::gather(log_start(&log, "a"), log_start(&log, "b"), log_start(&log, "c"));
    std::vector<weft::coro<int>> cs;
    cs.push_back(log_start(&log, "x"));
    cs.push_back(log_start(&log, "y"));
    cs.push_back(log_start(&log, "z"));
    co_await weft::gather(std::move(cs));
    co_return log.events();
}

TEST_P(GatherOnWorkers, ChildrenStartInArgumentOrder) {
    const std::vector<std::string> expected = {"a", "b", "c", "x", "y", "z"};
    std::vector<std::string> got = weft_test::run(gather_start_order(), GetParam());
    if (GetParam() == 1) {
        EXPECT_EQ(got, expected);
        return;
    }
    // On several workers the children may start at the same time on
    // different workers: each starts once, and the second gather's children
    // start after the first gather completed.
    ASSERT_EQ(got.size(), expected.size());
    std::vector<std::string> first(got.begin(), got.begin() + 3), second(got.begin() + 3, got.end());
    std::sort(first.begin(), first.end());
    std::sort(second.begin(), second.end());
    EXPECT_EQ(first, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(second, (std::vector<std::string>{"x", "y", "z"}));
}

static weft::coro<bool> gather_move_only() {
    auto r = co_await weft::gather(ptr_after(5ms, 1), ptr_after(1ms, 2));
    static_assert(std::is_same_v<decltype(r), std::tuple<std::unique_ptr<int>, std::unique_ptr<int>>>);
    bool ok = std::get<0>(r) && std::get<1>(r) && *std::get<0>(r) == 1 && *std::get<1>(r) == 2;

    std::vector<weft::coro<std::unique_ptr<int>>> cs;
    for (int i = 0; i < 4; ++i) cs.push_back(ptr_after(std::chrono::milliseconds(4 - i), i));
    auto v = co_await weft::gather(std::move(cs));
    EXPECT_EQ(v.size(), 4u);
    for (std::size_t i = 0; i < v.size(); ++i) {
        EXPECT_TRUE(v[i]);
        if (v[i]) {
            EXPECT_EQ(*v[i], static_cast<int>(i));
        }
        ok = ok && v[i] && *v[i] == static_cast<int>(i);
    }
    co_return ok;
}

TEST_P(GatherOnWorkers, MoveOnlyResultsFromCoros) { EXPECT_TRUE(weft_test::run(gather_move_only(), GetParam())); }

// --- failures ------------------------------------------------------------------------

struct failure_report {
    std::string caught;
    bool slow_done_when_caught = true;
    bool slow_finished_later = false;
    weft::clock::duration caught_after{};
};

static weft::coro<failure_report> gather_first_exception() {
    failure_report r;
    std::atomic<bool> slow_done{false};
    weft::future<int> gate;
    const auto start = weft::clock::now();
    try {
        co_await weft::gather(flag_after_gate(gate, &slow_done), fail_after(5ms, "boom"));
    } catch (const test_failure& e) {
        r.caught = e.what();
        r.slow_done_when_caught = slow_done.load();
    }
    r.caught_after = weft::clock::now() - start;
    // The other child was not cancelled: released now, it finishes.
    gate.set_result(1);
    r.slow_finished_later = co_await weft_test::eventually(&slow_done);
    co_return r;
}

TEST_P(GatherOnWorkers, FirstExceptionPropagatesAtOnceAndOthersKeepRunning) {
    auto r = weft_test::run(gather_first_exception(), GetParam());
    EXPECT_EQ(r.caught, "boom");
    EXPECT_FALSE(r.slow_done_when_caught);
    EXPECT_TRUE(r.slow_finished_later);
}

static weft::coro<bool> gather_first_exception_with_tasks() {
    weft::future<int> gate;
    auto slow = weft::create_task(gated(gate));
    std::vector<weft::task<int>> ts;
    ts.push_back(weft::create_task(fail_after(2ms, "vector boom")));
    ts.push_back(slow);
    std::string caught;
    try {
        co_await weft::gather(std::move(ts));
    } catch (const test_failure& e) {
        caught = e.what();
    }
    EXPECT_EQ(caught, "vector boom");
    EXPECT_FALSE(slow.done());
    gate.set_result(9);
    const int v = co_await slow;
    EXPECT_EQ(v, 9);
    co_return caught == "vector boom" && v == 9 && !slow.cancelled();
}

TEST_P(GatherOnWorkers, VectorFormPropagatesTheFirstExceptionAndLeavesTheRest) {
    EXPECT_TRUE(weft_test::run(gather_first_exception_with_tasks(), GetParam()));
}

static weft::coro<std::string> gather_earliest_failure_wins() {
    try {
        co_await weft::gather(fail_after(30ms, "late"), fail_after(2ms, "early"), value_after(1ms, 0));
    } catch (const test_failure& e) {
        co_return e.what();
    }
    co_return "no exception";
}

TEST_P(GatherOnWorkers, TheFirstFailureInTimeIsTheOnePropagated) {
    EXPECT_EQ(weft_test::run(gather_earliest_failure_wins(), GetParam()), "early");
}

static weft::coro<std::string> gather_already_failed_child() {
    auto failed = weft::create_task(fail_after(0ms, "already"));
    co_await weft::sleep(3ms);
    EXPECT_TRUE(failed.done());
    try {
        co_await weft::gather(value_after(1h, 0), weft::task<int>(failed));
    } catch (const test_failure& e) {
        co_return e.what();
    }
    co_return "no exception";
}

TEST_P(GatherOnWorkers, AChildThatFailedBeforeTheAwaitFailsTheGather) {
    EXPECT_EQ(weft_test::run(gather_already_failed_child(), GetParam()), "already");
}

static weft::coro<bool> gather_child_cancelled() {
    auto victim = weft::create_task(value_after(1h, 0));
    weft::future<int> gate;
    auto other = weft::create_task(gated(gate));
    auto canceller = weft::create_task(weft_test::cancel_after(victim, 3ms));
    bool cancelled = false;
    try {
        co_await weft::gather(weft::task<int>(victim), weft::task<int>(other));
    } catch (const weft::cancelled_error&) {
        cancelled = true;
    }
    co_await canceller;
    EXPECT_TRUE(cancelled);
    EXPECT_TRUE(victim.cancelled());
    // The gather itself was not cancelled, so its other child goes on.
    EXPECT_FALSE(other.done());
    gate.set_result(1);
    const int v = co_await other;
    co_return cancelled && v == 1;
}

TEST_P(GatherOnWorkers, ACancelledChildMakesGatherThrowCancelled) {
    EXPECT_TRUE(weft_test::run(gather_child_cancelled(), GetParam()));
}

static weft::coro<void> await_gather_of(weft::task<int> a, weft::task<int> b) {
    co_await weft::gather(std::move(a), std::move(b));
}

static weft::coro<void> await_gather_of_sleepers(event_log* log) {
    co_await weft::gather(weft_test::cancellable_sleeper(log, "a"), weft_test::cancellable_sleeper(log, "b"));
}

static weft::coro<bool> cancel_task_awaiting_gather() {
    event_log log;
    auto a = weft::create_task(weft_test::cancellable_sleeper(&log, "a"));
    auto b = weft::create_task(weft_test::cancellable_sleeper(&log, "b"));
    auto outer = weft::create_task(await_gather_of(a, b));
    co_await weft::sleep(2ms);
    outer.cancel();
    bool outer_threw = false;
    try {
        co_await outer;
    } catch (const weft::cancelled_error&) {
        outer_threw = true;
    }
    EXPECT_TRUE(outer_threw);
    EXPECT_TRUE(outer.cancelled());
    std::vector<weft::task<int>> children;
    children.push_back(a);
    children.push_back(b);
    for (auto& t : children) {
        try {
            co_await t;
        } catch (const weft::cancelled_error&) {
        }
    }
    EXPECT_TRUE(a.cancelled());
    EXPECT_TRUE(b.cancelled());
    EXPECT_TRUE(log.contains("a:cleanup"));
    EXPECT_TRUE(log.contains("b:cleanup"));
    co_return outer_threw && a.cancelled() && b.cancelled();
}

TEST_P(GatherOnWorkers, CancellingTheAwaitingTaskCancelsEveryChild) {
    EXPECT_TRUE(weft_test::run(cancel_task_awaiting_gather(), GetParam()));
}

static weft::coro<std::vector<std::string>> cancel_task_awaiting_gather_of_coros() {
    event_log log;
    auto outer = weft::create_task(await_gather_of_sleepers(&log));
    co_await weft::sleep(2ms);
    outer.cancel();
    try {
        co_await outer;
    } catch (const weft::cancelled_error&) {
        log.add("outer:cancelled");
    }
    for (int i = 0; i < 2000 && !(log.contains("a:cleanup") && log.contains("b:cleanup")); ++i)
        co_await weft::sleep(1ms);
    co_return log.events();
}

TEST_P(GatherOnWorkers, CancellingTheAwaitingTaskCancelsCoroChildren) {
    auto events = weft_test::run(cancel_task_awaiting_gather_of_coros(), GetParam());
    auto has = [&](const std::string& e) { return std::find(events.begin(), events.end(), e) != events.end(); };
    EXPECT_TRUE(has("outer:cancelled"));
    EXPECT_TRUE(has("a:cancelled"));
    EXPECT_TRUE(has("b:cancelled"));
    EXPECT_TRUE(has("a:cleanup"));
    EXPECT_TRUE(has("b:cleanup"));
    EXPECT_FALSE(has("a:done"));
    EXPECT_FALSE(has("b:done"));
}

static weft::coro<void> await_gather_with_future(weft::future<int> f, weft::task<int> t) {
    co_await weft::gather(std::move(f), std::move(t));
}

static weft::coro<bool> cancel_gather_of_future() {
    weft::future<int> f;
    auto t = weft::create_task(value_after(1h, 0));
    auto outer = weft::create_task(await_gather_with_future(f, t));
    co_await weft::sleep(2ms);
    outer.cancel();
    bool threw = false;
    try {
        co_await outer;
    } catch (const weft::cancelled_error&) {
        threw = true;
    }
    // Cancelling the gather cancels a future child too.
    EXPECT_TRUE(f.cancelled());
    try {
        co_await t;
    } catch (const weft::cancelled_error&) {
    }
    EXPECT_TRUE(t.cancelled());
    co_return threw && f.cancelled() && t.cancelled();
}

TEST_P(GatherOnWorkers, CancellingTheAwaitingTaskCancelsFutureChildren) {
    EXPECT_TRUE(weft_test::run(cancel_gather_of_future(), GetParam()));
}

static weft::coro<int> swallow_cancel(std::atomic<bool>* swallowed) {
    try {
        co_await weft::sleep(1h);
    } catch (const weft::cancelled_error&) {
        swallowed->store(true);
    }
    co_return 5;
}

static weft::coro<void> await_gather_of_swallowers(std::atomic<bool>* a, std::atomic<bool>* b, event_log* log) {
    auto r = co_await weft::gather(swallow_cancel(a), swallow_cancel(b));
    log->add("outer:returned " + std::to_string(std::get<0>(r) + std::get<1>(r)));
}

static weft::coro<std::vector<std::string>> cancel_gather_of_swallowers() {
    event_log log;
    std::atomic<bool> a{false}, b{false};
    auto outer = weft::create_task(await_gather_of_swallowers(&a, &b, &log));
    co_await weft::sleep(2ms);
    outer.cancel();
    try {
        co_await outer;
        log.add("main:outer finished");
    } catch (const weft::cancelled_error&) {
        log.add("main:outer cancelled");
    }
    EXPECT_TRUE(a.load());
    EXPECT_TRUE(b.load());
    co_return log.events();
}

TEST_P(GatherOnWorkers, CancellationOfTheAwaiterPropagatesEvenIfChildrenSwallowIt) {
    // As asyncio.gather (and weft::gather_settled): once the gather was
    // cancelled, awaiting it raises the cancellation whatever the children did.
    EXPECT_EQ(weft_test::run(cancel_gather_of_swallowers(), GetParam()),
              std::vector<std::string>(1, "main:outer cancelled"));
}

// --- other threads -------------------------------------------------------------------

static weft::coro<std::vector<int>> gather_futures_set_by_thread() {
    std::vector<weft::future<int>> fs(4);
    std::vector<weft::future<int>> copy = fs;
    std::thread setter([copy]() mutable {
        for (int i = 3; i >= 0; --i) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            copy[static_cast<std::size_t>(i)].set_result(i * 10);
        }
    });
    auto r = co_await weft::gather(fs);
    setter.join();
    co_return r;
}

TEST_P(GatherOnWorkers, FuturesCompletedFromAnotherThread) {
    const std::vector<int> expected = {0, 10, 20, 30};
    for (int round = 0; round < 5; ++round)
        EXPECT_EQ(weft_test::run(gather_futures_set_by_thread(), GetParam()), expected);
}

static weft::coro<bool> cancel_gather_from_thread() {
    event_log log;
    auto a = weft::create_task(weft_test::cancellable_sleeper(&log, "a"));
    auto b = weft::create_task(weft_test::cancellable_sleeper(&log, "b"));
    auto outer = weft::create_task(await_gather_of(a, b));
    co_await weft::sleep(1ms);
    std::thread canceller([outer]() mutable { outer.cancel(); });
    bool threw = false;
    try {
        co_await outer;
    } catch (const weft::cancelled_error&) {
        threw = true;
    }
    canceller.join();
    std::vector<weft::task<int>> children;
    children.push_back(a);
    children.push_back(b);
    for (auto& t : children) {
        try {
            co_await t;
        } catch (const weft::cancelled_error&) {
        }
    }
    co_return threw && a.cancelled() && b.cancelled();
}

TEST_P(GatherOnWorkers, CancelFromAnotherThreadCancelsTheChildren) {
    EXPECT_TRUE(weft_test::run(cancel_gather_from_thread(), GetParam()));
}

static weft::coro<int> await_gather_one(weft::future<int> f) {
    auto r = co_await weft::gather(std::move(f));
    co_return std::get<0>(r);
}

struct race_report {
    int rounds = 0;
    int values = 0;
    int cancellations = 0;
    int anomalies = 0;
};

static weft::coro<race_report> completion_races_cancel(int rounds) {
    race_report r;
    for (int i = 0; i < rounds; ++i) {
        weft::future<int> f;
        auto outer = weft::create_task(await_gather_one(f));
        co_await weft::sleep(0s);  // outer is now waiting on the gather
        std::thread setter([f]() mutable {
            try {
                f.set_result(7);
            } catch (const weft::invalid_state_error&) {
                // The cancellation reached the future first.
            }
        });
        std::thread canceller([outer]() mutable { outer.cancel(); });
        int v = -1;
        bool cancelled = false;
        try {
            v = co_await outer;
        } catch (const weft::cancelled_error&) {
            cancelled = true;
        }
        setter.join();
        canceller.join();
        ++r.rounds;
        if (cancelled) {
            ++r.cancellations;
        } else {
            ++r.values;
            if (v != 7) ++r.anomalies;
        }
        // A future cancelled by the gather means the gather was cancelled.
        if (f.cancelled() && !cancelled) ++r.anomalies;
        if (!f.done()) ++r.anomalies;
    }
    co_return r;
}

TEST_P(GatherOnWorkers, CompletionFromOneThreadRacingCancelFromAnother) {
    auto r = weft_test::run(completion_races_cancel(100), GetParam());
    EXPECT_EQ(r.rounds, 100);
    EXPECT_EQ(r.values + r.cancellations, 100);
    EXPECT_EQ(r.anomalies, 0);
}

// --- gather_settled ------------------------------------------------------------------

static std::string what_of(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {
        return "(not a std::exception)";
    }
}

static weft::coro<bool> settled_mixture() {
    std::atomic<int> voids{0};
    auto victim = weft::create_task(value_after(1h, 0));
    auto canceller = weft::create_task(weft_test::cancel_after(victim, 3ms));
    auto r = co_await weft::gather_settled(value_after(5ms, 1), fail_after(2ms, "settled boom"), victim,
                                           void_after(1ms, &voids));
    co_await canceller;
    static_assert(std::is_same_v<decltype(r), std::tuple<weft::outcome<int>, weft::outcome<int>,
                                                         weft::outcome<int>, weft::outcome<void>>>);
    auto& [value, failure, cancelled, nothing] = r;

    EXPECT_TRUE(value.has_value());
    EXPECT_FALSE(value.has_exception());
    EXPECT_FALSE(value.cancelled());
    EXPECT_EQ(value.value(), 1);
    EXPECT_EQ(value.exception(), nullptr);

    EXPECT_TRUE(failure.has_exception());
    EXPECT_FALSE(failure.has_value());
    EXPECT_EQ(what_of(failure.exception()), "settled boom");
    EXPECT_THROW((void)failure.value(), test_failure);

    EXPECT_TRUE(cancelled.cancelled());
    EXPECT_FALSE(cancelled.has_value());
    EXPECT_EQ(cancelled.exception(), nullptr);
    EXPECT_THROW((void)cancelled.value(), weft::cancelled_error);

    EXPECT_TRUE(nothing.has_value());
    EXPECT_EQ(voids.load(), 1);
    co_return value.has_value() && failure.has_exception() && cancelled.cancelled() && nothing.has_value();
}

TEST_P(GatherSettledOnWorkers, OutcomesForValueExceptionAndCancellation) {
    EXPECT_TRUE(weft_test::run(settled_mixture(), GetParam()));
}

static weft::coro<bool> settled_vector() {
    std::vector<weft::coro<int>> cs;
    cs.push_back(fail_after(1ms, "zero"));
    cs.push_back(value_after(3ms, 1));
    cs.push_back(fail_after(5ms, "two"));
    cs.push_back(value_after(0ms, 3));
    auto r = co_await weft::gather_settled(std::move(cs));
    static_assert(std::is_same_v<decltype(r), std::vector<weft::outcome<int>>>);
    EXPECT_EQ(r.size(), 4u);
    if (r.size() != 4) co_return false;
    EXPECT_EQ(what_of(r[0].exception()), "zero");
    EXPECT_EQ(r[1].value(), 1);
    EXPECT_EQ(what_of(r[2].exception()), "two");
    EXPECT_EQ(r[3].value(), 3);
    co_return r[0].has_exception() && r[1].has_value() && r[2].has_exception() && r[3].has_value();
}

TEST_P(GatherSettledOnWorkers, VectorFormKeepsArgumentOrder) {
    EXPECT_TRUE(weft_test::run(settled_vector(), GetParam()));
}

static weft::coro<int> settled_all_fail() {
    std::vector<weft::task<int>> ts;
    for (int i = 0; i < 5; ++i) ts.push_back(weft::create_task(fail_after(std::chrono::milliseconds(i), "x")));
    ts.push_back(weft::create_task(value_after(1h, 0)));
    ts.back().cancel();
    int failures = 0;
    auto r = co_await weft::gather_settled(std::move(ts));  // must not throw
    for (auto& o : r)
        if (o.has_exception() || o.cancelled()) ++failures;
    co_return failures;
}

TEST_P(GatherSettledOnWorkers, NeverThrowsForAChild) {
    EXPECT_EQ(weft_test::run(settled_all_fail(), GetParam()), 6);
}

static weft::coro<bool> settled_move_only() {
    auto r = co_await weft::gather_settled(ptr_after(2ms, 4), ptr_after(0ms, 5));
    auto& [a, b] = r;
    co_return a.has_value() && b.has_value() && a.value() && *a.value() == 4 && b.value() && *b.value() == 5;
}

TEST_P(GatherSettledOnWorkers, MoveOnlyResults) { EXPECT_TRUE(weft_test::run(settled_move_only(), GetParam())); }

static weft::coro<bool> settled_keeps_lvalue_handles() {
    auto t = weft::create_task(value_after(1ms, 2));
    auto r = co_await weft::gather_settled(t, value_after(0ms, 1));
    EXPECT_EQ(std::get<0>(r).value(), 2);
    const bool kept = static_cast<bool>(t.raw_state());
    EXPECT_TRUE(kept) << "gather_settled(t, ...) emptied the caller's task handle";
    if (kept) {
        EXPECT_EQ(t.result(), 2);
    }
    co_return kept;
}

TEST_P(GatherSettledOnWorkers, LvalueTaskHandleStaysUsable) {
    EXPECT_TRUE(weft_test::run(settled_keeps_lvalue_handles(), GetParam()));
}

static weft::coro<void> await_settled_sleepers(event_log* log) {
    auto r = co_await weft::gather_settled(weft_test::cancellable_sleeper(log, "a"),
                                           weft_test::cancellable_sleeper(log, "b"));
    log->add("outer:returned");
    (void)r;
}

static weft::coro<std::vector<std::string>> cancel_task_awaiting_settled() {
    event_log log;
    auto outer = weft::create_task(await_settled_sleepers(&log));
    co_await weft::sleep(2ms);
    outer.cancel();
    try {
        co_await outer;
    } catch (const weft::cancelled_error&) {
        log.add("outer:cancelled");
    }
    EXPECT_TRUE(outer.cancelled());
    co_return log.events();
}

TEST_P(GatherSettledOnWorkers, CancellingTheAwaiterCancelsChildrenAndThrowsCancelled) {
    auto events = weft_test::run(cancel_task_awaiting_settled(), GetParam());
    auto pos = [&](const std::string& e) {
        auto it = std::find(events.begin(), events.end(), e);
        return it == events.end() ? -1 : it - events.begin();
    };
    EXPECT_GE(pos("a:cancelled"), 0);
    EXPECT_GE(pos("b:cancelled"), 0);
    EXPECT_EQ(pos("outer:returned"), -1);
    ASSERT_GE(pos("outer:cancelled"), 0);
    // gather_settled waits for every child, cleanups included.
    EXPECT_LT(pos("a:cleanup"), pos("outer:cancelled"));
    EXPECT_LT(pos("b:cleanup"), pos("outer:cancelled"));
    EXPECT_GE(pos("a:cleanup"), 0);
    EXPECT_GE(pos("b:cleanup"), 0);
}

static weft::coro<void> await_settled_swallower(std::atomic<bool>* swallowed) {
    auto r = co_await weft::gather_settled(swallow_cancel(swallowed));
    (void)r;
}

static weft::coro<bool> cancel_settled_with_swallowing_child() {
    std::atomic<bool> swallowed{false};
    auto outer = weft::create_task(await_settled_swallower(&swallowed));
    co_await weft::sleep(2ms);
    outer.cancel();
    bool threw = false;
    try {
        co_await outer;
    } catch (const weft::cancelled_error&) {
        threw = true;
    }
    EXPECT_TRUE(swallowed.load());
    co_return threw;
}

TEST_P(GatherSettledOnWorkers, CancellationOfTheAwaiterPropagatesEvenIfChildrenSwallowIt) {
    EXPECT_TRUE(weft_test::run(cancel_settled_with_swallowing_child(), GetParam()));
}

} // namespace

// --- gather's result (a coro) where a coro is expected ------------------------------

namespace {

static weft::coro<bool> gather_as_a_task() {
    auto g = weft::gather(value_after(5ms, 1), value_after(1ms, 2));
    weft::task<std::tuple<int, int>> t = weft::create_task(std::move(g));
    auto [a, b] = co_await t;
    co_return a == 1 && b == 2 && t.done();
}

TEST_P(GatherOnWorkers, ItsResultCanBeMadeATask) {
    EXPECT_TRUE(weft_test::run(gather_as_a_task(), GetParam()));
}

static weft::coro<bool> gather_under_wait_for() {
    auto fast = weft::gather(value_after(1ms, 3), value_after(2ms, 4));
    auto [a, b] = co_await weft::wait_for(std::move(fast), 10s);
    bool timed_out = false;
    auto slow = weft::gather(value_after(10s, 5), value_after(1ms, 6));
    try {
        co_await weft::wait_for(std::move(slow), 20ms);
    } catch (const weft::timeout_error&) {
        timed_out = true;
    }
    co_return a == 3 && b == 4 && timed_out;
}

TEST_P(GatherOnWorkers, WaitForTakesItAndCancelsTheChildrenOnTimeout) {
    EXPECT_TRUE(weft_test::run(gather_under_wait_for(), GetParam()));
}

static weft::coro<int> gather_nested() {
    auto inner = weft::gather(value_after(1ms, 1), value_after(2ms, 2));
    auto outer = weft::gather(std::move(inner), value_after(1ms, 3));
    auto [pair, c] = co_await std::move(outer);
    co_return std::get<0>(pair) + std::get<1>(pair) + c;
}

TEST_P(GatherOnWorkers, NestsInsideAnotherGather) { EXPECT_EQ(weft_test::run(gather_nested(), GetParam()), 6); }

static weft::coro<std::string> gather_awaited_twice() {
    auto g = weft::gather(value_after(1ms, 1));
    co_await g;
    try {
        co_await g;
    } catch (const weft::error& e) {
        co_return e.what();
    }
    co_return "no error";
}

TEST_P(GatherOnWorkers, AwaitingTheSameGatherTwiceIsAnError) {
    EXPECT_NE(weft_test::run(gather_awaited_twice(), GetParam()).find("runs once"), std::string::npos);
}

static weft::coro<std::size_t> gather_vector_as_a_task() {
    std::vector<weft::coro<int>> cs;
    for (int i = 0; i < 5; ++i) cs.push_back(value_after(1ms, i));
    auto t = weft::create_task(weft::gather(std::move(cs)));
    std::vector<int> r = co_await t;
    co_return r.size();
}

TEST_P(GatherOnWorkers, TheVectorFormCanBeMadeATask) {
    EXPECT_EQ(weft_test::run(gather_vector_as_a_task(), GetParam()), 5u);
}

} // namespace
