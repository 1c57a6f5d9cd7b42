// weft::future<T>: completion rules, results, awaiting, completion from
// other threads and cancellation through an awaiting task.
#include <weft/weft.hpp>

#include "support/core_test.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

using namespace std::chrono_literals;
using weft_core_test::event_log;
using weft_core_test::yield_n;

namespace {

// --- coroutines used by the tests ---------------------------------------------

weft::coro<int> await_future(weft::future<int> f) {
    int v = co_await f;
    co_return v;
}

weft::coro<void> await_void(weft::future<void> f) { co_await f; }

weft::coro<void> set_after(weft::future<int> f, std::chrono::milliseconds d, int v) {
    co_await weft::sleep(d);
    f.set_result(v);
}

weft::coro<void> logged_await(event_log* log, weft::future<int> f) {
    try {
        co_await f;
        log->add("woken");
    } catch (const weft::cancelled_error&) {
        log->add("cancelled");
        throw;
    }
}

// --- test bodies -------------------------------------------------------------

weft::coro<void> bound_to_running_loop() {
    weft::future<int> f;
    EXPECT_EQ(f.get_loop(), &weft::get_running_loop());
    auto g = weft::get_running_loop().create_future<int>();
    EXPECT_EQ(g.get_loop(), &weft::get_running_loop());
    auto v = weft::get_running_loop().create_future();
    static_assert(std::is_same_v<decltype(v), weft::future<void>>);
    co_return;
}

weft::coro<void> await_completed_by_other_task() {
    weft::future<int> f;
    auto setter = weft::create_task(set_after(f, 2ms, 17));
    int v = co_await f;
    EXPECT_EQ(v, 17);
    EXPECT_TRUE(f.done());
    EXPECT_EQ(f.result(), 17);
    co_await setter;
}

weft::coro<void> await_already_done() {
    weft::future<std::string> f;
    f.set_result("ready");
    std::string s = co_await f;
    EXPECT_EQ(s, "ready");
    // An lvalue await copies: the value is still in the future.
    EXPECT_EQ(f.result(), "ready");
}

weft::coro<void> await_exception_and_cancelled() {
    weft::future<int> bad;
    bad.set_exception(std::make_exception_ptr(std::invalid_argument("nope")));
    try {
        co_await bad;
        ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "nope");
    }
    weft::future<int> gone;
    gone.cancel("gone");
    try {
        co_await gone;
        ADD_FAILURE() << "no cancelled_error";
    } catch (const weft::cancelled_error& e) {
        EXPECT_EQ(e.message(), "gone");
    }
    // The awaiting task itself was not cancelled: it goes on.
    co_await weft::sleep(0ms);
    EXPECT_FALSE(weft::current_task().cancelled());
}

weft::coro<void> void_and_move_only() {
    weft::future<void> v;
    auto waiter = weft::create_task(await_void(v));
    co_await weft::sleep(0ms);
    EXPECT_FALSE(waiter.done());
    v.set_result();
    co_await waiter;
    EXPECT_TRUE(v.done());

    weft::future<std::unique_ptr<int>> p;
    p.set_result(std::make_unique<int>(3));
    std::unique_ptr<int> got = co_await std::move(p);
    EXPECT_NE(got, nullptr);
    if (got) {
        EXPECT_EQ(*got, 3);
    }
}

weft::coro<void> many_awaiters() {
    weft::future<int> f;
    std::vector<weft::task<int>> waiters;
    for (int i = 0; i < 5; ++i) waiters.push_back(weft::create_task(await_future(f)));
    co_await weft::sleep(0ms);
    for (auto& w : waiters) {
        EXPECT_FALSE(w.done());
    }
    f.set_result(8);
    for (auto& w : waiters) {
        int v = co_await w;
        EXPECT_EQ(v, 8);
    }
}

weft::coro<void> completed_from_other_thread(int rounds, bool delay) {
    for (int i = 0; i < rounds; ++i) {
        weft::future<int> f;
        std::thread completer([f, i, delay]() mutable {
            if (delay) std::this_thread::sleep_for(2ms);
            f.set_result(i);
        });
        int v = co_await f;
        completer.join();
        EXPECT_EQ(v, i);
    }
}

weft::coro<void> exception_from_other_thread() {
    weft::future<void> f;
    std::thread completer([f]() mutable { f.set_exception(std::make_exception_ptr(std::runtime_error("far"))); });
    try {
        co_await f;
        ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "far");
    }
    completer.join();
}

weft::coro<void> task_awaiting_future_from_other_thread_with_sibling_work() {
    // The loop keeps running other tasks while one of them waits for a
    // thread; the thread's completion wakes the waiter.
    weft::future<int> f;
    auto waiter = weft::create_task(await_future(f));
    int ticks = 0;
    for (int i = 0; i < 3; ++i) {
        co_await weft::sleep(0ms);
        ++ticks;
    }
    std::thread completer([f]() mutable { f.set_result(99); });
    int v = co_await waiter;
    completer.join();
    EXPECT_EQ(v, 99);
    EXPECT_EQ(ticks, 3);
}

weft::coro<void> cancel_task_cancels_future() {
    event_log log;
    weft::future<int> f;
    auto t = weft::create_task(logged_await(&log, f));
    co_await weft::sleep(0ms);
    EXPECT_TRUE(t.cancel());
    try {
        co_await t;
        ADD_FAILURE() << "the task was not cancelled";
    } catch (const weft::cancelled_error&) {
    }
    EXPECT_TRUE(t.cancelled());
    EXPECT_TRUE(f.cancelled());
    EXPECT_EQ(log.events(), (std::vector<std::string>{"cancelled"}));
    EXPECT_THROW(f.set_result(1), weft::invalid_state_error);
}

class FutureWorkersTest : public ::testing::TestWithParam<unsigned> {};

} // namespace

TEST(FutureTest, SetResult) {
    weft::future<int> f;
    EXPECT_FALSE(f.done());
    EXPECT_FALSE(f.cancelled());
    f.set_result(5);
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(f.result(), 5);
    EXPECT_EQ(f.exception(), nullptr);
}

TEST(FutureTest, SetException) {
    weft::future<int> f;
    f.set_exception(std::make_exception_ptr(std::out_of_range("range")));
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_THROW(f.result(), std::out_of_range);
    std::exception_ptr e = f.exception();
    ASSERT_NE(e, nullptr);
    EXPECT_THROW(std::rethrow_exception(e), std::out_of_range);
}

TEST(FutureTest, SetExceptionWithCancelledErrorCancels) {
    weft::future<int> f;
    f.set_exception(std::make_exception_ptr(weft::cancelled_error("via exception")));
    EXPECT_TRUE(f.done());
    EXPECT_TRUE(f.cancelled());
    try {
        f.result();
        FAIL() << "no cancelled_error";
    } catch (const weft::cancelled_error& e) {
        EXPECT_EQ(e.message(), "via exception");
    }
}

TEST(FutureTest, Cancel) {
    weft::future<int> f;
    EXPECT_TRUE(f.cancel("why"));
    EXPECT_TRUE(f.done());
    EXPECT_TRUE(f.cancelled());
    EXPECT_FALSE(f.cancel());
    try {
        f.result();
        FAIL() << "no cancelled_error";
    } catch (const weft::cancelled_error& e) {
        EXPECT_EQ(e.message(), "why");
    }
    EXPECT_THROW((void)f.exception(), weft::cancelled_error);
}

TEST(FutureTest, CancelAfterCompletionReturnsFalse) {
    weft::future<int> f;
    f.set_result(1);
    EXPECT_FALSE(f.cancel());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(f.result(), 1);
}

TEST(FutureTest, SettingTwiceThrowsInvalidState) {
    weft::future<int> a;
    a.set_result(1);
    EXPECT_THROW(a.set_result(2), weft::invalid_state_error);
    EXPECT_THROW(a.set_exception(std::make_exception_ptr(std::runtime_error("x"))),
                 weft::invalid_state_error);
    EXPECT_EQ(a.result(), 1);

    weft::future<int> b;
    b.set_exception(std::make_exception_ptr(std::runtime_error("first")));
    EXPECT_THROW(b.set_result(2), weft::invalid_state_error);
    EXPECT_THROW(b.set_exception(std::make_exception_ptr(std::runtime_error("second"))),
                 weft::invalid_state_error);
    (void)b.exception();

    weft::future<int> c;
    c.cancel();
    EXPECT_THROW(c.set_result(2), weft::invalid_state_error);

    weft::future<void> d;
    d.set_result();
    EXPECT_THROW(d.set_result(), weft::invalid_state_error);
}

TEST(FutureTest, SetExceptionNullThrowsValueError) {
    weft::future<int> f;
    EXPECT_THROW(f.set_exception(nullptr), weft::value_error);
    EXPECT_FALSE(f.done());
    f.set_result(3);  // still usable
    EXPECT_EQ(f.result(), 3);
}

TEST(FutureTest, ResultBeforeDoneThrowsInvalidState) {
    weft::future<int> f;
    EXPECT_THROW(f.result(), weft::invalid_state_error);
    EXPECT_THROW((void)f.exception(), weft::invalid_state_error);
    weft::future<void> v;
    EXPECT_THROW(v.result(), weft::invalid_state_error);
}

TEST(FutureTest, CopiesShareTheState) {
    weft::future<int> f;
    weft::future<int> g = f;
    EXPECT_TRUE(f == g);
    g.set_result(6);
    EXPECT_TRUE(f.done());
    EXPECT_EQ(f.result(), 6);
}

TEST(FutureTest, CompletedFromManyThreadsExactlyOneWins) {
    for (int round = 0; round < 20; ++round) {
        weft::future<int> f;
        std::atomic<int> winners{0};
        std::atomic<int> losers{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i)
            threads.emplace_back([f, i, &winners, &losers]() mutable {
                try {
                    f.set_result(i);
                    winners.fetch_add(1);
                } catch (const weft::invalid_state_error&) {
                    losers.fetch_add(1);
                }
            });
        for (auto& t : threads) t.join();
        EXPECT_EQ(winners.load(), 1);
        EXPECT_EQ(losers.load(), 3);
        EXPECT_GE(f.result(), 0);
        EXPECT_LT(f.result(), 4);
    }
}

TEST_P(FutureWorkersTest, BoundToTheRunningLoop) { weft_test::run(bound_to_running_loop(), GetParam()); }

TEST_P(FutureWorkersTest, AwaitCompletedByAnotherTask) {
    weft_test::run(await_completed_by_other_task(), GetParam());
}

TEST_P(FutureWorkersTest, AwaitAlreadyDone) { weft_test::run(await_already_done(), GetParam()); }

TEST_P(FutureWorkersTest, AwaitExceptionAndCancelled) {
    weft_test::run(await_exception_and_cancelled(), GetParam());
}

TEST_P(FutureWorkersTest, VoidAndMoveOnly) { weft_test::run(void_and_move_only(), GetParam()); }

TEST_P(FutureWorkersTest, ManyAwaiters) { weft_test::run(many_awaiters(), GetParam()); }

TEST_P(FutureWorkersTest, CompletedFromAnotherThreadWhileAwaited) {
    weft_test::run(completed_from_other_thread(5, true), GetParam());
}

TEST_P(FutureWorkersTest, CompletedFromAnotherThreadRacingTheAwait) {
    weft_test::run(completed_from_other_thread(200, false), GetParam());
}

TEST_P(FutureWorkersTest, ExceptionFromAnotherThread) {
    weft_test::run(exception_from_other_thread(), GetParam());
}

TEST_P(FutureWorkersTest, CrossThreadWakeWhileOtherTasksRun) {
    weft_test::run(task_awaiting_future_from_other_thread_with_sibling_work(), GetParam());
}

TEST_P(FutureWorkersTest, CancellingTheAwaitingTaskCancelsTheFuture) {
    weft_test::run(cancel_task_cancels_future(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(W, FutureWorkersTest, weft_test::worker_counts(), weft_core_test::workers_suffix);
