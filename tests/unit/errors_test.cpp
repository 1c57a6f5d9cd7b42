// The exception types of API.md §7: their bases, messages and payloads.
#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace {

static_assert(std::is_base_of_v<std::runtime_error, weft::error>);
static_assert(std::is_base_of_v<weft::error, weft::timeout_error>);
static_assert(std::is_base_of_v<weft::error, weft::invalid_state_error>);
static_assert(std::is_base_of_v<weft::error, weft::value_error>);
static_assert(std::is_base_of_v<weft::error, weft::incomplete_read_error>);
static_assert(std::is_base_of_v<weft::error, weft::limit_overrun_error>);
static_assert(std::is_base_of_v<weft::error, weft::queue_empty>);
static_assert(std::is_base_of_v<weft::error, weft::queue_full>);
static_assert(std::is_base_of_v<weft::error, weft::queue_shut_down>);
static_assert(std::is_base_of_v<weft::error, weft::broken_barrier_error>);
static_assert(std::is_base_of_v<weft::error, weft::exception_group>);
// Like Python's CancelledError (a BaseException), cancelled_error escapes
// `catch (const std::exception&)` and `catch (const weft::error&)`.
static_assert(!std::is_base_of_v<std::exception, weft::cancelled_error>);
static_assert(!std::is_base_of_v<weft::error, weft::cancelled_error>);

template <class E>
std::string caught_as(const E& e) {
    try {
        throw e;
    } catch (const weft::error& x) {
        return std::string("weft::error:") + x.what();
    } catch (const std::exception& x) {
        return std::string("std::exception:") + x.what();
    } catch (...) {
        return "other";
    }
}

} // namespace

TEST(ErrorsTest, EveryErrorIsCaughtAsWeftError) {
    EXPECT_EQ(caught_as(weft::error("plain")), "weft::error:plain");
    EXPECT_EQ(caught_as(weft::invalid_state_error("state")), "weft::error:state");
    EXPECT_EQ(caught_as(weft::value_error("value")), "weft::error:value");
    EXPECT_EQ(caught_as(weft::timeout_error("late")), "weft::error:late");
    EXPECT_NE(caught_as(weft::timeout_error()).find("timed out"), std::string::npos);
    EXPECT_NE(caught_as(weft::queue_empty()).find("empty"), std::string::npos);
    EXPECT_NE(caught_as(weft::queue_full()).find("full"), std::string::npos);
    EXPECT_NE(caught_as(weft::queue_shut_down()).find("shut down"), std::string::npos);
    EXPECT_NE(caught_as(weft::broken_barrier_error()).find("broken"), std::string::npos);
    EXPECT_EQ(caught_as(weft::incomplete_read_error("ab", 5)).rfind("weft::error:", 0), 0u);
    EXPECT_EQ(caught_as(weft::limit_overrun_error("over", 3)), "weft::error:over");
}

TEST(ErrorsTest, CancelledErrorIsNotCaughtAsStdException) {
    EXPECT_EQ(caught_as(weft::cancelled_error("stop")), "other");
    try {
        throw weft::cancelled_error("stop");
    } catch (const weft::cancelled_error& e) {
        EXPECT_EQ(e.message(), "stop");
        EXPECT_STREQ(e.what(), "stop");
    }
    weft::cancelled_error plain;
    EXPECT_EQ(plain.message(), "");
    EXPECT_NE(std::string(plain.what()).find("cancelled"), std::string::npos);
}

TEST(ErrorsTest, IncompleteReadErrorCarriesThePartialRead) {
    weft::incomplete_read_error e("abc", 10);
    EXPECT_EQ(e.partial, "abc");
    EXPECT_EQ(e.expected, 10u);
    std::string what = e.what();
    EXPECT_NE(what.find('3'), std::string::npos) << what;
    EXPECT_NE(what.find("10"), std::string::npos) << what;
}

TEST(ErrorsTest, LimitOverrunErrorCarriesTheConsumedCount) {
    weft::limit_overrun_error e("separator not found", 65536);
    EXPECT_EQ(e.consumed, 65536u);
    EXPECT_STREQ(e.what(), "separator not found");
}

TEST(ErrorsTest, ExceptionGroupHoldsItsExceptions) {
    std::vector<std::exception_ptr> inner{
        std::make_exception_ptr(std::runtime_error("first")),
        std::make_exception_ptr(weft::value_error("second")),
        std::make_exception_ptr(weft::cancelled_error("third")),
    };
    weft::exception_group g("several failures", inner);
    ASSERT_EQ(g.exceptions().size(), 3u);
    EXPECT_EQ(g.exceptions()[0], inner[0]);
    EXPECT_EQ(g.exceptions()[1], inner[1]);
    EXPECT_EQ(g.exceptions()[2], inner[2]);
    EXPECT_THROW(std::rethrow_exception(g.exceptions()[0]), std::runtime_error);
    EXPECT_THROW(std::rethrow_exception(g.exceptions()[1]), weft::value_error);
    EXPECT_THROW(std::rethrow_exception(g.exceptions()[2]), weft::cancelled_error);
    std::string what = g.what();
    EXPECT_NE(what.find("several failures"), std::string::npos) << what;
    EXPECT_NE(what.find("3 sub-exceptions"), std::string::npos) << what;
    EXPECT_NE(what.find("first"), std::string::npos) << what;
    EXPECT_NE(what.find("second"), std::string::npos) << what;
    EXPECT_NE(what.find("third"), std::string::npos) << what;

    weft::exception_group one("one", {std::make_exception_ptr(std::logic_error("only"))});
    EXPECT_NE(std::string(one.what()).find("1 sub-exception)"), std::string::npos) << one.what();
    try {
        throw one;
    } catch (const weft::error& e) {
        EXPECT_NE(std::string(e.what()).find("only"), std::string::npos);
    }
}
