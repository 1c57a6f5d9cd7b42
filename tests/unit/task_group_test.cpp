// weft::task_group (asyncio.TaskGroup).
#include "support/combinators.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using weft_test::cancellable_sleeper;
using weft_test::event_log;
using weft_test::fail_after;
using weft_test::logged_value_after;
using weft_test::test_failure;
using weft_test::value_after;

namespace {

class TaskGroupOnWorkers : public ::testing::TestWithParam<unsigned> {};
INSTANTIATE_TEST_SUITE_P(TaskGroup, TaskGroupOnWorkers, weft_test::worker_counts(), weft_test::workers_name);

std::string what_of(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (const weft::cancelled_error&) {
        return "cancelled_error";
    } catch (...) {
        return "(unknown)";
    }
}

std::vector<std::string> whats(const weft::exception_group& g) {
    std::vector<std::string> out;
    for (const auto& e : g.exceptions()) out.push_back(what_of(e));
    return out;
}

std::ptrdiff_t index_in(const std::vector<std::string>& v, const std::string& e) {
    auto it = std::find(v.begin(), v.end(), e);
    return it == v.end() ? -1 : it - v.begin();
}

static weft::coro<int> fail_now(std::string what) {
    throw test_failure(what);
    co_return 0;
}

/// Sleeps an hour; when cancelled, fails with test_failure(what) instead.
static weft::coro<int> fail_on_cancel(std::string what) {
    bool cancelled = false;
    try {
        co_await weft::sleep(1h);
    } catch (const weft::cancelled_error&) {
        cancelled = true;
    }
    if (cancelled) {
        co_await weft::sleep(1ms);
        throw test_failure(what);
    }
    co_return 0;
}

// --- success -------------------------------------------------------------------------------

static weft::coro<bool> join_waits_for_all() {
    event_log log;
    weft::task_group tg;
    auto a = tg.create_task(logged_value_after(&log, "a", 10ms, 1));
    auto b = tg.create_task(logged_value_after(&log, "b", 1ms, 2));
    auto c = tg.create_task(logged_value_after(&log, "c", 5ms, 3));
    EXPECT_EQ(tg.pending(), 3u);
    co_await tg.join();
    log.add("joined");
    EXPECT_EQ(tg.pending(), 0u);
    const std::vector<std::string> expected = {"b", "c", "a", "joined"};
    EXPECT_EQ(log.events(), expected);
    EXPECT_EQ(a.result() + b.result() + c.result(), 6);
    co_return log.events() == expected;
}

TEST_P(TaskGroupOnWorkers, JoinWaitsForEveryChild) { EXPECT_TRUE(weft_test::run(join_waits_for_all(), GetParam())); }

static weft::coro<bool> join_empty() {
    weft::task_group tg;
    co_await tg.join();
    co_return tg.pending() == 0;
}

TEST_P(TaskGroupOnWorkers, JoinWithoutChildrenReturns) { EXPECT_TRUE(weft_test::run(join_empty(), GetParam())); }

static weft::coro<int> spawner(weft::task_group* tg, event_log* log) {
    co_await weft::sleep(2ms);
    tg->create_task(logged_value_after(log, "grandchild", 20ms, 0));
    log->add("spawner");
    co_return 0;
}

static weft::coro<std::vector<std::string>> children_created_during_join() {
    event_log log;
    weft::task_group tg;
    tg.create_task(spawner(&tg, &log));
    tg.create_task(logged_value_after(&log, "sibling", 5ms, 0));
    co_await tg.join();
    log.add("joined");
    EXPECT_EQ(tg.pending(), 0u);
    co_return log.events();
}

TEST_P(TaskGroupOnWorkers, ChildrenCreatedDuringJoinAreAwaitedToo) {
    const std::vector<std::string> expected = {"spawner", "sibling", "grandchild", "joined"};
    EXPECT_EQ(weft_test::run(children_created_during_join(), GetParam()), expected);
}

// --- failures ------------------------------------------------------------------------------

struct failure_report {
    bool group_thrown = false;
    std::vector<std::string> errors;
    std::string what;
    std::vector<std::string> events;
    bool siblings_cancelled = false;
};

static weft::coro<failure_report> child_failure_cancels_siblings() {
    failure_report r;
    event_log log;
    weft::task_group tg;
    auto b = tg.create_task(cancellable_sleeper(&log, "b"));
    tg.create_task(fail_after(3ms, "child failed"));
    auto c = tg.create_task(cancellable_sleeper(&log, "c"));
    try {
        co_await tg.join();
    } catch (const weft::exception_group& g) {
        r.group_thrown = true;
        r.errors = whats(g);
        r.what = g.what();
        log.add("join threw");
    }
    r.siblings_cancelled = b.cancelled() && c.cancelled();
    r.events = log.events();
    co_return r;
}

TEST_P(TaskGroupOnWorkers, AChildExceptionCancelsTheSiblingsAndJoinThrowsAGroup) {
    auto r = weft_test::run(child_failure_cancels_siblings(), GetParam());
    EXPECT_TRUE(r.group_thrown);
    // Cancelled siblings contribute no exception.
    EXPECT_EQ(r.errors, std::vector<std::string>(1, "child failed"));
    EXPECT_NE(r.what.find("child failed"), std::string::npos);
    EXPECT_TRUE(r.siblings_cancelled);
    // join() waited for the siblings' cleanup before throwing.
    ASSERT_GE(index_in(r.events, "join threw"), 0);
    EXPECT_GE(index_in(r.events, "b:cleanup"), 0);
    EXPECT_GE(index_in(r.events, "c:cleanup"), 0);
    EXPECT_LT(index_in(r.events, "b:cleanup"), index_in(r.events, "join threw"));
    EXPECT_LT(index_in(r.events, "c:cleanup"), index_in(r.events, "join threw"));
    EXPECT_EQ(index_in(r.events, "b:done"), -1);
    EXPECT_EQ(index_in(r.events, "c:done"), -1);
}

static weft::coro<std::vector<std::string>> two_children_fail_at_once() {
    // Not stealable: both children wait in this loop's FIFO and run, in
    // order, before the group hears of the first failure. (Stealable
    // children may be cancelled by the first failure before they start.)
    weft::task_group tg;
    tg.create_task(fail_now("one"), weft_test::on_this_loop());
    tg.create_task(fail_now("two"), weft_test::on_this_loop());
    try {
        co_await tg.join();
    } catch (const weft::exception_group& g) {
        co_return whats(g);
    }
    co_return std::vector<std::string>{};
}

TEST_P(TaskGroupOnWorkers, TwoFailingChildrenGiveTwoExceptions) {
    const std::vector<std::string> expected = {"one", "two"};
    EXPECT_EQ(weft_test::run(two_children_fail_at_once(), GetParam()), expected);
}

static weft::coro<std::vector<std::string>> failure_during_cancellation() {
    weft::task_group tg;
    tg.create_task(fail_after(2ms, "first"));
    tg.create_task(fail_on_cancel("during cleanup"));
    try {
        co_await tg.join();
    } catch (const weft::exception_group& g) {
        co_return whats(g);
    }
    co_return std::vector<std::string>{};
}

TEST_P(TaskGroupOnWorkers, AChildFailingWhileBeingCancelledAddsItsException) {
    const std::vector<std::string> expected = {"first", "during cleanup"};
    EXPECT_EQ(weft_test::run(failure_during_cancellation(), GetParam()), expected);
}

static weft::coro<std::vector<std::string>> exceptions_in_finish_order() {
    weft::task_group tg;
    // Created first, fails last (while being cancelled).
    tg.create_task(fail_on_cancel("second"));
    tg.create_task(fail_after(2ms, "first"));
    try {
        co_await tg.join();
    } catch (const weft::exception_group& g) {
        co_return whats(g);
    }
    co_return std::vector<std::string>{};
}

TEST_P(TaskGroupOnWorkers, ExceptionsComeInTheOrderTheChildrenFinished) {
    // errors.hpp: "holding every child's exception, in the order the
    // children finished".
    const std::vector<std::string> expected = {"first", "second"};
    EXPECT_EQ(weft_test::run(exceptions_in_finish_order(), GetParam()), expected);
}

static weft::coro<bool> cancelled_child_is_not_a_failure() {
    weft::task_group tg;
    auto victim = tg.create_task(value_after(1h, 0));
    auto other = tg.create_task(value_after(5ms, 2));
    tg.create_task(weft_test::cancel_after(victim, 1ms));
    bool threw = false;
    try {
        co_await tg.join();
    } catch (...) {
        threw = true;
    }
    EXPECT_FALSE(threw);
    EXPECT_TRUE(victim.cancelled());
    // A cancelled child does not abort the group: its siblings finish.
    EXPECT_FALSE(other.cancelled());
    EXPECT_EQ(other.result(), 2);
    co_return !threw && victim.cancelled();
}

TEST_P(TaskGroupOnWorkers, CancelledChildrenContributeNoException) {
    EXPECT_TRUE(weft_test::run(cancelled_child_is_not_a_failure(), GetParam()));
}

static weft::coro<failure_report> failure_before_join() {
    failure_report r;
    event_log log;
    weft::task_group tg;
    auto sibling = tg.create_task(cancellable_sleeper(&log, "sibling"));
    tg.create_task(fail_after(1ms, "early"));
    // The failure cancels the sibling without join() being called.
    for (int i = 0; i < 2000 && !log.contains("sibling:cancelled"); ++i) co_await weft::sleep(1ms);
    EXPECT_TRUE(log.contains("sibling:cancelled"));
    try {
        co_await tg.join();
    } catch (const weft::exception_group& g) {
        r.group_thrown = true;
        r.errors = whats(g);
    }
    r.siblings_cancelled = sibling.cancelled();
    co_return r;
}

TEST_P(TaskGroupOnWorkers, AFailureBeforeJoinIsReportedByJoin) {
    auto r = weft_test::run(failure_before_join(), GetParam());
    EXPECT_TRUE(r.group_thrown);
    EXPECT_EQ(r.errors, std::vector<std::string>(1, "early"));
    EXPECT_TRUE(r.siblings_cancelled);
}

static weft::coro<int> swallow_then_finish(event_log* log) {
    try {
        co_await weft::sleep(1h);
    } catch (const weft::cancelled_error&) {
        log->add("swallowed");
    }
    co_await weft::sleep(5ms);
    log->add("finished after swallowing");
    co_return 3;
}

static weft::coro<std::vector<std::string>> failure_with_a_swallowing_sibling() {
    event_log log;
    weft::task_group tg;
    auto stubborn = tg.create_task(swallow_then_finish(&log));
    tg.create_task(fail_after(1ms, "x"));
    try {
        co_await tg.join();
    } catch (const weft::exception_group& g) {
        log.add("join threw " + std::to_string(g.exceptions().size()));
    }
    EXPECT_EQ(stubborn.result(), 3);
    co_return log.events();
}

TEST_P(TaskGroupOnWorkers, JoinWaitsForASiblingThatSwallowsTheCancellation) {
    const std::vector<std::string> expected = {"swallowed", "finished after swallowing", "join threw 1"};
    EXPECT_EQ(weft_test::run(failure_with_a_swallowing_sibling(), GetParam()), expected);
}

// --- cancellation of the joining task --------------------------------------------------------

static weft::coro<void> group_owner(event_log* log, bool with_failing_cleanup) {
    weft::task_group tg;
    tg.create_task(cancellable_sleeper(log, "a"));
    tg.create_task(cancellable_sleeper(log, "b"));
    if (with_failing_cleanup) tg.create_task(fail_on_cancel("cleanup failed"));
    try {
        co_await tg.join();
    } catch (const weft::cancelled_error&) {
        log->add("owner:cancelled");
        throw;
    } catch (const weft::exception_group& g) {
        log->add("owner:group " + whats(g).at(0));
        throw;
    }
}

static weft::coro<std::vector<std::string>> cancel_owner_in_join(bool with_failing_cleanup) {
    event_log log;
    auto owner = weft::create_task(group_owner(&log, with_failing_cleanup));
    co_await weft::sleep(2ms);
    owner.cancel();
    try {
        co_await owner;
    } catch (const weft::cancelled_error&) {
        log.add("main:cancelled");
    } catch (const weft::exception_group&) {
        log.add("main:group");
    }
    co_return log.events();
}

TEST_P(TaskGroupOnWorkers, CancellingTheJoiningTaskCancelsChildrenThenRethrows) {
    auto events = weft_test::run(cancel_owner_in_join(false), GetParam());
    const auto owner = index_in(events, "owner:cancelled");
    ASSERT_GE(owner, 0);
    for (const char* e : {"a:cancelled", "b:cancelled", "a:cleanup", "b:cleanup"}) {
        EXPECT_GE(index_in(events, e), 0) << e;
        EXPECT_LT(index_in(events, e), owner) << e << " after join rethrew";
    }
    EXPECT_EQ(events.back(), "main:cancelled");
}

TEST_P(TaskGroupOnWorkers, CancellingTheJoiningTaskWithFailingCleanupThrowsTheGroup) {
    auto events = weft_test::run(cancel_owner_in_join(true), GetParam());
    EXPECT_GE(index_in(events, "owner:group cleanup failed"), 0);
    EXPECT_EQ(index_in(events, "owner:cancelled"), -1);
    EXPECT_EQ(events.back(), "main:group");
}

// --- lifecycle ---------------------------------------------------------------------------------

static weft::coro<bool> create_task_after_failure() {
    weft::task_group tg;
    tg.create_task(fail_after(1ms, "x"));
    auto sibling = tg.create_task(value_after(1h, 0));
    // Once the failure has cancelled the sibling, the group is shutting down.
    for (int i = 0; i < 2000 && !sibling.done(); ++i) co_await weft::sleep(1ms);
    EXPECT_TRUE(sibling.cancelled());
    bool refused = false;
    try {
        tg.create_task(value_after(0ms, 0));
    } catch (const weft::error&) {
        refused = true;
    }
    try {
        co_await tg.join();
    } catch (const weft::exception_group&) {
    }
    co_return refused;
}

TEST_P(TaskGroupOnWorkers, CreateTaskWhileShuttingDownThrows) {
    EXPECT_TRUE(weft_test::run(create_task_after_failure(), GetParam()));
}

static weft::coro<bool> create_task_after_join() {
    weft::task_group tg;
    tg.create_task(value_after(1ms, 0));
    co_await tg.join();
    bool refused = false;
    try {
        tg.create_task(value_after(0ms, 0));
    } catch (const weft::error&) {
        refused = true;
    }
    co_return refused;
}

TEST_P(TaskGroupOnWorkers, CreateTaskAfterJoinThrows) {
    EXPECT_TRUE(weft_test::run(create_task_after_join(), GetParam()));
}

static weft::coro<bool> join_twice() {
    weft::task_group tg;
    tg.create_task(value_after(1ms, 0));
    co_await tg.join();
    bool threw = false;
    try {
        co_await tg.join();
    } catch (const weft::error&) {
        threw = true;
    }
    co_return threw;
}

TEST_P(TaskGroupOnWorkers, JoinTwiceThrows) { EXPECT_TRUE(weft_test::run(join_twice(), GetParam())); }

static weft::coro<std::vector<std::string>> destroyed_without_join() {
    event_log log;
    weft::task<int> a, b;
    {
        weft::task_group tg;
        a = tg.create_task(cancellable_sleeper(&log, "a"));
        b = tg.create_task(cancellable_sleeper(&log, "b"));
        co_await weft::sleep(1ms);
    }
    std::vector<weft::task<int>> children;
    children.push_back(a);
    children.push_back(b);
    for (auto& t : children) {
        try {
            co_await t;
        } catch (const weft::cancelled_error&) {
            log.add("main:child cancelled");
        }
    }
    EXPECT_TRUE(a.cancelled());
    EXPECT_TRUE(b.cancelled());
    co_return log.events();
}

TEST_P(TaskGroupOnWorkers, AGroupDestroyedWithoutJoinCancelsItsChildren) {
    auto events = weft_test::run(destroyed_without_join(), GetParam());
    EXPECT_GE(index_in(events, "a:cleanup"), 0);
    EXPECT_GE(index_in(events, "b:cleanup"), 0);
    EXPECT_EQ(std::count(events.begin(), events.end(), "main:child cancelled"), 2);
}

TEST(TaskGroup, ConstructingOutsideALoopThrows) { EXPECT_THROW(weft::task_group tg, weft::error); }

} // namespace
