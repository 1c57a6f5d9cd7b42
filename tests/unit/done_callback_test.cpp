// Done-callbacks of futures and tasks: they run on the loop via call_soon,
// never inline in set_result()/cancel(), in registration order, and can be
// removed by id.
#include <weft/weft.hpp>

#include "support/core_test.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using weft_core_test::event_log;
using weft_core_test::yield_n;

namespace {

weft::coro<int> value_after(std::chrono::milliseconds d, int v) {
    co_await weft::sleep(d);
    co_return v;
}

weft::coro<void> sleep_long() { co_await weft::sleep(1h); }

// --- test bodies -------------------------------------------------------------

weft::coro<void> future_callback_not_inline_in_set_result() {
    weft::future<int> f;
    event_log log;
    int seen = 0;
    f.add_done_callback([&](weft::future<int> done) {
        seen = done.result();
        log.add("callback");
    });
    f.set_result(7);
    log.add("after set_result");
    EXPECT_EQ(log.events(), (std::vector<std::string>{"after set_result"}));
    co_await yield_n(2);
    EXPECT_EQ(log.events(), (std::vector<std::string>{"after set_result", "callback"}));
    EXPECT_EQ(seen, 7);
}

weft::coro<void> future_callback_not_inline_in_cancel_or_set_exception() {
    event_log log;
    weft::future<int> a;
    a.add_done_callback([&](weft::future<int> done) {
        log.add(done.cancelled() ? "a:cancelled" : "a:?");
    });
    weft::future<int> b;
    b.add_done_callback([&](weft::future<int> done) {
        log.add(done.exception() ? "b:exception" : "b:?");
    });
    EXPECT_TRUE(a.cancel());
    b.set_exception(std::make_exception_ptr(std::runtime_error("x")));
    EXPECT_EQ(log.size(), 0u);
    co_await yield_n(2);
    EXPECT_EQ(log.events(), (std::vector<std::string>{"a:cancelled", "b:exception"}));
}

weft::coro<void> task_callback_runs_later() {
    event_log log;
    auto t = weft::create_task(value_after(1ms, 3));
    weft::task<int> received;
    t.add_done_callback([&](weft::task<int> done) {
        received = done;
        log.add("callback:" + std::to_string(done.result()));
    });
    int v = co_await t;
    EXPECT_EQ(v, 3);
    // The awaiter and the callback were both woken by the completion; the
    // callback runs from the loop, not inside the completing step.
    co_await yield_n(2);
    EXPECT_EQ(log.events(), (std::vector<std::string>{"callback:3"}));
    EXPECT_TRUE(received == t);
}

weft::coro<void> task_callback_not_inline_in_cancel() {
    event_log log;
    auto t = weft::create_task(sleep_long());
    co_await weft::sleep(0ms);
    t.add_done_callback([&](weft::task<void> done) {
        log.add(done.cancelled() ? "cancelled" : "not cancelled");
    });
    EXPECT_TRUE(t.cancel());
    log.add("after cancel");
    EXPECT_EQ(log.events(), (std::vector<std::string>{"after cancel"}));
    co_await yield_n(4);
    EXPECT_EQ(log.events(), (std::vector<std::string>{"after cancel", "cancelled"}));
    EXPECT_TRUE(t.cancelled());
}

weft::coro<void> callbacks_in_registration_order() {
    event_log log;
    weft::future<int> f;
    for (int i = 0; i < 5; ++i)
        f.add_done_callback([&log, i](weft::future<int>) { log.add("f" + std::to_string(i)); });
    auto t = weft::create_task(value_after(0ms, 1));
    for (int i = 0; i < 5; ++i)
        t.add_done_callback([&log, i](weft::task<int>) { log.add("t" + std::to_string(i)); });
    f.set_result(1);
    co_await t;
    co_await yield_n(3);
    std::vector<std::string> fs, ts;
    for (const auto& e : log.events()) (e[0] == 'f' ? fs : ts).push_back(e);
    EXPECT_EQ(fs, (std::vector<std::string>{"f0", "f1", "f2", "f3", "f4"}));
    EXPECT_EQ(ts, (std::vector<std::string>{"t0", "t1", "t2", "t3", "t4"}));
}

weft::coro<void> remove_by_id() {
    event_log log;
    weft::future<int> f;
    auto a = f.add_done_callback([&](weft::future<int>) { log.add("a"); });
    auto b = f.add_done_callback([&](weft::future<int>) { log.add("b"); });
    auto c = f.add_done_callback([&](weft::future<int>) { log.add("c"); });
    EXPECT_NE(a, b);
    EXPECT_NE(b, c);
    EXPECT_EQ(f.remove_done_callback(b), 1u);
    EXPECT_EQ(f.remove_done_callback(b), 0u);
    f.set_result(0);
    co_await yield_n(2);
    EXPECT_EQ(log.events(), (std::vector<std::string>{"a", "c"}));
    EXPECT_EQ(f.remove_done_callback(a), 0u);  // already ran

    event_log tlog;
    auto t = weft::create_task(value_after(1ms, 1));
    auto x = t.add_done_callback([&](weft::task<int>) { tlog.add("x"); });
    auto y = t.add_done_callback([&](weft::task<int>) { tlog.add("y"); });
    EXPECT_EQ(t.remove_done_callback(x), 1u);
    (void)y;
    co_await t;
    co_await yield_n(2);
    EXPECT_EQ(tlog.events(), (std::vector<std::string>{"y"}));
}

weft::coro<void> added_after_done() {
    event_log log;
    weft::future<int> f;
    f.set_result(2);
    f.add_done_callback([&](weft::future<int> done) { log.add("f:" + std::to_string(done.result())); });
    EXPECT_EQ(log.size(), 0u);  // not inline, even though the future is done

    auto t = weft::create_task(value_after(0ms, 5));
    co_await t;
    const auto before = log.size();
    t.add_done_callback([&](weft::task<int> done) { log.add("t:" + std::to_string(done.result())); });
    EXPECT_EQ(log.size(), before);  // not inline either
    co_await yield_n(2);
    EXPECT_EQ(log.events(), (std::vector<std::string>{"f:2", "t:5"}));
}

weft::coro<void> callback_runs_on_loop_thread_when_completed_elsewhere() {
    const auto loop_thread = std::this_thread::get_id();
    weft::future<int> f;
    weft::future<void> callback_ran;
    std::thread::id callback_thread{};
    int value = 0;
    f.add_done_callback([&](weft::future<int> done) {
        callback_thread = std::this_thread::get_id();
        value = done.result();
        callback_ran.set_result();
    });
    std::thread completer([f]() mutable { f.set_result(11); });
    int v = co_await f;
    completer.join();
    // On many workers this task may resume elsewhere: wait for the callback
    // itself rather than for this loop's turn.
    co_await callback_ran;
    EXPECT_EQ(v, 11);
    EXPECT_EQ(value, 11);
    EXPECT_EQ(callback_thread, loop_thread);
}

weft::coro<void> throwing_callback_goes_to_handler(weft_test::handler_log* handler) {
    handler->install(weft::get_running_loop());
    event_log log;
    weft::future<int> f;
    f.add_done_callback([](weft::future<int>) { throw std::runtime_error("callback failed"); });
    f.add_done_callback([&](weft::future<int>) { log.add("second"); });
    f.set_result(1);
    co_await yield_n(2);
    EXPECT_EQ(log.events(), (std::vector<std::string>{"second"}));
}

class DoneCallbackWorkersTest : public ::testing::TestWithParam<unsigned> {};

} // namespace

TEST_P(DoneCallbackWorkersTest, FutureCallbackNotInlineInSetResult) {
    weft_test::run(future_callback_not_inline_in_set_result(), GetParam());
}

TEST_P(DoneCallbackWorkersTest, FutureCallbackNotInlineInCancelOrSetException) {
    weft_test::run(future_callback_not_inline_in_cancel_or_set_exception(), GetParam());
}

TEST_P(DoneCallbackWorkersTest, TaskCallbackRunsWithTheDoneTask) {
    weft_test::run(task_callback_runs_later(), GetParam());
}

TEST_P(DoneCallbackWorkersTest, TaskCallbackNotInlineInCancel) {
    weft_test::run(task_callback_not_inline_in_cancel(), GetParam());
}

TEST_P(DoneCallbackWorkersTest, RegistrationOrder) {
    weft_test::run(callbacks_in_registration_order(), GetParam());
}

TEST_P(DoneCallbackWorkersTest, RemoveDoneCallbackById) { weft_test::run(remove_by_id(), GetParam()); }

TEST_P(DoneCallbackWorkersTest, AddedAfterDoneRunsSoon) { weft_test::run(added_after_done(), GetParam()); }

TEST_P(DoneCallbackWorkersTest, RunsOnTheLoopThreadWhenCompletedFromAnotherThread) {
    weft_test::run(callback_runs_on_loop_thread_when_completed_elsewhere(), GetParam());
}

TEST_P(DoneCallbackWorkersTest, ThrowingCallbackIsReportedAndOthersStillRun) {
    weft_test::handler_log handler;
    weft_test::run(throwing_callback_goes_to_handler(&handler), GetParam());
    ASSERT_EQ(handler.messages.size(), 1u);
    EXPECT_NE(handler.messages[0].find("callback"), std::string::npos) << handler.messages[0];
}

// A future made outside any loop has no loop to post to: its callbacks run on
// the thread that completes it (documented in future.hpp).
TEST(DoneCallbackTest, LooplessFutureRunsCallbacksOnTheCompletingThread) {
    weft::future<int> f;
    EXPECT_EQ(f.get_loop(), nullptr);
    std::thread::id ran_on{};
    int value = 0;
    f.add_done_callback([&](weft::future<int> done) {
        ran_on = std::this_thread::get_id();
        value = done.result();
    });
    std::thread t([f]() mutable { f.set_result(4); });
    const auto completer = t.get_id();
    t.join();
    EXPECT_EQ(ran_on, completer);
    EXPECT_EQ(value, 4);
}

INSTANTIATE_TEST_SUITE_P(W, DoneCallbackWorkersTest, weft_test::worker_counts(),
                         weft_core_test::workers_suffix);
