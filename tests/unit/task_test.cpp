// weft::task<T>: scheduling, results, awaiting, names, current_task(),
// all_tasks(), ensure_future() and async stack traces.
#include <weft/weft.hpp>

#include "support/core_test.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

using namespace std::chrono_literals;
using weft_core_test::event_log;

namespace {

// --- coroutines used by the tests ---------------------------------------------

weft::coro<void> two_steps(event_log* log, std::string name) {
    log->add(name + "1");
    co_await weft::sleep(0ms);
    log->add(name + "2");
    co_await weft::sleep(0ms);
    log->add(name + "3");
}

weft::coro<int> value_after(std::chrono::milliseconds d, int v) {
    co_await weft::sleep(d);
    co_return v;
}

weft::coro<int> fail_after(std::chrono::milliseconds d, std::string what) {
    co_await weft::sleep(d);
    throw std::runtime_error(what);
}

weft::coro<int> wait_gate(weft::future<int>* gate) {
    int v = co_await *gate;
    co_return v;
}

weft::coro<void> sleep_long() { co_await weft::sleep(1h); }

weft::coro<std::unique_ptr<int>> make_unique_after(int v) {
    co_await weft::sleep(1ms);
    co_return std::make_unique<int>(v);
}

weft::coro<int> await_twice(weft::task<int> t) {
    int a = co_await t;
    int b = co_await t;
    co_return a + b;
}

weft::coro<void> store_current_task(weft::basic_task* out) {
    *out = weft::current_task();
    co_return;
}

weft::coro<weft::basic_task> current_task_inline() { co_return weft::current_task(); }

weft::coro<void> store_current_task_after_inline(weft::basic_task* out) {
    co_await weft::sleep(0ms);
    *out = co_await current_task_inline();
}

weft::coro<int> count_up(int* counter) {
    ++*counter;
    co_return *counter;
}

// Three levels of inline awaits for the async stack trace.
weft::coro<int> stack_inner(weft::future<int>* gate) {
    int v = co_await *gate;
    co_return v;
}
weft::coro<int> stack_middle(weft::future<int>* gate) {
    int v = co_await stack_inner(gate);
    co_return v + 1;
}
weft::coro<int> stack_outer(weft::future<int>* gate) {
    int v = co_await stack_middle(gate);
    co_return v + 1;
}

/// N for a name of the form "Task-N", else nothing.
std::optional<unsigned long> default_name_number(const std::string& name) {
    const std::string prefix = "Task-";
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    unsigned long n = 0;
    for (std::size_t i = prefix.size(); i < name.size(); ++i) {
        if (name[i] < '0' || name[i] > '9') return std::nullopt;
        n = n * 10 + static_cast<unsigned long>(name[i] - '0');
    }
    return n;
}

bool contains(const std::vector<weft::basic_task>& v, const weft::basic_task& t) {
    return std::find(v.begin(), v.end(), t) != v.end();
}

// --- test bodies -------------------------------------------------------------

weft::coro<void> runs_concurrently() {
    event_log log;
    auto a = weft::create_task(two_steps(&log, "a"), weft_test::on_this_loop());
    auto b = weft::create_task(two_steps(&log, "b"), weft_test::on_this_loop());
    // create_task schedules; it does not run the coroutine inline.
    EXPECT_EQ(log.size(), 0u);
    EXPECT_FALSE(a.done());
    co_await a;
    co_await b;
    EXPECT_EQ(log.events(), (std::vector<std::string>{"a1", "b1", "a2", "b2", "a3", "b3"}));
}

weft::coro<void> runs_without_being_awaited() {
    int counter = 0;
    auto t = weft::create_task(count_up(&counter));
    co_await weft_core_test::yield_n(2);
    EXPECT_EQ(counter, 1);
    EXPECT_TRUE(t.done());
    EXPECT_EQ(t.result(), 1);
}

weft::coro<void> result_states() {
    // Pending.
    weft::future<int> gate;
    auto pending = weft::create_task(wait_gate(&gate));
    co_await weft::sleep(0ms);
    EXPECT_FALSE(pending.done());
    EXPECT_FALSE(pending.cancelled());
    EXPECT_THROW(pending.result(), weft::invalid_state_error);
    EXPECT_THROW((void)pending.exception(), weft::invalid_state_error);

    // Value.
    auto ok = weft::create_task(value_after(1ms, 5));
    int v = co_await ok;
    EXPECT_EQ(v, 5);
    EXPECT_TRUE(ok.done());
    EXPECT_FALSE(ok.cancelled());
    EXPECT_EQ(ok.result(), 5);
    EXPECT_EQ(ok.exception(), nullptr);

    // Exception.
    auto bad = weft::create_task(fail_after(1ms, "broken"));
    try {
        co_await bad;
        ADD_FAILURE() << "awaiting a failed task did not throw";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "broken");
    }
    EXPECT_TRUE(bad.done());
    EXPECT_FALSE(bad.cancelled());
    std::exception_ptr ep = bad.exception();
    EXPECT_NE(ep, nullptr);
    EXPECT_THROW(std::rethrow_exception(ep), std::runtime_error);
    EXPECT_THROW(bad.result(), std::runtime_error);

    // Cancelled.
    auto cancelled = weft::create_task(sleep_long());
    co_await weft::sleep(0ms);
    EXPECT_TRUE(cancelled.cancel());
    try {
        co_await cancelled;
        ADD_FAILURE() << "awaiting a cancelled task did not throw";
    } catch (const weft::cancelled_error&) {
    }
    EXPECT_TRUE(cancelled.done());
    EXPECT_TRUE(cancelled.cancelled());
    EXPECT_THROW(cancelled.result(), weft::cancelled_error);
    EXPECT_THROW((void)cancelled.exception(), weft::cancelled_error);

    gate.set_result(1);
    int released = co_await pending;
    EXPECT_EQ(released, 1);
}

weft::coro<void> awaited_many_times() {
    auto producer = weft::create_task(value_after(2ms, 21));
    std::vector<weft::task<int>> consumers;
    for (int i = 0; i < 3; ++i) consumers.push_back(weft::create_task(await_twice(producer)));
    int own_first = co_await producer;
    int own_second = co_await producer;
    EXPECT_EQ(own_first, 21);
    EXPECT_EQ(own_second, 21);
    for (auto& c : consumers) {
        int v = co_await c;
        EXPECT_EQ(v, 42);
    }
    // Awaiting a task that is already done returns at once.
    int again = co_await consumers[0];
    EXPECT_EQ(again, 42);
}

weft::coro<void> failure_awaited_many_times() {
    auto bad = weft::create_task(fail_after(1ms, "again"));
    for (int i = 0; i < 3; ++i) {
        try {
            co_await bad;
            ADD_FAILURE() << "await " << i << " did not throw";
        } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "again");
        }
    }
}

weft::coro<void> move_only_task() {
    auto t = weft::create_task(make_unique_after(8));
    std::unique_ptr<int> p = co_await std::move(t);
    EXPECT_NE(p, nullptr);
    if (p) {
        EXPECT_EQ(*p, 8);
    }
}

weft::coro<void> names() {
    auto t1 = weft::create_task(value_after(0ms, 1));
    auto t2 = weft::create_task(value_after(0ms, 2));
    std::string n1 = t1.get_name();
    std::string n2 = t2.get_name();
    std::optional<unsigned long> k1 = default_name_number(n1);
    std::optional<unsigned long> k2 = default_name_number(n2);
    EXPECT_TRUE(k1.has_value()) << n1;
    EXPECT_TRUE(k2.has_value()) << n2;
    if (k1 && k2) {
        // Unique and increasing on one thread (workers take numbers in blocks).
        EXPECT_GT(*k2, *k1);
    }
    t1.set_name("renamed");
    EXPECT_EQ(t1.get_name(), "renamed");
    EXPECT_EQ(t2.get_name(), n2);

    weft::task_options opts;
    opts.name = "custom";
    auto t3 = weft::create_task(value_after(0ms, 3), opts);
    EXPECT_EQ(t3.get_name(), "custom");

    // The name is visible from inside the task too.
    weft::basic_task inside;
    auto t4 = weft::create_task(store_current_task(&inside), opts);
    co_await t4;
    EXPECT_TRUE(static_cast<bool>(inside));
    if (inside) {
        EXPECT_EQ(inside.get_name(), "custom");
    }
    co_await t1;
    co_await t2;
    co_await t3;
}

weft::coro<void> current_task_identity() {
    weft::basic_task self = weft::current_task();
    EXPECT_TRUE(static_cast<bool>(self));

    weft::basic_task seen;
    auto t = weft::create_task(store_current_task(&seen));
    co_await t;
    EXPECT_TRUE(seen == t);
    EXPECT_FALSE(seen == self);

    // An inline await runs in the awaiting task.
    weft::basic_task seen_inline;
    auto u = weft::create_task(store_current_task_after_inline(&seen_inline));
    co_await u;
    EXPECT_TRUE(seen_inline == u);

    // Back in this task after the awaits.
    EXPECT_TRUE(weft::current_task() == self);

    // A plain callback on the loop runs outside any task.
    bool in_callback_has_task = true;
    bool ran = false;
    weft::get_running_loop().call_soon([&] {
        in_callback_has_task = static_cast<bool>(weft::current_task());
        ran = true;
    });
    co_await weft_core_test::yield_n(2);
    EXPECT_TRUE(ran);
    EXPECT_FALSE(in_callback_has_task);
}

weft::coro<void> all_tasks_contents() {
    weft::basic_task self = weft::current_task();
    weft::future<int> gate;
    std::vector<weft::task<int>> children;
    for (int i = 0; i < 3; ++i) children.push_back(weft::create_task(wait_gate(&gate)));
    co_await weft::sleep(0ms);

    std::vector<weft::basic_task> all = weft::all_tasks();
    EXPECT_TRUE(contains(all, self));
    for (auto& c : children) {
        EXPECT_TRUE(contains(all, c));
    }
    EXPECT_EQ(all.size(), 4u);

    gate.set_result(3);
    for (auto& c : children) {
        int v = co_await c;
        EXPECT_EQ(v, 3);
    }

    all = weft::all_tasks();
    EXPECT_TRUE(contains(all, self));
    for (auto& c : children) {
        EXPECT_FALSE(contains(all, c));
    }
    EXPECT_EQ(all.size(), 1u);
}

weft::coro<void> ensure_future_kinds() {
    int counter = 0;
    weft::task<int> from_coro = weft::ensure_future(count_up(&counter));
    co_await weft::sleep(0ms);
    EXPECT_EQ(counter, 1);  // scheduled as a task, without being awaited
    EXPECT_TRUE(from_coro.done());
    int from_coro_value = co_await from_coro;
    EXPECT_EQ(from_coro_value, 1);

    auto t = weft::create_task(value_after(0ms, 4));
    weft::task<int> same_task = weft::ensure_future(t);
    EXPECT_TRUE(same_task == t);

    weft::future<int> f;
    weft::future<int> same_future = weft::ensure_future(f);
    EXPECT_TRUE(same_future == f);
    f.set_result(9);
    int fv = co_await same_future;
    EXPECT_EQ(fv, 9);
    int tv = co_await same_task;
    EXPECT_EQ(tv, 4);
}

weft::coro<void> stack_of_suspended_task() {
    weft::future<int> gate;
    auto t = weft::create_task(stack_outer(&gate));
    co_await weft::sleep(1ms);
    EXPECT_FALSE(t.done());

    std::vector<weft::stack_frame> frames = t.get_stack();
    EXPECT_EQ(frames.size(), 3u);
    if (frames.size() == 3) {
        EXPECT_NE(frames[0].function.find("stack_outer"), std::string::npos) << frames[0].function;
        EXPECT_NE(frames[1].function.find("stack_middle"), std::string::npos) << frames[1].function;
        EXPECT_NE(frames[2].function.find("stack_inner"), std::string::npos) << frames[2].function;
        for (const auto& f : frames) {
            EXPECT_NE(f.file.find("task_test.cpp"), std::string::npos) << f.file;
            EXPECT_GT(f.line, 0u);
        }
    }

    std::ostringstream os;
    t.print_stack(os);
    const std::string text = os.str();
    auto outer = text.find("stack_outer");
    auto middle = text.find("stack_middle");
    auto inner = text.find("stack_inner");
    EXPECT_NE(outer, std::string::npos) << text;
    EXPECT_NE(middle, std::string::npos) << text;
    EXPECT_NE(inner, std::string::npos) << text;
    EXPECT_LT(outer, middle) << text;
    EXPECT_LT(middle, inner) << text;
    EXPECT_NE(text.find(t.get_name()), std::string::npos) << text;

    gate.set_result(1);
    int v = co_await t;
    EXPECT_EQ(v, 3);
    EXPECT_TRUE(t.get_stack().empty());
}

weft::coro<void> stack_shrinks_when_inner_returns() {
    // After the inner coroutines returned, only the root is left.
    weft::future<int> gate;
    auto t = weft::create_task(wait_gate(&gate));
    co_await weft::sleep(1ms);
    std::vector<weft::stack_frame> frames = t.get_stack();
    EXPECT_EQ(frames.size(), 1u);
    if (!frames.empty()) {
        EXPECT_NE(frames[0].function.find("wait_gate"), std::string::npos) << frames[0].function;
    }
    gate.set_result(2);
    int v = co_await t;
    EXPECT_EQ(v, 2);
}

weft::coro<void> handles_survive_combinators() {
    // A task handle given by name to gather, wait_for or shield is still the
    // caller's afterwards.
    auto a = weft::create_task(value_after(1ms, 1));
    auto b = weft::create_task(value_after(1ms, 2));
    auto [x, y] = co_await weft::gather(a, b);
    EXPECT_EQ(x + y, 3);
    EXPECT_TRUE(static_cast<bool>(a));
    EXPECT_TRUE(static_cast<bool>(b));
    if (a) {
        EXPECT_EQ(a.result(), 1);
    }
    if (b) {
        EXPECT_EQ(b.result(), 2);
    }

    auto c = weft::create_task(value_after(1ms, 3));
    int cv = co_await weft::wait_for(c, 5s);
    EXPECT_EQ(cv, 3);
    EXPECT_TRUE(static_cast<bool>(c));
    if (c) {
        EXPECT_EQ(c.result(), 3);
    }

    auto d = weft::create_task(value_after(1ms, 4));
    int dv = co_await weft::shield(d);
    EXPECT_EQ(dv, 4);
    EXPECT_TRUE(static_cast<bool>(d));
    if (d) {
        EXPECT_EQ(d.result(), 4);
    }
}

weft::coro<int> create_task_on_member_loop() {
    auto& loop = weft::get_running_loop();
    auto t = loop.create_task(value_after(0ms, 6));
    EXPECT_EQ(t.get_loop(), &loop);
    int v = co_await t;
    co_return v;
}

class TaskWorkersTest : public ::testing::TestWithParam<unsigned> {};

static_assert(std::is_copy_constructible_v<weft::task<int>>);
static_assert(std::is_copy_assignable_v<weft::task<int>>);

} // namespace

TEST_P(TaskWorkersTest, CreateTaskRunsConcurrently) { weft_test::run(runs_concurrently(), GetParam()); }

TEST_P(TaskWorkersTest, RunsWithoutBeingAwaited) { weft_test::run(runs_without_being_awaited(), GetParam()); }

TEST_P(TaskWorkersTest, ResultExceptionDoneCancelled) { weft_test::run(result_states(), GetParam()); }

TEST_P(TaskWorkersTest, AwaitedManyTimesFromManyTasks) { weft_test::run(awaited_many_times(), GetParam()); }

TEST_P(TaskWorkersTest, FailureRethrownToEveryAwait) {
    weft_test::run(failure_awaited_many_times(), GetParam());
}

TEST_P(TaskWorkersTest, MoveOnlyResult) { weft_test::run(move_only_task(), GetParam()); }

TEST_P(TaskWorkersTest, Names) { weft_test::run(names(), GetParam()); }

TEST_P(TaskWorkersTest, CurrentTask) { weft_test::run(current_task_identity(), GetParam()); }

TEST_P(TaskWorkersTest, AllTasks) { weft_test::run(all_tasks_contents(), GetParam()); }

TEST_P(TaskWorkersTest, EnsureFuture) { weft_test::run(ensure_future_kinds(), GetParam()); }

TEST_P(TaskWorkersTest, GetStackShowsNestedCoroutinesInnermostLast) {
    weft_test::run(stack_of_suspended_task(), GetParam());
}

TEST_P(TaskWorkersTest, GetStackOfASingleFrame) {
    weft_test::run(stack_shrinks_when_inner_returns(), GetParam());
}

TEST_P(TaskWorkersTest, HandlesPassedToCombinatorsStayValid) {
    weft_test::run(handles_survive_combinators(), GetParam());
}

TEST_P(TaskWorkersTest, EventLoopCreateTask) {
    EXPECT_EQ(weft_test::run(create_task_on_member_loop(), GetParam()), 6);
}

TEST(TaskTest, CurrentTaskIsEmptyOutsideATask) { EXPECT_FALSE(static_cast<bool>(weft::current_task())); }

TEST(TaskTest, CreateTaskOutsideALoopThrows) {
    int counter = 0;
    EXPECT_THROW((void)weft::create_task(count_up(&counter)), weft::error);
    EXPECT_EQ(counter, 0);
}

TEST(TaskTest, AllTasksOutsideALoopThrows) { EXPECT_THROW((void)weft::all_tasks(), weft::error); }

INSTANTIATE_TEST_SUITE_P(W, TaskWorkersTest, weft_test::worker_counts(), weft_core_test::workers_suffix);
