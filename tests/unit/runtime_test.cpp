// weft::run and weft::runtime: results, misuse, repeated runs, submissions
// from many threads, shutdown (cancellation of what is left, including tasks
// spawned while shutting down) and the worker count.
#include <weft/weft.hpp>

#include "support/core_test.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <sched.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct custom_failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// What a task left running at shutdown went through.
struct shutdown_probe {
    std::atomic<bool> started{false};
    std::atomic<bool> caught{false};
    std::atomic<bool> cleanup_done{false};
    std::atomic<bool> guard_destroyed{false};
    std::atomic<bool> finished{false};
    std::atomic<int> cancels{0};
    std::atomic<bool> frame_destroyed{false};
};

/// A coroutine parameter whose copy in the frame reports the frame's
/// destruction (the moved-from original does not).
struct frame_token {
    std::atomic<bool>* destroyed;
    explicit frame_token(std::atomic<bool>* d) : destroyed(d) {}
    frame_token(frame_token&& o) noexcept : destroyed(std::exchange(o.destroyed, nullptr)) {}
    frame_token(const frame_token&) = delete;
    frame_token& operator=(const frame_token&) = delete;
    ~frame_token() {
        if (destroyed) destroyed->store(true);
    }
};

struct probe_guard {
    shutdown_probe* p;
    explicit probe_guard(shutdown_probe* probe) : p(probe) {}
    probe_guard(const probe_guard&) = delete;
    probe_guard& operator=(const probe_guard&) = delete;
    ~probe_guard() { p->guard_destroyed.store(true); }
};

weft::coro<int> value_after(std::chrono::milliseconds d, int v) {
    co_await weft::sleep(d);
    co_return v;
}

weft::coro<int> fail_after_yield(std::string what) {
    co_await weft::sleep(0ms);
    throw custom_failure(what);
}

/// Sleeps "forever"; on cancellation runs an awaiting cleanup and rethrows.
weft::coro<void> forever(shutdown_probe* p, frame_token token) {
    (void)token;
    probe_guard guard(p);
    p->started.store(true);
    std::exception_ptr cancel;
    try {
        co_await weft::sleep(1h);
        p->finished.store(true);
    } catch (const weft::cancelled_error&) {
        p->caught.store(true);
        cancel = std::current_exception();
    }
    if (cancel) {
        co_await weft::sleep(2ms);
        p->cleanup_done.store(true);
        std::rethrow_exception(cancel);
    }
}

weft::coro<int> main_leaving_a_task(shutdown_probe* p) {
    (void)weft::create_task(forever(p, frame_token(&p->frame_destroyed)));
    co_await weft::sleep(0ms);
    co_return 1;
}

/// When cancelled, spawns a new long-running task from its cleanup handler.
weft::coro<void> spawns_when_cancelled(shutdown_probe* self, shutdown_probe* child) {
    probe_guard guard(self);
    try {
        co_await weft::sleep(1h);
    } catch (const weft::cancelled_error&) {
        self->caught.store(true);
        (void)weft::create_task(forever(child, frame_token(&child->frame_destroyed)));
        throw;
    }
}

weft::coro<int> main_leaving_a_spawner(shutdown_probe* self, shutdown_probe* child) {
    (void)weft::create_task(spawns_when_cancelled(self, child));
    co_await weft::sleep(0ms);
    co_return 2;
}

/// Catches the first cancellation and goes back to sleep; the next shutdown
/// round has to cancel it again.
weft::coro<void> stubborn(shutdown_probe* p) {
    probe_guard guard(p);
    for (;;) {
        try {
            co_await weft::sleep(1h);
            p->finished.store(true);
            co_return;
        } catch (const weft::cancelled_error&) {
            if (p->cancels.fetch_add(1) + 1 >= 2) {
                p->caught.store(true);
                throw;
            }
        }
    }
}

weft::coro<int> main_leaving_a_stubborn_task(shutdown_probe* p) {
    (void)weft::create_task(stubborn(p));
    co_await weft::sleep(0ms);
    co_return 3;
}

weft::coro<std::string> run_inside_a_loop() {
    try {
        (void)weft::run(value_after(0ms, 1));
    } catch (const weft::error& e) {
        co_return e.what();
    }
    co_return "<no exception>";
}

weft::coro<std::string> runtime_run_inside_a_loop(weft::runtime* rt) {
    try {
        (void)rt->run(value_after(0ms, 1));
    } catch (const weft::error& e) {
        co_return e.what();
    }
    co_return "<no exception>";
}

weft::coro<bool> wait_for_flag(const std::atomic<bool>* flag) {
    const auto deadline = weft::clock::now() + 5s;
    while (!flag->load() && weft::clock::now() < deadline) co_await weft::sleep(1ms);
    co_return flag->load();
}

weft::coro<void> set_after(std::atomic<bool>* flag, std::chrono::milliseconds d) {
    co_await weft::sleep(d);
    flag->store(true);
}

weft::coro<int> leave_background_task(std::atomic<bool>* flag) {
    (void)weft::create_task(set_after(flag, 1ms));
    co_return 0;
}

weft::coro<int> square_after_yield(int v) {
    co_await weft::sleep(0ms);
    co_return v * v;
}

struct where_info {
    weft::event_loop* loop = nullptr;
    std::thread::id thread{};
};

weft::coro<where_info> where() {
    co_await weft::sleep(1ms);
    co_return where_info{&weft::get_running_loop(), std::this_thread::get_id()};
}

weft::coro<std::pair<int, weft::event_loop*>> await_from_here(weft::task<int> t) {
    int v = co_await t;
    co_return std::make_pair(v, &weft::get_running_loop());
}

unsigned allowed_cpus() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return static_cast<unsigned>(CPU_COUNT(&set));
    return std::thread::hardware_concurrency();
}

weft::runtime_options with_workers(unsigned n) {
    weft::runtime_options o;
    o.workers = n;
    return o;
}

class RuntimeWorkersTest : public ::testing::TestWithParam<unsigned> {};

} // namespace

TEST_P(RuntimeWorkersTest, RunReturnsTheValue) {
    EXPECT_EQ(weft::run(value_after(1ms, 12), with_workers(GetParam())), 12);
}

TEST_P(RuntimeWorkersTest, RunRethrowsTheException) {
    try {
        weft::run(fail_after_yield("main failed"), with_workers(GetParam()));
        FAIL() << "no exception";
    } catch (const custom_failure& e) {
        EXPECT_STREQ(e.what(), "main failed");
    }
}

TEST_P(RuntimeWorkersTest, RunFromInsideALoopThrows) {
    std::string what = weft_test::run(run_inside_a_loop(), GetParam());
    EXPECT_NE(what.find("weft::run"), std::string::npos) << what;
}

TEST_P(RuntimeWorkersTest, ShutdownCancelsPendingTasksAndRunsTheirCleanup) {
    shutdown_probe p;
    const auto start = weft::clock::now();
    EXPECT_EQ(weft::run(main_leaving_a_task(&p), with_workers(GetParam())), 1);
    EXPECT_LT(weft_test::ms_since(start), 5000.0);
    EXPECT_TRUE(p.started.load());
    EXPECT_TRUE(p.caught.load());
    EXPECT_TRUE(p.cleanup_done.load());  // the awaiting cleanup finished
    EXPECT_TRUE(p.guard_destroyed.load());
    EXPECT_TRUE(p.frame_destroyed.load());
    EXPECT_FALSE(p.finished.load());
}

TEST_P(RuntimeWorkersTest, TasksSpawnedDuringShutdownAreCancelledToo) {
    shutdown_probe spawner, child;
    const auto start = weft::clock::now();
    EXPECT_EQ(weft::run(main_leaving_a_spawner(&spawner, &child), with_workers(GetParam())), 2);
    EXPECT_LT(weft_test::ms_since(start), 5000.0);
    EXPECT_TRUE(spawner.caught.load());
    EXPECT_TRUE(spawner.guard_destroyed.load());
    // The child was cancelled by a later round: before it started (its body
    // never ran) or while it slept (its cleanup ran). Its frame is gone.
    EXPECT_TRUE(child.frame_destroyed.load());
    EXPECT_FALSE(child.finished.load());
    if (child.started.load()) {
        EXPECT_TRUE(child.caught.load());
        EXPECT_TRUE(child.cleanup_done.load());
        EXPECT_TRUE(child.guard_destroyed.load());
    }
}

TEST_P(RuntimeWorkersTest, ShutdownCancelsAgainATaskThatIgnoredTheFirstCancel) {
    shutdown_probe p;
    const auto start = weft::clock::now();
    EXPECT_EQ(weft::run(main_leaving_a_stubborn_task(&p), with_workers(GetParam())), 3);
    EXPECT_LT(weft_test::ms_since(start), 5000.0);
    EXPECT_EQ(p.cancels.load(), 2);
    EXPECT_TRUE(p.caught.load());
    EXPECT_TRUE(p.guard_destroyed.load());
    EXPECT_FALSE(p.finished.load());
}

TEST_P(RuntimeWorkersTest, RuntimeRunSeveralTimes) {
    weft::runtime rt(with_workers(GetParam()));
    for (int i = 0; i < 5; ++i) EXPECT_EQ(rt.run(value_after(0ms, i)), i);
    // A task left by one run keeps its runtime: a later run sees its effect.
    std::atomic<bool> flag{false};
    EXPECT_EQ(rt.run(leave_background_task(&flag)), 0);
    EXPECT_TRUE(rt.run(wait_for_flag(&flag)));
    EXPECT_THROW(rt.run(fail_after_yield("x")), custom_failure);
    EXPECT_EQ(rt.run(value_after(0ms, 99)), 99);  // still usable after a failure
}

TEST_P(RuntimeWorkersTest, RuntimeRunFromInsideItsLoopThrows) {
    weft::runtime rt(with_workers(GetParam()));
    weft::runtime other(with_workers(1));
    std::string what = other.run(runtime_run_inside_a_loop(&rt));
    EXPECT_NE(what.find("runtime::run"), std::string::npos) << what;
}

TEST_P(RuntimeWorkersTest, SubmitFromManyThreads) {
    weft::runtime rt(with_workers(GetParam()));
    constexpr int threads = 4;
    constexpr int per_thread = 25;
    std::vector<std::vector<int>> results(threads);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&rt, &results, t] {
            std::vector<weft::concurrent_future<int>> fs;
            for (int i = 0; i < per_thread; ++i) fs.push_back(rt.submit(square_after_yield(t * 100 + i)));
            for (auto& f : fs) results[static_cast<std::size_t>(t)].push_back(f.result());
        });
    }
    for (auto& t : ts) t.join();
    for (int t = 0; t < threads; ++t) {
        ASSERT_EQ(results[static_cast<std::size_t>(t)].size(), static_cast<std::size_t>(per_thread));
        for (int i = 0; i < per_thread; ++i)
            EXPECT_EQ(results[static_cast<std::size_t>(t)][static_cast<std::size_t>(i)],
                      (t * 100 + i) * (t * 100 + i));
    }
}

TEST_P(RuntimeWorkersTest, RunFromSeveralThreadsAtOnce) {
    weft::runtime rt(with_workers(GetParam()));
    std::vector<int> results(3, -1);
    std::vector<std::thread> ts;
    for (int t = 0; t < 3; ++t)
        ts.emplace_back([&rt, &results, t] { results[static_cast<std::size_t>(t)] = rt.run(value_after(2ms, t)); });
    for (auto& t : ts) t.join();
    EXPECT_EQ(results, (std::vector<int>{0, 1, 2}));
}

TEST(RuntimeTest, TwoWorkersBothRunSubmittedWork) {
    weft::runtime rt(with_workers(2));
    ASSERT_EQ(rt.workers(), 2u);
    auto a = rt.submit(where());
    auto b = rt.submit(where());
    where_info wa = a.result();
    where_info wb = b.result();
    std::set<weft::event_loop*> loops{wa.loop, wb.loop};
    EXPECT_EQ(loops, (std::set<weft::event_loop*>{&rt.loop(0), &rt.loop(1)}));
    EXPECT_NE(wa.thread, wb.thread);
    EXPECT_NE(wa.thread, std::this_thread::get_id());
    EXPECT_NE(wb.thread, std::this_thread::get_id());
}

TEST(RuntimeTest, ATaskOfOneWorkerIsAwaitedFromTheOther) {
    weft::runtime rt(with_workers(2));
    // Non-stealable tasks created on worker 0 and worker 1 stay there.
    weft::task<int> t = weft_test::pinned_task_on(rt.loop(0), value_after(5ms, 7));
    auto waiter = weft_test::pinned_task_on(rt.loop(1), await_from_here(t));
    auto [v, awaiting_loop] = rt.submit(weft_test::await_task(waiter)).result();
    EXPECT_EQ(v, 7);
    EXPECT_EQ(awaiting_loop, &rt.loop(1));
    EXPECT_EQ(t.get_loop(), &rt.loop(0));
    EXPECT_TRUE(t.done());
}

TEST(RuntimeTest, ShutdownIsIdempotentAndRefusesNewWork) {
    weft::runtime rt(with_workers(1));
    EXPECT_EQ(rt.run(value_after(0ms, 1)), 1);
    rt.shutdown();
    rt.shutdown();
    EXPECT_THROW((void)rt.submit(value_after(0ms, 2)), weft::error);
    EXPECT_THROW((void)rt.run(value_after(0ms, 2)), weft::error);
}

TEST(RuntimeTest, WorkersOption) {
    weft_core_test::env_guard env("WEFT_WORKERS", nullptr);
    for (unsigned n : {1u, 2u, 3u}) {
        weft::runtime rt(with_workers(n));
        EXPECT_EQ(rt.workers(), n);
        EXPECT_EQ(rt.options().workers, n);
    }
    weft::runtime by_core(with_workers(0));
    EXPECT_EQ(by_core.workers(), allowed_cpus());
    EXPECT_EQ(weft::resolve_worker_count(0), allowed_cpus());
    EXPECT_EQ(weft::resolve_worker_count(5), 5u);
}

TEST(RuntimeTest, WeftWorkersEnvironmentVariableWhenWorkersIsZero) {
    weft_core_test::env_guard env("WEFT_WORKERS", "3");
    weft::runtime rt(with_workers(0));
    EXPECT_EQ(rt.workers(), 3u);
    EXPECT_EQ(weft::resolve_worker_count(0), 3u);
    EXPECT_EQ(rt.run(value_after(0ms, 4)), 4);
}

// runtime_options::workers: "0 means the WEFT_WORKERS environment variable if
// set": an explicit count is used as given.
TEST(RuntimeTest, ExplicitWorkersWinOverWeftWorkers) {
    weft_core_test::env_guard env("WEFT_WORKERS", "3");
    weft::runtime rt(with_workers(2));
    EXPECT_EQ(rt.workers(), 2u);
    EXPECT_EQ(weft::resolve_worker_count(2), 2u);
}

TEST(RuntimeTest, InvalidWeftWorkersIsAValueError) {
    weft_core_test::env_guard env("WEFT_WORKERS", "many");
    EXPECT_THROW(weft::runtime rt(with_workers(0)), weft::value_error);
}

INSTANTIATE_TEST_SUITE_P(W, RuntimeWorkersTest, weft_test::worker_counts(), weft_core_test::workers_suffix);
