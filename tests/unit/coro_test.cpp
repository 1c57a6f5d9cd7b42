// weft::coro<T>: laziness, inline awaiting, results, exceptions, recursion
// depth and misuse (empty or already-run coroutines).
#include <weft/weft.hpp>

#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace {

// --- coroutines used by the tests ---------------------------------------------

weft::coro<int> count_and_return(int* counter, int value) {
    ++*counter;
    co_return value;
}

weft::coro<void> append(std::vector<std::string>* log, std::string what) {
    log->push_back(what);
    co_return;
}

weft::coro<int> throws_runtime_error(std::string message) {
    throw std::runtime_error(message);
    co_return 0;  // unreachable; makes this a coroutine
}

weft::coro<void> throws_void(std::string message) {
    throw std::logic_error(message);
    co_return;
}

weft::coro<std::unique_ptr<int>> make_unique_int(int v) { co_return std::make_unique<int>(v); }

weft::coro<std::string> concat(std::string a, std::string b) { co_return a + b; }

weft::coro<int> recurse(int depth) {
    if (depth == 0) co_return 0;
    int below = co_await recurse(depth - 1);
    co_return below + 1;
}

weft::coro<weft::detail::task_base*> current_task_state() {
    co_return weft::current_task().raw_state();
}

// --- test bodies -------------------------------------------------------------

weft::coro<int> lazy_inside_task() {
    int counter = 0;
    auto c = count_and_return(&counter, 7);
    // Neither a loop iteration nor a suspension starts it.
    co_await weft::sleep(std::chrono::milliseconds(0));
    co_await weft::sleep(std::chrono::milliseconds(1));
    if (counter != 0) co_return -1;
    int v = co_await std::move(c);
    if (counter != 1) co_return -2;
    co_return v;
}

weft::coro<int> destroyed_unawaited_inside_task() {
    int counter = 0;
    {
        auto c = count_and_return(&counter, 1);
        auto d = count_and_return(&counter, 2);
        (void)c;
        (void)d;
    }
    co_await weft::sleep(std::chrono::milliseconds(0));
    co_return counter;
}

weft::coro<std::string> inline_await_returns() {
    std::string s = co_await concat("wef", "t");
    co_return s;
}

weft::coro<bool> inline_await_stays_in_task() {
    // An inline await runs in the awaiting task itself: same task, no other
    // task created.
    auto* outer = weft::current_task().raw_state();
    auto* inner = co_await current_task_state();
    co_return outer != nullptr && inner == outer;
}

weft::coro<std::vector<std::string>> inline_await_runs_immediately() {
    std::vector<std::string> log;
    log.push_back("before");
    co_await append(&log, "inside");
    log.push_back("after");
    co_return log;
}

weft::coro<std::string> exception_propagates() {
    try {
        co_await throws_runtime_error("boom");
    } catch (const std::runtime_error& e) {
        co_return std::string("caught:") + e.what();
    }
    co_return "not thrown";
}

weft::coro<std::string> void_exception_propagates() {
    try {
        co_await throws_void("void boom");
    } catch (const std::logic_error& e) {
        co_return std::string("caught:") + e.what();
    }
    co_return "not thrown";
}

weft::coro<int> rethrow_through_levels(int depth) {
    if (depth == 0) co_return co_await throws_runtime_error("deep");
    int v = co_await rethrow_through_levels(depth - 1);
    co_return v;
}

weft::coro<std::vector<std::string>> void_coros() {
    std::vector<std::string> log;
    co_await append(&log, "one");
    co_await append(&log, "two");
    co_return log;
}

weft::coro<int> move_only_result() {
    std::unique_ptr<int> p = co_await make_unique_int(41);
    if (!p) co_return -1;
    co_return *p + 1;
}

weft::coro<int> deep_recursion(int depth) { co_return co_await recurse(depth); }

// Distance in bytes between the native stack frame of the outermost and of
// the innermost coroutine of a chain of `depth` inline awaits.
struct stack_probe {
    const char* top = nullptr;
    std::ptrdiff_t max_distance = 0;
    void sample(const void* frame) {
        auto* p = static_cast<const char*>(frame);
        if (!top) top = p;
        std::ptrdiff_t d = top > p ? top - p : p - top;
        if (d > max_distance) max_distance = d;
    }
};

weft::coro<int> probe_recurse(stack_probe* probe, int depth) {
    probe->sample(__builtin_frame_address(0));
    if (depth == 0) co_return 0;
    int below = co_await probe_recurse(probe, depth - 1);
    probe->sample(__builtin_frame_address(0));
    co_return below + 1;
}

weft::coro<std::ptrdiff_t> stack_growth(int depth) {
    stack_probe probe;
    int v = co_await probe_recurse(&probe, depth);
    if (v != depth) co_return -1;
    co_return probe.max_distance;
}

weft::coro<std::string> await_moved_from() {
    int counter = 0;
    auto c = count_and_return(&counter, 3);
    auto d = std::move(c);
    std::string what;
    try {
        co_await std::move(c);
    } catch (const weft::error& e) {
        what = e.what();
    }
    int v = co_await std::move(d);
    if (v != 3 || counter != 1) co_return "moved-to coro did not run once";
    co_return what;
}

weft::coro<std::string> await_default_constructed() {
    weft::coro<int> c;
    std::string what;
    try {
        co_await c;
    } catch (const weft::error& e) {
        what = e.what();
    }
    co_return what;
}

weft::coro<std::string> await_lvalue_twice() {
    int counter = 0;
    auto c = count_and_return(&counter, 9);
    int first = co_await c;
    std::string what;
    try {
        co_await c;
    } catch (const weft::error& e) {
        what = e.what();
    }
    if (first != 9 || counter != 1) co_return "first await wrong";
    co_return what;
}

weft::coro<std::string> await_lvalue_then_rvalue() {
    int counter = 0;
    auto c = count_and_return(&counter, 9);
    co_await c;
    std::string what;
    try {
        co_await std::move(c);
    } catch (const weft::error& e) {
        what = e.what();
    }
    if (counter != 1) co_return "ran twice";
    co_return what;
}

weft::coro<std::string> await_rvalue_then_lvalue() {
    int counter = 0;
    auto c = count_and_return(&counter, 9);
    co_await std::move(c);  // an rvalue await leaves the (finished) coro in c
    std::string what;
    try {
        co_await c;
    } catch (const weft::error& e) {
        what = e.what();
    }
    if (counter != 1) co_return "ran twice";
    co_return what;
}

class CoroWorkersTest : public ::testing::TestWithParam<unsigned> {};

// The sanitizers' instrumentation (ThreadSanitizer's function-exit hooks,
// AddressSanitizer's stack bookkeeping) turns the tail calls of symmetric
// transfer into ordinary calls: stack-depth checks say nothing about weft
// under them (and a stack overflow under ThreadSanitizer is very slow).
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr bool under_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
constexpr bool under_sanitizer = true;
#else
constexpr bool under_sanitizer = false;
#endif
#else
constexpr bool under_sanitizer = false;
#endif

static_assert(!std::is_copy_constructible_v<weft::coro<int>>);
static_assert(!std::is_copy_assignable_v<weft::coro<int>>);
static_assert(std::is_nothrow_move_constructible_v<weft::coro<int>>);
static_assert(std::is_nothrow_move_assignable_v<weft::coro<int>>);
static_assert(std::is_same_v<weft::coro<>::value_type, void>);

} // namespace

TEST(CoroTest, NeverAwaitedRunsNothing) {
    int counter = 0;
    {
        auto c = count_and_return(&counter, 1);
        EXPECT_TRUE(c.valid());
    }
    EXPECT_EQ(counter, 0);
}

TEST(CoroTest, DefaultConstructedAndMovedFromAreInvalid) {
    weft::coro<int> empty;
    EXPECT_FALSE(empty.valid());
    EXPECT_FALSE(static_cast<bool>(empty));
    int counter = 0;
    auto c = count_and_return(&counter, 1);
    auto d = std::move(c);
    EXPECT_FALSE(c.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_TRUE(d.valid());
    EXPECT_EQ(counter, 0);
}

TEST_P(CoroWorkersTest, LazyUntilAwaitedInsideTask) { EXPECT_EQ(weft_test::run(lazy_inside_task(), GetParam()), 7); }

TEST_P(CoroWorkersTest, DestroyedUnawaitedInsideTaskRunsNothing) {
    EXPECT_EQ(weft_test::run(destroyed_unawaited_inside_task(), GetParam()), 0);
}

TEST_P(CoroWorkersTest, InlineAwaitReturnsValue) {
    EXPECT_EQ(weft_test::run(inline_await_returns(), GetParam()), "weft");
}

TEST_P(CoroWorkersTest, InlineAwaitRunsInTheAwaitingTask) {
    EXPECT_TRUE(weft_test::run(inline_await_stays_in_task(), GetParam()));
}

TEST_P(CoroWorkersTest, InlineAwaitRunsBeforeTheAwaiterContinues) {
    auto log = weft_test::run(inline_await_runs_immediately(), GetParam());
    EXPECT_EQ(log, (std::vector<std::string>{"before", "inside", "after"}));
}

TEST_P(CoroWorkersTest, ExceptionPropagatesToAwaiter) {
    EXPECT_EQ(weft_test::run(exception_propagates(), GetParam()), "caught:boom");
}

TEST_P(CoroWorkersTest, ExceptionOfVoidCoroPropagates) {
    EXPECT_EQ(weft_test::run(void_exception_propagates(), GetParam()), "caught:void boom");
}

TEST_P(CoroWorkersTest, ExceptionPropagatesThroughSeveralLevelsAndOutOfRun) {
    try {
        weft_test::run(rethrow_through_levels(10), GetParam());
        FAIL() << "run() did not rethrow";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "deep");
    }
}

TEST_P(CoroWorkersTest, VoidCoros) {
    auto log = weft_test::run(void_coros(), GetParam());
    EXPECT_EQ(log, (std::vector<std::string>{"one", "two"}));
}

TEST_P(CoroWorkersTest, MoveOnlyResult) { EXPECT_EQ(weft_test::run(move_only_result(), GetParam()), 42); }

TEST_P(CoroWorkersTest, MoveOnlyResultOutOfRun) {
    std::unique_ptr<int> p = weft_test::run(make_unique_int(5), GetParam());
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(*p, 5);
}

// Symmetric transfer: an inline await jumps into the awaited coroutine and
// back without nesting native stack frames, so the stack stays flat however
// deep the chain of awaits is.
TEST(CoroTest, InlineAwaitDoesNotGrowTheNativeStack) {
    if (under_sanitizer) GTEST_SKIP() << "sanitizer instrumentation defeats tail calls";
    std::ptrdiff_t shallow = weft_test::run(stack_growth(10));
    std::ptrdiff_t deep = weft_test::run(stack_growth(5000));
    ASSERT_GE(shallow, 0);
    ASSERT_GE(deep, 0);
    EXPECT_LE(deep, shallow + 4096) << "the native stack grew by " << deep - shallow
                                    << " bytes over 4990 more levels of inline awaits";
}

// 100000 nested inline awaits, run in a child process so that a stack
// overflow fails this test instead of the whole run.
TEST(CoroDeathTest, DeepRecursionByInlineAwait) {
    if (under_sanitizer) GTEST_SKIP() << "sanitizer instrumentation defeats tail calls";
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            int v = weft_test::run(deep_recursion(100000), 1);
            std::exit(v == 100000 ? 0 : 3);
        },
        ::testing::ExitedWithCode(0), "");
}

TEST_P(CoroWorkersTest, AwaitingMovedFromCoroThrows) {
    std::string what = weft_test::run(await_moved_from(), GetParam());
    EXPECT_NE(what.find("empty coro"), std::string::npos) << what;
}

TEST_P(CoroWorkersTest, AwaitingDefaultConstructedCoroThrows) {
    std::string what = weft_test::run(await_default_constructed(), GetParam());
    EXPECT_NE(what.find("empty coro"), std::string::npos) << what;
}

TEST_P(CoroWorkersTest, AwaitingTwiceThrows) {
    std::string what = weft_test::run(await_lvalue_twice(), GetParam());
    EXPECT_NE(what.find("already ran"), std::string::npos) << what;
}

TEST_P(CoroWorkersTest, AwaitingAgainAfterRvalueAwaitThrows) {
    std::string what = weft_test::run(await_rvalue_then_lvalue(), GetParam());
    EXPECT_NE(what.find("already ran"), std::string::npos) << what;
}

// Awaiting a finished coro a second time through an rvalue (co_await c, then
// co_await std::move(c)) must throw weft::error too. Run in a child process:
// when the check is missing, the finished frame is resumed (undefined
// behaviour, typically a crash).
TEST(CoroDeathTest, AwaitingTwiceThroughRvalueThrows) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            std::string what = weft_test::run(await_lvalue_then_rvalue(), 1);
            std::exit(what.find("already ran") != std::string::npos ? 0 : 3);
        },
        ::testing::ExitedWithCode(0), "");
}

TEST(CoroTest, MoveAssignmentDestroysThePreviousFrameUnrun) {
    int counter = 0;
    auto a = count_and_return(&counter, 1);
    a = count_and_return(&counter, 2);
    EXPECT_TRUE(a.valid());
    EXPECT_EQ(counter, 0);
    EXPECT_EQ(weft_test::run(std::move(a)), 2);
    EXPECT_EQ(counter, 1);
}

INSTANTIATE_TEST_SUITE_P(W, CoroWorkersTest, weft_test::worker_counts());
