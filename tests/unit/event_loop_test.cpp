// weft::event_loop on standalone loops (new_event_loop()): callbacks, timers,
// cross-thread posting, running and stopping, closing, the loop accessors and
// the exception handler.
#include <weft/weft.hpp>

#include "support/core_test.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

weft::coro<int> value_after(std::chrono::milliseconds d, int v) {
    co_await weft::sleep(d);
    co_return v;
}

weft::coro<int> throws_after_yield(std::string what) {
    co_await weft::sleep(0ms);
    throw std::runtime_error(what);
}

weft::coro<void> sleep_long() { co_await weft::sleep(1h); }

weft::coro<void> guarded_sleep(bool* destroyed, bool* finished) {
    weft_core_test::raii_flag guard(destroyed);
    co_await weft::sleep(1h);
    *finished = true;
}

weft::coro<void> never_started(std::shared_ptr<int> token, bool* ran) {
    (void)token;
    *ran = true;
    co_return;
}

weft::coro<void> log_step(std::vector<std::string>* log, std::string name) {
    log->push_back(name);
    co_return;
}

weft::coro<weft::event_loop*> running_loop_inside() { co_return &weft::get_running_loop(); }

std::string what_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const weft::error& e) {
        return e.what();
    } catch (...) {
        return "<not a weft::error>";
    }
    return "<no exception>";
}

} // namespace

TEST(EventLoopTest, CallSoonRunsInFifoOrder) {
    auto loop = weft::new_event_loop();
    std::vector<int> order;
    for (int i = 0; i < 1000; ++i) loop->call_soon([&order, i] { order.push_back(i); });
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    ASSERT_EQ(order.size(), 1000u);
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(order[static_cast<std::size_t>(i)], i);
}

TEST(EventLoopTest, CallbacksScheduledByCallbacksRunAfterThoseAlreadyQueued) {
    auto loop = weft::new_event_loop();
    std::vector<std::string> log;
    loop->call_soon([&] {
        log.push_back("a");
        loop->call_soon([&] { log.push_back("a2"); });
    });
    loop->call_soon([&] {
        log.push_back("b");
        loop->call_soon([&] { loop->stop(); });
    });
    loop->run_forever();
    EXPECT_EQ(log, (std::vector<std::string>{"a", "b", "a2"}));
}

TEST(EventLoopTest, CallSoonBindsArguments) {
    auto loop = weft::new_event_loop();
    int got_int = 0;
    std::string got_string;
    double got_double = 0;
    auto record = [&](int a, const std::string& b, double c) {
        got_int = a;
        got_string = b;
        got_double = c;
    };
    loop->call_soon(record, 7, std::string("seven"), 7.5);
    std::string arg = "copied";
    loop->call_soon([&](const std::string& s) { got_string += "+" + s; }, arg);
    arg = "changed after call_soon";
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    EXPECT_EQ(got_int, 7);
    EXPECT_EQ(got_string, "seven+copied");
    EXPECT_DOUBLE_EQ(got_double, 7.5);
}

TEST(EventLoopTest, HandleCancelPreventsTheCall) {
    auto loop = weft::new_event_loop();
    std::vector<std::string> log;
    auto a = loop->call_soon([&] { log.push_back("a"); });
    auto b = loop->call_soon([&] { log.push_back("b"); });
    auto c = loop->call_soon([&] { log.push_back("c"); });
    EXPECT_FALSE(b.cancelled());
    b.cancel();
    EXPECT_TRUE(b.cancelled());
    auto t = loop->call_later(1ms, [&] { log.push_back("timer"); });
    t.cancel();
    EXPECT_TRUE(t.cancelled());
    // A timer cancelled from a callback while the loop runs.
    weft::timer_handle late = loop->call_later(2ms, [&] { log.push_back("late"); });
    loop->call_soon([&] { late.cancel(); });
    loop->call_later(10ms, [&] { loop->stop(); });
    loop->run_forever();
    EXPECT_EQ(log, (std::vector<std::string>{"a", "c"}));
    a.cancel();  // after it ran: no effect
    (void)c;
}

TEST(EventLoopTest, CallLaterRunsInDeadlineOrderAndNotEarly) {
    auto loop = weft::new_event_loop();
    std::vector<std::string> log;
    std::vector<double> elapsed;
    const auto start = loop->time();
    auto at = [&](std::string name) {
        log.push_back(name);
        elapsed.push_back(std::chrono::duration<double, std::milli>(loop->time() - start).count());
    };
    loop->call_later(6ms, at, std::string("c"));
    loop->call_later(2ms, at, std::string("a"));
    loop->call_later(4ms, at, std::string("b"));
    loop->call_later(8ms, [&] { loop->stop(); });
    loop->run_forever();
    EXPECT_EQ(log, (std::vector<std::string>{"a", "b", "c"}));
    ASSERT_EQ(elapsed.size(), 3u);
    EXPECT_GE(elapsed[0], 2.0);
    EXPECT_GE(elapsed[1], 4.0);
    EXPECT_GE(elapsed[2], 6.0);
}

TEST(EventLoopTest, CallAtOrdersByDeadlineAndFifoForEqualDeadlines) {
    auto loop = weft::new_event_loop();
    std::vector<std::string> log;
    const auto when = loop->time() + 3ms;
    auto h1 = loop->call_at(when, [&] { log.push_back("1"); });
    loop->call_at(when, [&] { log.push_back("2"); });
    loop->call_at(when, [&] { log.push_back("3"); });
    loop->call_at(when - 1ms, [&] { log.push_back("0"); });
    loop->call_at(when + 1ms, [&] { loop->stop(); });
    EXPECT_EQ(h1.when(), when);
    loop->run_forever();
    EXPECT_EQ(log, (std::vector<std::string>{"0", "1", "2", "3"}));
}

TEST(EventLoopTest, NegativeDelayActsAsZero) {
    auto loop = weft::new_event_loop();
    std::vector<std::string> log;
    const auto before = loop->time();
    auto neg = loop->call_later(-1h, [&] { log.push_back("negative"); });
    EXPECT_GE(neg.when(), before);  // clamped to now, not an hour ago
    EXPECT_LE(neg.when(), loop->time());
    loop->call_later(1ms, [&] { log.push_back("positive"); });
    loop->call_later(3ms, [&] { loop->stop(); });
    const auto start = weft::clock::now();
    loop->run_forever();
    EXPECT_EQ(log, (std::vector<std::string>{"negative", "positive"}));
    EXPECT_LT(weft_test::ms_since(start), 5000.0);
}

TEST(EventLoopTest, TimeIsMonotonic) {
    auto loop = weft::new_event_loop();
    auto prev = loop->time();
    for (int i = 0; i < 10000; ++i) {
        auto now = loop->time();
        ASSERT_GE(now, prev);
        prev = now;
    }
    EXPECT_LE(prev, weft::clock::now());
}

TEST(EventLoopTest, CallSoonThreadsafeFromManyThreads) {
    constexpr int producers = 4;
    constexpr int per_producer = 10000;
    auto loop = weft::new_event_loop();
    const auto loop_thread = std::this_thread::get_id();
    std::vector<std::vector<int>> seen(producers);
    int total = 0;
    int off_thread = 0;
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
            while (!go.load()) std::this_thread::yield();
            for (int i = 0; i < per_producer; ++i) {
                loop->call_soon_threadsafe([&, p, i] {
                    if (std::this_thread::get_id() != loop_thread) ++off_thread;
                    seen[static_cast<std::size_t>(p)].push_back(i);
                    if (++total == producers * per_producer) loop->stop();
                });
            }
        });
    }
    loop->call_soon([&] { go.store(true); });
    loop->run_forever();
    for (auto& t : threads) t.join();
    EXPECT_EQ(total, producers * per_producer);
    EXPECT_EQ(off_thread, 0);
    for (int p = 0; p < producers; ++p) {
        const auto& s = seen[static_cast<std::size_t>(p)];
        ASSERT_EQ(s.size(), static_cast<std::size_t>(per_producer)) << "producer " << p;
        for (int i = 0; i < per_producer; ++i)
            ASSERT_EQ(s[static_cast<std::size_t>(i)], i) << "producer " << p << " out of order";
    }
}

TEST(EventLoopTest, StopFromAnotherThread) {
    auto loop = weft::new_event_loop();
    std::promise<void> running;
    auto running_f = running.get_future();
    bool was_running = false;
    loop->call_soon([&] {
        was_running = loop->is_running();
        running.set_value();
    });
    std::thread stopper([&] {
        running_f.wait();
        loop->stop();
    });
    EXPECT_FALSE(loop->is_running());
    loop->run_forever();  // returns only because of the stop() from the thread
    stopper.join();
    EXPECT_TRUE(was_running);
    EXPECT_FALSE(loop->is_running());
}

TEST(EventLoopTest, RunForeverAgainAfterStop) {
    auto loop = weft::new_event_loop();
    int runs = 0;
    for (int i = 0; i < 3; ++i) {
        loop->call_soon([&] {
            ++runs;
            loop->stop();
        });
        loop->run_forever();
    }
    EXPECT_EQ(runs, 3);
}

TEST(EventLoopTest, RunUntilCompleteReturnsTheValue) {
    auto loop = weft::new_event_loop();
    EXPECT_EQ(loop->run_until_complete(value_after(1ms, 42)), 42);
    // The coroutine ran on this loop, on this thread.
    EXPECT_EQ(loop->run_until_complete(running_loop_inside()), loop.get());
    auto t = loop->create_task(value_after(0ms, 5));
    EXPECT_EQ(loop->run_until_complete(t), 5);
    EXPECT_TRUE(t.done());
    auto f = loop->create_future<int>();
    loop->call_later(1ms, [f]() mutable { f.set_result(9); });
    EXPECT_EQ(loop->run_until_complete(f), 9);
    EXPECT_FALSE(loop->is_running());
}

TEST(EventLoopTest, RunUntilCompleteRethrows) {
    auto loop = weft::new_event_loop();
    try {
        loop->run_until_complete(throws_after_yield("bad"));
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "bad");
    }
    // The loop is still usable.
    EXPECT_EQ(loop->run_until_complete(value_after(0ms, 1)), 1);
}

TEST(EventLoopTest, RunUntilCompleteThrowsIfStoppedFirst) {
    auto loop = weft::new_event_loop();
    auto t = loop->create_task(sleep_long());
    loop->call_soon([&] { loop->stop(); });
    EXPECT_THROW(loop->run_until_complete(t), weft::error);
    EXPECT_FALSE(t.done());
    loop->close();
    EXPECT_TRUE(t.cancelled());
}

TEST(EventLoopTest, RunningARunningLoopThrows) {
    auto loop = weft::new_event_loop();
    std::string forever, until, other;
    loop->call_soon([&] {
        forever = what_of([&] { loop->run_forever(); });
        until = what_of([&] { (void)loop->run_until_complete(value_after(0ms, 1)); });
        auto second = weft::new_event_loop();
        other = what_of([&] { second->run_forever(); });
        loop->stop();
    });
    loop->run_forever();
    EXPECT_NE(forever.find("already running"), std::string::npos) << forever;
    EXPECT_NE(until.find("already running"), std::string::npos) << until;
    EXPECT_NE(other.find("already running"), std::string::npos) << other;
}

TEST(EventLoopTest, ClosedLoopRejectsEveryCallNamingIt) {
    auto loop = weft::new_event_loop();
    EXPECT_FALSE(loop->is_closed());
    loop->close();
    EXPECT_TRUE(loop->is_closed());
    loop->close();  // idempotent
    auto noop = [] {};
    struct call {
        const char* name;
        std::function<void()> f;
    };
    std::vector<call> calls{
        {"call_soon", [&] { loop->call_soon(noop); }},
        {"call_soon_threadsafe", [&] { loop->call_soon_threadsafe(noop); }},
        {"call_later", [&] { loop->call_later(1ms, noop); }},
        {"call_at", [&] { loop->call_at(loop->time(), noop); }},
        {"create_task", [&] { (void)loop->create_task(value_after(0ms, 1)); }},
        {"create_future", [&] { (void)loop->create_future<int>(); }},
        {"run_forever", [&] { loop->run_forever(); }},
        {"run_until_complete", [&] { (void)loop->run_until_complete(value_after(0ms, 1)); }},
    };
    for (const auto& c : calls) {
        std::string what = what_of(c.f);
        EXPECT_NE(what.find(c.name), std::string::npos) << c.name << ": " << what;
        EXPECT_NE(what.find("closed"), std::string::npos) << c.name << ": " << what;
    }
}

TEST(EventLoopTest, CloseOfARunningLoopThrows) {
    auto loop = weft::new_event_loop();
    std::string what;
    loop->call_soon([&] {
        what = what_of([&] { loop->close(); });
        loop->stop();
    });
    loop->run_forever();
    EXPECT_NE(what.find("close"), std::string::npos) << what;
    EXPECT_FALSE(loop->is_closed());
}

TEST(EventLoopTest, CloseDropsPendingCallbacksAndReleasesTheirCaptures) {
    auto loop = weft::new_event_loop();
    auto token = std::make_shared<int>(1);
    bool ran = false;
    loop->call_soon([token, &ran] { ran = true; });
    loop->call_soon_threadsafe([token, &ran] { ran = true; });
    EXPECT_EQ(token.use_count(), 3);
    loop->close();
    EXPECT_FALSE(ran);
    EXPECT_EQ(token.use_count(), 1);
}

TEST(EventLoopTest, CloseDropsPendingTimersAndReleasesTheirCaptures) {
    auto loop = weft::new_event_loop();
    auto token = std::make_shared<int>(1);
    bool ran = false;
    loop->call_later(1h, [token, &ran] { ran = true; });
    loop->call_at(loop->time() + 1h, [token, &ran] { ran = true; });
    EXPECT_EQ(token.use_count(), 3);
    loop->close();
    EXPECT_FALSE(ran);
    EXPECT_EQ(token.use_count(), 1) << "the timers' callbacks were never released";
}

TEST(EventLoopTest, GetRunningLoop) {
    EXPECT_THROW((void)weft::get_running_loop(), weft::error);
    auto loop = weft::new_event_loop();
    weft::event_loop* inside = nullptr;
    loop->call_soon([&] {
        inside = &weft::get_running_loop();
        loop->stop();
    });
    loop->run_forever();
    EXPECT_EQ(inside, loop.get());
    EXPECT_THROW((void)weft::get_running_loop(), weft::error);
}

TEST(EventLoopTest, GetAndSetEventLoop) {
    EXPECT_THROW((void)weft::get_event_loop(), weft::error);
    auto a = weft::new_event_loop();
    auto b = weft::new_event_loop();
    weft::set_event_loop(a.get());
    EXPECT_EQ(&weft::get_event_loop(), a.get());
    EXPECT_THROW((void)weft::get_running_loop(), weft::error);  // set, not running
    // While b runs on this thread, the running loop wins.
    weft::event_loop* inside = nullptr;
    b->call_soon([&] {
        inside = &weft::get_event_loop();
        b->stop();
    });
    b->run_forever();
    EXPECT_EQ(inside, b.get());
    EXPECT_EQ(&weft::get_event_loop(), a.get());
    weft::set_event_loop(nullptr);
    EXPECT_THROW((void)weft::get_event_loop(), weft::error);
}

TEST(EventLoopTest, ExceptionHandlerReceivesCallbackExceptionsAndTheLoopGoesOn) {
    auto loop = weft::new_event_loop();
    std::vector<std::string> messages;
    std::vector<std::string> whats;
    weft::event_loop* handler_loop = nullptr;
    loop->set_exception_handler([&](weft::event_loop& l, const weft::exception_context& ctx) {
        handler_loop = &l;
        messages.push_back(ctx.message);
        try {
            if (ctx.exception) std::rethrow_exception(ctx.exception);
            whats.push_back("<none>");
        } catch (const std::exception& e) {
            whats.push_back(e.what());
        }
    });
    EXPECT_TRUE(static_cast<bool>(loop->get_exception_handler()));
    std::vector<std::string> log;
    loop->call_soon([] { throw std::runtime_error("boom"); });
    loop->call_soon([&] { log.push_back("after"); });
    loop->call_later(1ms, [] { throw std::logic_error("timer boom"); });
    loop->call_later(2ms, [&] {
        log.push_back("still running");
        loop->stop();
    });
    loop->run_forever();
    EXPECT_EQ(log, (std::vector<std::string>{"after", "still running"}));
    EXPECT_EQ(whats, (std::vector<std::string>{"boom", "timer boom"}));
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_NE(messages[0].find("callback"), std::string::npos) << messages[0];
    EXPECT_EQ(handler_loop, loop.get());
}

TEST(EventLoopTest, CloseDestroysThePendingTaskFrameAndCancelsIt) {
    auto loop = weft::new_event_loop();
    bool destroyed = false;
    bool finished = false;
    {
        auto t = loop->create_task(guarded_sleep(&destroyed, &finished));
        EXPECT_EQ(loop->run_until_complete(value_after(1ms, 0)), 0);  // t starts and sleeps
        EXPECT_FALSE(t.done());
        EXPECT_FALSE(destroyed);
        loop->close();
        EXPECT_TRUE(destroyed);  // the RAII guard in the frame ran
        EXPECT_FALSE(finished);
        EXPECT_TRUE(t.done());
        EXPECT_TRUE(t.cancelled());
        EXPECT_THROW(t.result(), weft::cancelled_error);
    }
}

TEST(EventLoopTest, CloseDestroysTheFrameOfATaskThatNeverStarted) {
    auto loop = weft::new_event_loop();
    auto token = std::make_shared<int>(0);
    bool ran = false;
    auto t = loop->create_task(never_started(token, &ran));
    EXPECT_EQ(token.use_count(), 2);  // the copy in the coroutine frame
    loop->close();
    EXPECT_FALSE(ran);
    EXPECT_EQ(token.use_count(), 1);  // the frame was destroyed
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.cancelled());
}

// create_task schedules the first step like call_soon (asyncio: the task's
// __step goes through call_soon), so steps and callbacks share one FIFO.
TEST(EventLoopTest, TaskStepsAndCallbacksShareOneFifoWhileRunning) {
    auto loop = weft::new_event_loop();
    std::vector<std::string> log;
    loop->call_soon([&] {
        (void)loop->create_task(log_step(&log, "task1"));
        loop->call_soon([&] { log.push_back("cb"); });
        (void)loop->create_task(log_step(&log, "task2"));
        loop->call_soon([&] { loop->call_soon([&] { loop->stop(); }); });
    });
    loop->run_forever();
    EXPECT_EQ(log, (std::vector<std::string>{"task1", "cb", "task2"}));
}

TEST(EventLoopTest, TaskStepsAndCallbacksShareOneFifoBeforeTheLoopRuns) {
    auto loop = weft::new_event_loop();
    std::vector<std::string> log;
    auto t1 = loop->create_task(log_step(&log, "task1"));
    loop->call_soon([&] { log.push_back("cb"); });
    auto t2 = loop->create_task(log_step(&log, "task2"));
    loop->call_soon([&] { loop->call_soon([&] { loop->stop(); }); });
    loop->run_forever();
    EXPECT_EQ(log, (std::vector<std::string>{"task1", "cb", "task2"}));
}

TEST(EventLoopTest, TasksOfAStandaloneLoopInterleave) {
    auto loop = weft::new_event_loop();
    std::vector<int> done_order;
    auto slow = loop->create_task(value_after(4ms, 1));
    auto fast = loop->create_task(value_after(1ms, 2));
    slow.add_done_callback([&](weft::task<int> t) { done_order.push_back(t.result()); });
    fast.add_done_callback([&](weft::task<int> t) { done_order.push_back(t.result()); });
    EXPECT_EQ(loop->run_until_complete(slow), 1);
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();  // lets the last done-callback run
    EXPECT_EQ(done_order, (std::vector<int>{2, 1}));
}
