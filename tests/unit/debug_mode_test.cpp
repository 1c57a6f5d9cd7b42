// Debug mode (runtime_options::debug, event_loop::set_debug): reports of
// never-awaited coroutines, slow callbacks and task steps, and exceptions
// that were never retrieved, all through the loop's exception handler.
#include <weft/weft.hpp>

#include "support/core_test.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// Records every report a loop's exception handler receives (any thread).
class report_log {
public:
    struct entry {
        std::string message;
        std::string task_name;
        std::string what;
    };
    void install(weft::event_loop& loop) {
        loop.set_exception_handler([this](weft::event_loop&, const weft::exception_context& c) {
            entry e{c.message, c.task_name, {}};
            if (c.exception) {
                try {
                    std::rethrow_exception(c.exception);
                } catch (const std::exception& x) {
                    e.what = x.what();
                } catch (...) {
                    e.what = "<other>";
                }
            }
            std::lock_guard<std::mutex> g(m_);
            entries_.push_back(std::move(e));
        });
    }
    std::vector<entry> entries() const {
        std::lock_guard<std::mutex> g(m_);
        return entries_;
    }
    /// Entries whose message contains `needle`.
    std::vector<entry> matching(const std::string& needle) const {
        std::vector<entry> out;
        for (auto& e : entries())
            if (e.message.find(needle) != std::string::npos) out.push_back(e);
        return out;
    }
    std::string dump() const {
        std::string s;
        for (auto& e : entries()) s += "  [" + e.message + "] task=" + e.task_name + " what=" + e.what + "\n";
        return s;
    }

private:
    mutable std::mutex m_;
    std::vector<entry> entries_;
};

bool debug_forced_by_environment() {
    const char* v = std::getenv("WEFT_DEBUG");
    return v && *v && std::string(v) != "0";
}

weft::runtime_options debug_options(unsigned workers) {
    weft::runtime_options o;
    o.workers = workers;
    o.debug = true;
    return o;
}

void busy_wait(std::chrono::milliseconds d) {
    const auto until = weft::clock::now() + d;
    while (weft::clock::now() < until) {
    }
}

// --- coroutines used by the tests ---------------------------------------------

weft::coro<int> never_awaited_marker() { co_return 1; }
weft::coro<int> awaited_marker() { co_return 2; }
weft::coro<int> task_marker() { co_return 3; }

weft::coro<int> fail_soon(std::string what) {
    co_await weft::sleep(0ms);
    throw std::runtime_error(what);
}

weft::coro<void> slow_step_task() {
    co_await weft::sleep(0ms);
    busy_wait(20ms);
}

weft::coro<void> drop_unawaited(report_log* log) {
    log->install(weft::get_running_loop());
    {
        auto c = never_awaited_marker();
        (void)c;
    }
    int v = co_await awaited_marker();
    auto t = weft::create_task(task_marker());
    int w = co_await t;
    EXPECT_EQ(v + w, 5);
}

weft::coro<bool> wait_done(weft::basic_task t) {
    for (int i = 0; i < 5000 && !t.done(); ++i) co_await weft::sleep(1ms);
    co_return t.done();
}

weft::coro<void> drop_failed_task(report_log* log, std::string* name) {
    log->install(weft::get_running_loop());
    {
        auto t = weft::create_task(fail_soon("lost failure"));
        *name = t.get_name();
        bool done = co_await wait_done(t);
        EXPECT_TRUE(done);
    }  // the last handle goes away here
    co_await weft::sleep(0ms);
}

weft::coro<void> drop_retrieved_failed_tasks(report_log* log) {
    log->install(weft::get_running_loop());
    {
        auto by_exception = weft::create_task(fail_soon("a"));
        auto by_result = weft::create_task(fail_soon("b"));
        auto by_await = weft::create_task(fail_soon("c"));
        bool done = co_await wait_done(by_exception);
        EXPECT_TRUE(done);
        done = co_await wait_done(by_result);
        EXPECT_TRUE(done);
        EXPECT_NE(by_exception.exception(), nullptr);
        EXPECT_THROW(by_result.result(), std::runtime_error);
        try {
            co_await by_await;
        } catch (const std::runtime_error&) {
        }
    }
    {
        weft::future<int> f;
        f.set_exception(std::make_exception_ptr(std::runtime_error("seen")));
        EXPECT_NE(f.exception(), nullptr);
    }
    co_await weft::sleep(0ms);
}

weft::coro<void> drop_failed_future(report_log* log) {
    log->install(weft::get_running_loop());
    {
        weft::future<int> f;
        f.set_exception(std::make_exception_ptr(std::runtime_error("future lost")));
    }
    co_await weft::sleep(0ms);
}

weft::coro<void> run_slow_task(report_log* log, std::string* name) {
    auto& loop = weft::get_running_loop();
    log->install(loop);
    loop.slow_callback_duration = 1ms;
    auto t = weft::create_task(slow_step_task());
    *name = t.get_name();
    co_await t;
}

class DebugModeWorkersTest : public ::testing::TestWithParam<unsigned> {};

} // namespace

TEST_P(DebugModeWorkersTest, NeverAwaitedCoroIsReportedWithItsName) {
    report_log log;
    weft::run(drop_unawaited(&log), debug_options(GetParam()));
    auto reports = log.matching("never awaited");
    ASSERT_EQ(reports.size(), 1u) << log.dump();
    EXPECT_NE(reports[0].message.find("never_awaited_marker"), std::string::npos) << reports[0].message;
    EXPECT_EQ(reports[0].message.find("task_marker"), std::string::npos) << reports[0].message;
}

TEST(DebugModeTest, NeverAwaitedIsNotReportedWithoutDebug) {
    if (debug_forced_by_environment()) GTEST_SKIP() << "WEFT_DEBUG is set";
    report_log log;
    weft::runtime_options o;
    o.workers = 1;
    weft::run(drop_unawaited(&log), o);
    EXPECT_TRUE(log.matching("never awaited").empty()) << log.dump();
}

TEST(DebugModeTest, NeverAwaitedOnAStandaloneLoopWithSetDebug) {
    auto loop = weft::new_event_loop();
    loop->set_debug(true);
    EXPECT_TRUE(loop->get_debug());
    report_log log;
    loop->run_until_complete(drop_unawaited(&log));
    auto reports = log.matching("never awaited");
    ASSERT_EQ(reports.size(), 1u) << log.dump();
    EXPECT_NE(reports[0].message.find("never_awaited_marker"), std::string::npos) << reports[0].message;
}

TEST(DebugModeTest, SlowCallbackIsReported) {
    auto loop = weft::new_event_loop();
    loop->set_debug(true);
    loop->slow_callback_duration = 1ms;
    report_log log;
    log.install(*loop);
    loop->call_soon([] { busy_wait(20ms); });
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    auto reports = log.matching("took");
    ASSERT_GE(reports.size(), 1u) << log.dump();
    EXPECT_NE(reports[0].message.find("callback"), std::string::npos) << reports[0].message;
}

TEST(DebugModeTest, CallbackUnderTheThresholdIsNotReported) {
    auto loop = weft::new_event_loop();
    loop->set_debug(true);
    loop->slow_callback_duration = 10s;
    report_log log;
    log.install(*loop);
    loop->call_soon([] { busy_wait(20ms); });
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    EXPECT_TRUE(log.matching("took").empty()) << log.dump();
}

TEST(DebugModeTest, SlowCallbackIsNotReportedWithoutDebug) {
    if (debug_forced_by_environment()) GTEST_SKIP() << "WEFT_DEBUG is set";
    auto loop = weft::new_event_loop();
    EXPECT_FALSE(loop->get_debug());
    loop->slow_callback_duration = 1ms;
    report_log log;
    log.install(*loop);
    loop->call_soon([] { busy_wait(20ms); });
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    EXPECT_TRUE(log.matching("took").empty()) << log.dump();
}

TEST_P(DebugModeWorkersTest, SlowTaskStepIsReportedWithTheTaskName) {
    report_log log;
    std::string name;
    weft::run(run_slow_task(&log, &name), debug_options(GetParam()));
    bool found = false;
    for (auto& e : log.matching("took"))
        if (e.message.find(name) != std::string::npos) found = true;
    EXPECT_TRUE(found) << "task " << name << "\n" << log.dump();
}

TEST_P(DebugModeWorkersTest, RuntimeOptionSlowCallbackDuration) {
    weft::runtime_options o = debug_options(GetParam());
    o.slow_callback_duration = 7ms;
    weft::runtime rt(o);
    for (std::size_t i = 0; i < rt.workers(); ++i) {
        EXPECT_TRUE(rt.loop(i).get_debug());
        EXPECT_EQ(rt.loop(i).slow_callback_duration, std::chrono::nanoseconds(7ms));
    }
}

TEST_P(DebugModeWorkersTest, UnretrievedTaskExceptionIsReportedWhenTheLastHandleGoes) {
    report_log log;
    std::string name;
    weft::run(drop_failed_task(&log, &name), debug_options(GetParam()));
    auto reports = log.matching("never retrieved");
    ASSERT_EQ(reports.size(), 1u) << log.dump();
    EXPECT_NE(reports[0].message.find(name), std::string::npos) << reports[0].message;
    EXPECT_EQ(reports[0].what, "lost failure");
}

TEST_P(DebugModeWorkersTest, RetrievedExceptionsAreNotReported) {
    report_log log;
    weft::run(drop_retrieved_failed_tasks(&log), debug_options(GetParam()));
    EXPECT_TRUE(log.matching("never retrieved").empty()) << log.dump();
}

TEST_P(DebugModeWorkersTest, UnretrievedFutureExceptionIsReported) {
    report_log log;
    weft::run(drop_failed_future(&log), debug_options(GetParam()));
    auto reports = log.matching("never retrieved");
    ASSERT_EQ(reports.size(), 1u) << log.dump();
    EXPECT_EQ(reports[0].what, "future lost");
}

INSTANTIATE_TEST_SUITE_P(W, DebugModeWorkersTest, weft_test::worker_counts(), weft_core_test::workers_suffix);
