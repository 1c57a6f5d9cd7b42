// weft::run_in_executor and weft::to_thread: values, exceptions and
// move-only arguments crossing to an executor and back, the default oneTBB
// executor (nullptr), cancellation of the awaiting task (asyncio's
// semantics: the call runs on, its outcome is dropped silently), runtime
// shutdown waiting for calls still running, calls back into the runtime
// from executor threads, and many calls at once.
#include <weft/executors.hpp>

#include "support/combinators.hpp"
#include "support/gate.hpp"
#include "support/weft_test.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using weft_test::await_arrivals;
using weft_test::let_others_run;
using weft_test::ms_since;

namespace {

/// The error the functions run on executors throw.
struct executor_failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Where a function ran.
struct place {
    std::thread::id thread;
    bool on_a_loop = false;  ///< an event loop runs on that thread (a worker)
    int value = 0;
};

place here(int value) { return place{std::this_thread::get_id(), weft::detail::running_loop() != nullptr, value}; }

#if defined(__SANITIZE_THREAD__)
// oneTBB is not instrumented: TSan cannot see how parallel_for hands its
// range pieces between threads, and reports the body's accesses as races.
// Under TSan the sum is done serially; every other build checks
// parallel_for inside executor work.
constexpr bool use_parallel_for = false;
#else
constexpr bool use_parallel_for = true;
#endif

/// Sum of 0..n-1 with tbb::parallel_for, which must work inside executor
/// work (it joins the arena the call runs in).
long long parallel_sum(int n) {
    if (!use_parallel_for) {
        long long total = 0;
        for (int i = 0; i < n; ++i) total += i;
        return total;
    }
    std::atomic<long long> total{0};
    oneapi::tbb::parallel_for(oneapi::tbb::blocked_range<int>(0, n), [&](const oneapi::tbb::blocked_range<int>& r) {
        long long part = 0;
        for (int i = r.begin(); i != r.end(); ++i) part += i;
        total.fetch_add(part, std::memory_order_relaxed);
    });
    return total.load();
}

weft::tbb_executor_options tbb_options(std::string name, int max_concurrency = 0) {
    weft::tbb_executor_options o;
    o.name = std::move(name);
    o.max_concurrency = max_concurrency;
    return o;
}

class RunInExecutorOnWorkers : public ::testing::TestWithParam<unsigned> {
protected:
    weft::runtime_options options(bool debug = false) const {
        weft::runtime_options o;
        o.workers = GetParam();
        o.debug = debug;
        return o;
    }
    template <class T>
    T run(weft::coro<T> c, bool debug = false) const {
        return weft::run(std::move(c), options(debug));
    }
};
INSTANTIATE_TEST_SUITE_P(RunInExecutor, RunInExecutorOnWorkers, ::testing::Values(1u, 2u),
                         weft_test::workers_name);

// --- an explicit tbb_executor ------------------------------------------------------

weft::coro<void> tbb_round_trips(weft::tbb_executor* ex) {
    const std::thread::id caller = std::this_thread::get_id();

    auto add = [](int a, int b) { return a + b; };
    const int sum = co_await weft::run_in_executor(ex, add, 40, 2);
    EXPECT_EQ(sum, 42);
    // The reference overload and the loop's member take the same path.
    const int by_ref = co_await weft::run_in_executor(*ex, add, 1, 2);
    EXPECT_EQ(by_ref, 3);
    weft::event_loop& loop = weft::get_running_loop();
    const int by_loop = co_await loop.run_in_executor(ex, add, 5, 6);
    EXPECT_EQ(by_loop, 11);

    // f runs on an arena thread: not the awaiting worker, and no loop at all.
    auto where = [](int v) { return here(v); };
    const place p = co_await weft::run_in_executor(ex, where, 7);
    EXPECT_NE(p.thread, caller);
    EXPECT_FALSE(p.on_a_loop) << "f ran on a thread running an event loop";
    EXPECT_EQ(p.value, 7);

    // Move-only arguments go in, a move-only result comes back.
    auto bump = [](std::unique_ptr<int> box) {
        *box += 1;
        return box;
    };
    auto box = std::make_unique<int>(41);
    std::unique_ptr<int> back = co_await weft::run_in_executor(ex, bump, std::move(box));
    EXPECT_EQ(box, nullptr);
    EXPECT_TRUE(back != nullptr && *back == 42);

    // A move-only callable.
    auto owner = [held = std::make_unique<int>(9)]() { return *held * 2; };
    const int owned = co_await weft::run_in_executor(ex, std::move(owner));
    EXPECT_EQ(owned, 18);

    // void results.
    auto counter = std::make_shared<std::atomic<int>>(0);
    auto touch = [counter] { counter->fetch_add(1); };
    co_await weft::run_in_executor(ex, touch);
    EXPECT_EQ(counter->load(), 1);

    // f's exception reaches the awaiter with its type and message.
    auto fail = []() -> int { throw executor_failure("failed in the arena"); };
    bool caught = false;
    try {
        co_await weft::run_in_executor(ex, fail);
    } catch (const executor_failure& e) {
        caught = true;
        EXPECT_STREQ(e.what(), "failed in the arena");
    }
    EXPECT_TRUE(caught) << "f's exception did not reach the awaiter";

    auto fail_void = [] { throw executor_failure("void call failed"); };
    bool caught_void = false;
    try {
        co_await weft::run_in_executor(ex, fail_void);
    } catch (const executor_failure& e) {
        caught_void = true;
        EXPECT_STREQ(e.what(), "void call failed");
    }
    EXPECT_TRUE(caught_void);
}

TEST_P(RunInExecutorOnWorkers, TbbExecutorCallsReturnValuesAndExceptionsOffTheLoops) {
    weft::tbb_executor ex(tbb_options("round trips"));
    run(tbb_round_trips(&ex));
    EXPECT_EQ(ex.shutdown(), 0u);
}

// --- the default executor (nullptr) ------------------------------------------------

weft::coro<void> default_executor_calls(int n) {
    const long long expected = static_cast<long long>(n) * (n - 1) / 2;
    auto sum = [](int count) { return parallel_sum(count); };

    const long long free_function = co_await weft::run_in_executor(nullptr, sum, n);
    EXPECT_EQ(free_function, expected);

    weft::event_loop& loop = weft::get_running_loop();
    const long long member = co_await loop.run_in_executor(nullptr, sum, n);
    EXPECT_EQ(member, expected);

    const std::thread::id caller = std::this_thread::get_id();
    auto where = [](int v) { return here(v); };
    const place p = co_await weft::run_in_executor(nullptr, where, 3);
    EXPECT_NE(p.thread, caller);
    EXPECT_FALSE(p.on_a_loop) << "the default executor ran f on a worker";
    EXPECT_EQ(p.value, 3);

    auto fail = []() -> long long { throw executor_failure("default executor failure"); };
    bool caught = false;
    try {
        co_await weft::run_in_executor(nullptr, fail);
    } catch (const executor_failure& e) {
        caught = true;
        EXPECT_STREQ(e.what(), "default executor failure");
    }
    EXPECT_TRUE(caught);
}

TEST_P(RunInExecutorOnWorkers, NullptrSelectsTheDefaultExecutorWhereParallelForWorks) {
    run(default_executor_calls(100'000));
}

// --- to_thread ----------------------------------------------------------------------

weft::coro<void> to_thread_calls() {
    const std::thread::id caller = std::this_thread::get_id();
    auto where = [](int v) { return here(v * 3); };
    const place p = co_await weft::to_thread(where, 14);
    EXPECT_NE(p.thread, caller);
    EXPECT_FALSE(p.on_a_loop) << "to_thread ran f on a worker";
    EXPECT_EQ(p.value, 42);

    auto text = [](std::string a, std::unique_ptr<std::string> b) { return a + *b; };
    auto tail = std::make_unique<std::string>(" world");
    std::string greeting = "hello";
    const std::string joined = co_await weft::to_thread(text, std::move(greeting), std::move(tail));
    EXPECT_EQ(joined, "hello world");

    auto fail = []() -> int { throw executor_failure("blocking call failed"); };
    bool caught = false;
    try {
        co_await weft::to_thread(fail);
    } catch (const executor_failure& e) {
        caught = true;
        EXPECT_STREQ(e.what(), "blocking call failed");
    }
    EXPECT_TRUE(caught);
}

TEST_P(RunInExecutorOnWorkers, ToThreadRunsOnAPoolThreadAndReturnsTheValue) { run(to_thread_calls()); }

// --- cancellation -------------------------------------------------------------------

/// Awaits a call held at g that, once released, counts itself in *finished
/// and throws.
weft::coro<int> await_held_failing_call(weft::executor* ex, std::shared_ptr<weft_test::gate> g,
                                        std::shared_ptr<std::atomic<int>> finished) {
    auto held = [g, finished]() -> int {
        g->pass();
        finished->fetch_add(1);
        throw executor_failure("late failure of an abandoned call");
    };
    co_return co_await weft::run_in_executor(ex, std::move(held));
}

struct cancel_outcome {
    bool arrived = false;
    bool cancelled = false;
    double cancel_ms = 0;
    int finished_at_cancel = -1;
    int finished_after_release = -1;
    std::size_t pending_after_release = 1;
};

weft::coro<cancel_outcome> cancel_a_held_call(weft::tbb_executor* ex, std::shared_ptr<weft_test::gate> g,
                                              std::shared_ptr<std::atomic<int>> finished) {
    cancel_outcome r;
    auto t = weft::create_task(await_held_failing_call(ex, g, finished));
    r.arrived = co_await await_arrivals(g, 1);
    const auto start = weft::clock::now();
    t.cancel();
    try {
        co_await t;
    } catch (const weft::cancelled_error&) {
        r.cancelled = true;
    }
    r.cancel_ms = ms_since(start);
    // Still held at the gate: the cancel did not wait for f.
    r.finished_at_cancel = finished->load();
    g->release();
    // f runs on and finishes; wait (bounded) until the executor let go of
    // the job, which drops the call's future, while this loop still runs to
    // deliver any report of it.
    const auto deadline = weft::clock::now() + 10s;
    while ((finished->load() < 1 || ex->pending() > 0) && weft::clock::now() < deadline)
        co_await weft::sleep(1ms);
    r.finished_after_release = finished->load();
    r.pending_after_release = ex->pending();
    co_await let_others_run();
    co_return r;
}

TEST_P(RunInExecutorOnWorkers, CancellingTheAwaiterLeavesTheCallRunningAndDropsItsLateFailure) {
    weft::tbb_executor ex(tbb_options("held"));
    auto g = std::make_shared<weft_test::gate>();
    auto finished = std::make_shared<std::atomic<int>>(0);
    testing::internal::CaptureStderr();
    std::optional<cancel_outcome> r;
    std::string failure;
    try {
        r = run(cancel_a_held_call(&ex, g, finished), /*debug=*/true);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    g->release();  // also when the run failed, so shutdown() does not wait
    const std::size_t left = ex.shutdown();
    const std::string err = testing::internal::GetCapturedStderr();
    ASSERT_TRUE(r.has_value()) << failure;
    EXPECT_TRUE(r->arrived) << "f never reached the gate";
    EXPECT_TRUE(r->cancelled) << "the awaiting task did not end with cancelled_error";
    EXPECT_LT(r->cancel_ms, 10000.0) << "the cancel waited for f";
    EXPECT_EQ(r->finished_at_cancel, 0);
    EXPECT_EQ(r->finished_after_release, 1) << "f did not run on after the cancel";
    EXPECT_EQ(r->pending_after_release, 0u);
    EXPECT_EQ(left, 0u);
    EXPECT_EQ(finished->load(), 1);
    EXPECT_EQ(err.find("never retrieved"), std::string::npos) << err;
    EXPECT_EQ(err.find("late failure"), std::string::npos) << err;
}

/// Makes a failing call and drops its coro without awaiting it.
weft::coro<void> drop_a_failing_call(weft::tbb_executor* ex) {
    auto fail = []() -> int { throw executor_failure("failure nobody awaited"); };
    {
        auto dropped = weft::run_in_executor(ex, fail);
    }
    co_return;
}

TEST_P(RunInExecutorOnWorkers, AFailingCallWhoseCoroIsNeverAwaitedIsStillReported) {
    // The counterpart of the test above: the report it must not see does
    // exist, and reaches stderr, when nobody ever took the outcome.
    weft::tbb_executor ex(tbb_options("dropped"));
    testing::internal::CaptureStderr();
    std::string failure;
    try {
        run(drop_a_failing_call(&ex), /*debug=*/true);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    const std::size_t left = ex.shutdown();  // the job, and the future it holds, are gone
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_TRUE(failure.empty()) << failure;
    EXPECT_EQ(left, 0u);
    EXPECT_NE(err.find("never retrieved"), std::string::npos) << err;
    EXPECT_NE(err.find("failure nobody awaited"), std::string::npos) << err;
}

// --- runtime shutdown ---------------------------------------------------------------

struct shutdown_state {
    weft_test::gate gate;
    std::atomic<int> finished{0};
    std::atomic<int> finished_when_main_returned{-1};
    std::atomic<bool> main_returned{false};
    std::atomic<bool> arrived{false};
};

/// Starts a call held at the gate (on the default executor, or on the
/// default thread pool through to_thread), leaves its awaiting task
/// pending, and returns: the runtime's shutdown cancels that task.
weft::coro<void> leave_a_held_call(std::shared_ptr<shutdown_state> s, bool through_to_thread) {
    auto held = [s] {
        s->gate.pass();
        s->finished.fetch_add(1);
    };
    std::optional<weft::coro<void>> call;
    if (through_to_thread)
        call.emplace(weft::to_thread(std::move(held)));
    else
        call.emplace(weft::run_in_executor(nullptr, std::move(held)));
    auto waiter = weft::create_task(std::move(*call));
    const auto start = weft::clock::now();
    while (s->gate.arrived() < 1 && ms_since(start) < 10000.0) co_await weft::sleep(1ms);
    s->arrived.store(s->gate.arrived() == 1);
    s->finished_when_main_returned.store(s->finished.load());
    s->main_returned.store(true);
}

/// Runs leave_a_held_call on a runtime while another thread opens the gate
/// a little after main returned, when the runtime is shutting down.
void check_shutdown_waits(unsigned workers, bool through_to_thread) {
    auto s = std::make_shared<shutdown_state>();
    std::thread releaser([s] {
        const auto end = std::chrono::steady_clock::now() + 10s;
        while (!s->main_returned.load() && std::chrono::steady_clock::now() < end)
            std::this_thread::sleep_for(1ms);
        // Not needed for correctness: any moment works, this one lets the
        // shutdown start before f can finish.
        std::this_thread::sleep_for(50ms);
        s->gate.release();
    });
    weft::runtime_options o;
    o.workers = workers;
    testing::internal::CaptureStderr();
    std::string failure;
    try {
        weft::run(leave_a_held_call(s, through_to_thread), o);
    } catch (const std::exception& e) {
        failure = e.what();
    }
    // Read before joining: run() itself must have waited for f.
    const int finished_when_run_returned = s->finished.load();
    releaser.join();
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_TRUE(failure.empty()) << failure;
    EXPECT_TRUE(s->arrived.load()) << "f never reached the gate";
    EXPECT_EQ(s->finished_when_main_returned.load(), 0);
    EXPECT_EQ(finished_when_run_returned, 1) << "run() returned before the executor call finished";
    EXPECT_EQ(err.find("still running"), std::string::npos) << err;
}

// A blocking call that does not come back within executor_shutdown_timeout:
// run() returns anyway, says so on stderr, and the call finishes later on
// its own thread.
TEST_P(RunInExecutorOnWorkers, RuntimeShutdownGivesUpOnAHungBlockingCallAndSaysSo) {
    auto s = std::make_shared<shutdown_state>();
    weft::runtime_options o;
    o.workers = GetParam();
    o.executor_shutdown_timeout = 100ms;
    testing::internal::CaptureStderr();
    const auto start = std::chrono::steady_clock::now();
    weft::run(leave_a_held_call(s, /*through_to_thread=*/true), o);
    const auto took = std::chrono::steady_clock::now() - start;
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_TRUE(s->arrived.load());
    EXPECT_EQ(s->finished.load(), 0);
    EXPECT_LT(took, 5s);
    EXPECT_NE(err.find("1 blocking call(s) on the default thread pool still running after 100 ms"),
              std::string::npos)
        << err;
    // The call was left to finish on its own: it does, once released.
    s->gate.release();
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (s->finished.load() == 0 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(s->finished.load(), 1);
}

TEST(RunInExecutorErrors, ANegativeExecutorShutdownTimeoutIsRefused) {
    weft::runtime_options o;
    o.executor_shutdown_timeout = std::chrono::milliseconds(-1);
    EXPECT_THROW(weft::runtime rt(o), weft::value_error);
}

TEST_P(RunInExecutorOnWorkers, RuntimeShutdownWaitsForADefaultExecutorCall) {
    check_shutdown_waits(GetParam(), /*through_to_thread=*/false);
}

TEST_P(RunInExecutorOnWorkers, RuntimeShutdownWaitsForAToThreadCall) {
    check_shutdown_waits(GetParam(), /*through_to_thread=*/true);
}

// An executor of the application's outlives the runtime whose task was
// waiting for it: the task is cancelled at shutdown, the runtime and its
// loops are destroyed, and only then does the call finish. Its late result
// finds nobody to wake and touches no loop (ASan and TSan would see it).
weft::coro<void> leave_a_call_on(weft::tbb_executor* ex, std::shared_ptr<weft_test::gate> g,
                                 std::shared_ptr<std::atomic<int>> finished) {
    auto held = [g, finished] {
        g->pass();
        finished->fetch_add(1);
        return std::string("late result, long enough to live on the heap");
    };
    auto call = weft::run_in_executor(ex, held);
    auto waiter = weft::create_task(std::move(call));
    const bool arrived = co_await await_arrivals(g, 1);
    EXPECT_TRUE(arrived);
}

TEST_P(RunInExecutorOnWorkers, AnExecutorOutlivingTheRuntimeFinishesItsCallHarmlessly) {
    weft::tbb_executor ex(tbb_options("outlives the runtime", 2));
    auto g = std::make_shared<weft_test::gate>();
    auto finished = std::make_shared<std::atomic<int>>(0);
    {
        weft::runtime_options o;
        o.workers = GetParam();
        weft::runtime rt(o);
        rt.run(leave_a_call_on(&ex, g, finished));
    }  // the runtime is gone; the call is still held
    EXPECT_EQ(finished->load(), 0);
    g->release();
    EXPECT_EQ(ex.shutdown(), 0u);  // waits for the call
    EXPECT_EQ(finished->load(), 1);
}

// --- errors -------------------------------------------------------------------------

TEST(RunInExecutorErrors, CallsWithoutARunningLoopThrowAndSubmitNothing) {
    weft::tbb_executor ex(tbb_options("never used"));
    auto ran = std::make_shared<std::atomic<int>>(0);
    std::string with_default, with_explicit, with_to_thread;
    // A plain thread: no event loop runs on it.
    std::thread plain([&] {
        auto f = [ran] { return ran->fetch_add(1); };
        try {
            auto c = weft::run_in_executor(nullptr, f);
            ADD_FAILURE() << "run_in_executor(nullptr) without a loop did not throw";
        } catch (const weft::error& e) {
            with_default = e.what();
        }
        try {
            auto c = weft::run_in_executor(ex, f);
            ADD_FAILURE() << "run_in_executor(ex) without a loop did not throw";
        } catch (const weft::error& e) {
            with_explicit = e.what();
        }
        try {
            auto c = weft::to_thread(f);
            ADD_FAILURE() << "to_thread without a loop did not throw";
        } catch (const weft::error& e) {
            with_to_thread = e.what();
        }
    });
    plain.join();
    EXPECT_NE(with_default.find("run_in_executor"), std::string::npos) << with_default;
    EXPECT_NE(with_explicit.find("run_in_executor"), std::string::npos) << with_explicit;
    EXPECT_NE(with_to_thread.find("to_thread"), std::string::npos) << with_to_thread;
    EXPECT_EQ(ex.shutdown(), 0u);
    EXPECT_EQ(ran->load(), 0) << "a call without a loop reached the executor";
}

weft::coro<std::string> call_a_shut_down_executor(weft::tbb_executor* ex) {
    auto f = [] { return 1; };
    try {
        auto c = weft::run_in_executor(ex, f);
    } catch (const weft::error& e) {
        co_return std::string(e.what());
    }
    co_return std::string("no exception");
}

TEST(RunInExecutorErrors, TbbExecutorRefusesWorkAfterShutdown) {
    weft::tbb_executor ex(tbb_options("closing arena"));
    EXPECT_EQ(ex.shutdown(), 0u);
    EXPECT_EQ(ex.shutdown(), 0u);  // idempotent
    try {
        ex.execute(weft::detail::unique_function<void()>([] {}));
        ADD_FAILURE() << "execute() after shutdown() did not throw";
    } catch (const weft::error& e) {
        EXPECT_NE(std::string(e.what()).find("tbb_executor 'closing arena'"), std::string::npos) << e.what();
    }
    // run_in_executor hands the job over at the call, so it throws there.
    weft::runtime_options o;
    o.workers = 1;
    const std::string msg = weft::run(call_a_shut_down_executor(&ex), o);
    EXPECT_NE(msg.find("closing arena"), std::string::npos) << msg;
    EXPECT_EQ(ex.pending(), 0u);
}

TEST(RunInExecutorErrors, TbbExecutorRejectsInvalidOptions) {
    weft::tbb_executor_options negative;
    negative.max_concurrency = -1;
    EXPECT_THROW(weft::tbb_executor{negative}, weft::value_error);
    weft::tbb_executor_options no_such_node;
    no_such_node.numa_node = 12345;
    EXPECT_THROW(weft::tbb_executor{no_such_node}, weft::value_error);
}

// --- calling back into the runtime from executor work ------------------------------

/// The nested call: awaits run_in_executor on another executor.
weft::coro<int> doubled_on(weft::executor* ex, int v) {
    auto twice = [](int x) { return 2 * x; };
    co_return co_await weft::run_in_executor(ex, twice, v);
}

struct reentry_outcome {
    int value = 0;
    bool flag_seen = false;
    bool callback_on_that_loop = false;
};

weft::coro<reentry_outcome> call_back_into_the_runtime(weft::executor* outer, weft::executor* inner) {
    weft::event_loop* loop = &weft::get_running_loop();
    auto flag = std::make_shared<std::atomic<bool>>(false);
    auto callback_loop = std::make_shared<std::atomic<weft::event_loop*>>(nullptr);
    auto reenter = [loop, inner, flag, callback_loop]() -> int {
        // Blocks this executor thread (not a worker) until the coroutine,
        // itself waiting on `inner`, finished on the loop.
        weft::concurrent_future<int> nested = weft::run_coroutine_threadsafe(doubled_on(inner, 21), *loop);
        const int v = nested.result(10s);
        auto mark = [flag, callback_loop] {
            callback_loop->store(weft::detail::running_loop());
            flag->store(true);
        };
        loop->call_soon_threadsafe(mark);
        return v;
    };
    reentry_outcome r;
    r.value = co_await weft::run_in_executor(outer, std::move(reenter));
    // The callback and this task's wake both went through the loop's inbox,
    // but with two workers this task may run elsewhere first: wait for it.
    r.flag_seen = co_await weft_test::eventually(flag.get(), 10s);
    r.callback_on_that_loop = callback_loop->load() == loop;
    co_return r;
}

TEST_P(RunInExecutorOnWorkers, ExecutorWorkCallsBackIntoTheRuntime) {
    // Two arena slots for the outer calls, a thread pool for the nested one:
    // the blocked outer call never holds what the nested one needs.
    weft::tbb_executor outer(tbb_options("outer", 2));
    weft::thread_pool_options po;
    po.max_threads = 2;
    po.name = "inner";
    weft::thread_pool_executor inner(po);
    const reentry_outcome r = run(call_back_into_the_runtime(&outer, &inner));
    EXPECT_EQ(r.value, 42);
    EXPECT_TRUE(r.flag_seen) << "the call_soon_threadsafe callback never ran";
    EXPECT_TRUE(r.callback_on_that_loop);
    EXPECT_EQ(outer.shutdown(), 0u);
    EXPECT_EQ(inner.shutdown(), 0u);
}

TEST_P(RunInExecutorOnWorkers, DefaultExecutorWorkCallsBackIntoTheRuntime) {
    weft::thread_pool_options po;
    po.name = "inner";
    weft::thread_pool_executor inner(po);
    const reentry_outcome r = run(call_back_into_the_runtime(nullptr, &inner));
    EXPECT_EQ(r.value, 42);
    EXPECT_TRUE(r.flag_seen);
    EXPECT_TRUE(r.callback_on_that_loop);
    EXPECT_EQ(inner.shutdown(), 0u);
}

// --- many calls at once -------------------------------------------------------------

weft::coro<long long> many_gathered_coros(weft::executor* ex, int n) {
    auto odd = [](int i) { return 2 * i + 1; };
    std::vector<weft::coro<int>> calls;
    calls.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) calls.push_back(weft::run_in_executor(ex, odd, i));
    auto all = weft::gather(std::move(calls));
    const std::vector<int> results = co_await std::move(all);
    EXPECT_EQ(results.size(), static_cast<std::size_t>(n));
    long long sum = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        EXPECT_EQ(results[i], 2 * static_cast<int>(i) + 1) << "result " << i << " out of order";
        sum += results[i];
    }
    co_return sum;
}

weft::coro<long long> many_gathered_tasks(weft::executor* ex, int n) {
    auto odd = [](int i) { return 2 * i + 1; };
    std::vector<weft::task<int>> calls;
    calls.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) calls.push_back(weft::create_task(weft::run_in_executor(ex, odd, i)));
    auto all = weft::gather(std::move(calls));
    const std::vector<int> results = co_await std::move(all);
    long long sum = 0;
    for (int v : results) sum += v;
    co_return sum;
}

TEST_P(RunInExecutorOnWorkers, AThousandDefaultExecutorCallsGathered) {
    // The sum of the first n odd numbers is n squared.
    EXPECT_EQ(run(many_gathered_coros(nullptr, 1000)), 1000LL * 1000);
}

TEST_P(RunInExecutorOnWorkers, AThousandTbbExecutorCallsGatheredAsTasks) {
    weft::tbb_executor ex(tbb_options("many"));
    EXPECT_EQ(run(many_gathered_tasks(&ex, 1000)), 1000LL * 1000);
    EXPECT_EQ(ex.shutdown(), 0u);
}

TEST_P(RunInExecutorOnWorkers, AThousandToThreadCallsGathered) {
    auto body = []() -> weft::coro<long long> {
        auto odd = [](int i) { return 2 * i + 1; };
        std::vector<weft::coro<int>> calls;
        for (int i = 0; i < 1000; ++i) calls.push_back(weft::to_thread(odd, i));
        auto all = weft::gather(std::move(calls));
        const std::vector<int> results = co_await std::move(all);
        long long sum = 0;
        for (int v : results) sum += v;
        co_return sum;
    };
    EXPECT_EQ(run(body()), 1000LL * 1000);
}

} // namespace
