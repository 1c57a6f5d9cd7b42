// weft::concurrent_future<T> (runtime::submit, run_coroutine_threadsafe):
// blocking result with and without timeout, exceptions, cancellation of the
// task on its loop, done-callbacks, and loops running in other threads.
#include <weft/weft.hpp>

#include "support/core_test.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

struct custom_failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

weft::coro<int> value_after(std::chrono::milliseconds d, int v) {
    co_await weft::sleep(d);
    co_return v;
}

/// Polls *flag every millisecond (bounded by an hour: the tests set it or
/// cancel the task), then returns v.
weft::coro<int> value_when(const std::atomic<bool>* flag, int v) {
    const auto deadline = weft::clock::now() + 1h;
    while (!flag->load() && weft::clock::now() < deadline) co_await weft::sleep(1ms);
    co_return v;
}

weft::coro<int> fail_after_yield(std::string what) {
    co_await weft::sleep(0ms);
    throw custom_failure(what);
}

weft::coro<void> void_after_yield(std::atomic<bool>* ran) {
    co_await weft::sleep(0ms);
    ran->store(true);
}

weft::coro<std::unique_ptr<int>> unique_after_yield(int v) {
    co_await weft::sleep(0ms);
    co_return std::make_unique<int>(v);
}

/// Signals `started`, sleeps an hour; on cancellation signals `saw_cancel`
/// (with the message) and rethrows.
weft::coro<int> cancellable(std::promise<void>* started, std::promise<std::string>* saw_cancel) {
    started->set_value();
    try {
        co_await weft::sleep(1h);
    } catch (const weft::cancelled_error& e) {
        saw_cancel->set_value("cancelled:" + e.message());
        throw;
    }
    co_return 0;
}

weft::coro<int> marks_ran(std::atomic<bool>* ran) {
    ran->store(true);
    co_return 1;
}

weft::coro<void> yields(int n) { co_await weft_core_test::yield_n(n); }

struct origin {
    weft::event_loop* loop = nullptr;
    std::thread::id thread{};
    int value = 0;
};

weft::coro<origin> report_origin(int v) {
    co_await weft::sleep(1ms);
    co_return origin{&weft::get_running_loop(), std::this_thread::get_id(), v};
}

weft::runtime_options one_worker() {
    weft::runtime_options o;
    o.workers = 1;
    return o;
}

/// A standalone loop driven by run_forever() on a thread of its own.
class loop_thread {
public:
    loop_thread() : loop_(weft::new_event_loop()) {}
    loop_thread(const loop_thread&) = delete;
    loop_thread& operator=(const loop_thread&) = delete;
    ~loop_thread() { stop(); }
    void start() {
        thread_ = std::thread([this] { loop_->run_forever(); });
    }
    void stop() {
        if (thread_.joinable()) {
            loop_->stop();
            thread_.join();
        }
    }
    weft::event_loop& loop() { return *loop_; }
    std::thread::id id() const { return thread_.get_id(); }

private:
    std::unique_ptr<weft::event_loop> loop_;
    std::thread thread_;
};

} // namespace

TEST(ConcurrentFutureTest, ResultBlocksUntilDoneThenReturns) {
    weft::runtime rt(one_worker());
    std::atomic<bool> flag{false};
    auto f = rt.submit(value_when(&flag, 42));
    EXPECT_FALSE(f.done());  // it cannot finish before the flag is set
    std::thread setter([&] {
        std::this_thread::sleep_for(2ms);
        flag.store(true);
    });
    EXPECT_EQ(f.result(), 42);  // blocks until the task completes
    setter.join();
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(f.result(), 42);  // a copyable result can be read again
    EXPECT_EQ(f.exception(), nullptr);
}

TEST(ConcurrentFutureTest, ResultWithTimeoutThrowsTimeoutError) {
    weft::runtime rt(one_worker());
    std::atomic<bool> flag{false};
    auto f = rt.submit(value_when(&flag, 5));
    const auto start = weft::clock::now();
    EXPECT_THROW(f.result(5ms), weft::timeout_error);
    EXPECT_GE(weft_test::ms_since(start), 5.0);
    EXPECT_FALSE(f.done());
    flag.store(true);
    EXPECT_EQ(f.result(5s), 5);  // a generous timeout is met
}

TEST(ConcurrentFutureTest, ExceptionPropagates) {
    weft::runtime rt(one_worker());
    auto f = rt.submit(fail_after_yield("remote failure"));
    try {
        f.result();
        FAIL() << "no exception";
    } catch (const custom_failure& e) {
        EXPECT_STREQ(e.what(), "remote failure");
    }
    std::exception_ptr e = f.exception();
    ASSERT_NE(e, nullptr);
    EXPECT_THROW(std::rethrow_exception(e), custom_failure);
    EXPECT_FALSE(f.cancelled());
}

TEST(ConcurrentFutureTest, VoidAndMoveOnlyResults) {
    weft::runtime rt(one_worker());
    std::atomic<bool> ran{false};
    auto v = rt.submit(void_after_yield(&ran));
    v.result();
    EXPECT_TRUE(ran.load());
    auto u = rt.submit(unique_after_yield(6));
    std::unique_ptr<int> p = u.result();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(*p, 6);
}

TEST(ConcurrentFutureTest, CancelCancelsTheTaskOnItsLoop) {
    weft::runtime rt(one_worker());
    std::promise<void> started;
    std::promise<std::string> saw_cancel;
    auto started_f = started.get_future();
    auto saw_cancel_f = saw_cancel.get_future();
    auto f = rt.submit(cancellable(&started, &saw_cancel));
    started_f.wait();
    EXPECT_TRUE(f.cancel());
    EXPECT_TRUE(f.done());
    EXPECT_TRUE(f.cancelled());
    EXPECT_THROW(f.result(), weft::cancelled_error);
    EXPECT_THROW((void)f.exception(), weft::cancelled_error);
    EXPECT_FALSE(f.cancel());  // already done
    ASSERT_EQ(saw_cancel_f.wait_for(5s), std::future_status::ready) << "the coroutine never saw the cancellation";
    EXPECT_EQ(saw_cancel_f.get(), "cancelled:");
}

TEST(ConcurrentFutureTest, CancelBeforeTheTaskStartedMeansItNeverRuns) {
    loop_thread lt;
    std::atomic<bool> ran{false};
    auto f = weft::run_coroutine_threadsafe(marks_ran(&ran), lt.loop());
    EXPECT_TRUE(f.cancel());
    EXPECT_TRUE(f.cancelled());
    lt.start();
    // Later work on the same loop completes after the cancelled task's turn.
    weft::run_coroutine_threadsafe(yields(3), lt.loop()).result(5s);
    EXPECT_FALSE(ran.load());
    EXPECT_THROW(f.result(), weft::cancelled_error);
}

TEST(ConcurrentFutureTest, CancelAfterDoneReturnsFalse) {
    weft::runtime rt(one_worker());
    auto f = rt.submit(value_after(0ms, 3));
    EXPECT_EQ(f.result(), 3);
    EXPECT_FALSE(f.cancel());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(f.result(), 3);
}

TEST(ConcurrentFutureTest, AddDoneCallbackRunsOnce) {
    std::atomic<int> calls{0};
    std::atomic<int> seen_value{0};
    std::promise<void> called;
    auto called_f = called.get_future();
    {
        weft::runtime rt(one_worker());
        std::atomic<bool> flag{false};
        auto f = rt.submit(value_when(&flag, 8));
        f.add_done_callback([&](weft::concurrent_future<int> done) {
            seen_value.store(done.result());
            if (calls.fetch_add(1) == 0) called.set_value();
        });
        flag.store(true);
        EXPECT_EQ(f.result(), 8);
        ASSERT_EQ(called_f.wait_for(5s), std::future_status::ready);

        // Added once done: runs at once, on the calling thread.
        std::thread::id ran_on{};
        int late_calls = 0;
        f.add_done_callback([&](weft::concurrent_future<int>) {
            ran_on = std::this_thread::get_id();
            ++late_calls;
        });
        EXPECT_EQ(late_calls, 1);
        EXPECT_EQ(ran_on, std::this_thread::get_id());
    }  // the runtime is shut down: nothing can call the callback again
    EXPECT_EQ(calls.load(), 1);
    EXPECT_EQ(seen_value.load(), 8);
}

TEST(ConcurrentFutureTest, AddDoneCallbackOnCancel) {
    weft::runtime rt(one_worker());
    std::promise<void> started;
    std::promise<std::string> saw_cancel;
    auto started_f = started.get_future();
    auto f = rt.submit(cancellable(&started, &saw_cancel));
    std::atomic<int> calls{0};
    std::atomic<bool> saw_cancelled{false};
    f.add_done_callback([&](weft::concurrent_future<int> done) {
        saw_cancelled.store(done.cancelled());
        calls.fetch_add(1);
    });
    started_f.wait();
    EXPECT_TRUE(f.cancel());
    EXPECT_EQ(calls.load(), 1);  // cancel() completes the future and runs the callbacks
    EXPECT_TRUE(saw_cancelled.load());
    rt.shutdown();
    EXPECT_EQ(calls.load(), 1);
}

TEST(ConcurrentFutureTest, RunCoroutineThreadsafeOntoALoopInAnotherThread) {
    loop_thread lt;
    lt.start();
    auto f = weft::run_coroutine_threadsafe(report_origin(31), lt.loop());
    origin o = f.result(5s);
    EXPECT_EQ(o.value, 31);
    EXPECT_EQ(o.loop, &lt.loop());
    EXPECT_EQ(o.thread, lt.id());
    EXPECT_NE(o.thread, std::this_thread::get_id());

    // Many submissions from several threads at once.
    std::vector<std::thread> threads;
    std::atomic<int> sum{0};
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20; ++i)
                sum.fetch_add(weft::run_coroutine_threadsafe(value_after(0ms, t * 20 + i), lt.loop()).result(5s));
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(sum.load(), 59 * 60 / 2);
    lt.stop();
}

TEST(ConcurrentFutureTest, ResultOnTheLoopThreadItselfThrows) {
    loop_thread lt;
    lt.start();
    std::promise<std::string> what;
    auto what_f = what.get_future();
    weft::event_loop* loop = &lt.loop();
    loop->call_soon_threadsafe([loop, &what] {
        auto f = weft::run_coroutine_threadsafe(value_after(0ms, 1), *loop);
        try {
            f.result();
            what.set_value("<no exception>");
        } catch (const weft::error& e) {
            what.set_value(e.what());
        }
    });
    ASSERT_EQ(what_f.wait_for(5s), std::future_status::ready);
    std::string w = what_f.get();
    EXPECT_NE(w.find("concurrent_future::result()"), std::string::npos) << w;
    lt.stop();
}

TEST(ConcurrentFutureTest, RunCoroutineThreadsafeRejectsAnEmptyCoro) {
    auto loop = weft::new_event_loop();
    weft::coro<int> empty;
    EXPECT_THROW((void)weft::run_coroutine_threadsafe(std::move(empty), *loop), weft::error);
}
