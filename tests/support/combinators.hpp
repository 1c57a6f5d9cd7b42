// Helpers for the tests of sleep and of the combinators (gather, wait,
// wait_for, shield, as_completed, task_group).
#pragma once

#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace weft_test {

/// The error the failing helpers throw.
struct test_failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Sleeps d, then returns v.
inline weft::coro<int> value_after(std::chrono::milliseconds d, int v) {
    co_await weft::sleep(d);
    co_return v;
}

/// Sleeps d, logs `name`, then returns v.
inline weft::coro<int> logged_value_after(event_log* log, std::string name,
                                          std::chrono::milliseconds d, int v) {
    co_await weft::sleep(d);
    log->add(name);
    co_return v;
}

/// Sleeps d, then throws test_failure(what).
inline weft::coro<int> fail_after(std::chrono::milliseconds d, std::string what) {
    co_await weft::sleep(d);
    throw test_failure(what);
}

/// Sleeps d (an hour by default). If cancelled meanwhile, logs
/// "<name>:cancelled", runs an awaiting cleanup (a short sleep), logs
/// "<name>:cleanup" and rethrows the cancellation. Otherwise logs
/// "<name>:done" and returns v.
inline weft::coro<int> cancellable_sleeper(event_log* log, std::string name,
                                           std::chrono::milliseconds d = std::chrono::hours(1),
                                           int v = 0) {
    std::exception_ptr cancel;
    try {
        co_await weft::sleep(d);
    } catch (const weft::cancelled_error&) {
        cancel = std::current_exception();
    }
    if (cancel) {
        log->add(name + ":cancelled");
        co_await weft::sleep(std::chrono::milliseconds(2));
        log->add(name + ":cleanup");
        std::rethrow_exception(cancel);
    }
    log->add(name + ":done");
    co_return v;
}

/// Cancels t after d.
template <class T>
weft::coro<void> cancel_after(weft::task<T> t, std::chrono::milliseconds d) {
    co_await weft::sleep(d);
    t.cancel();
}

/// Polls *flag every millisecond until it is true or `limit` has passed on
/// the loop clock; returns the flag's last value.
inline weft::coro<bool> eventually(const std::atomic<bool>* flag,
                                   std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto deadline = weft::clock::now() + limit;
    while (!flag->load() && weft::clock::now() < deadline) co_await weft::sleep(std::chrono::milliseconds(1));
    co_return flag->load();
}

/// Name suffix of the tests parameterized over the worker count.
inline std::string workers_name(const ::testing::TestParamInfo<unsigned>& info) {
    return std::to_string(info.param) + "workers";
}

} // namespace weft_test
