// Helpers for the tests of the scheduler core: coroutines, tasks, futures,
// cancellation, event loops and runtimes.
#pragma once

#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace weft_core_test {

using namespace std::chrono_literals;

using weft_test::event_log;

/// Sets an environment variable for the lifetime of the guard and restores
/// the previous value (or its absence) afterwards.
class env_guard {
public:
    env_guard(std::string name, const char* value) : name_(std::move(name)) {
        if (const char* old = std::getenv(name_.c_str())) old_ = std::string(old);
        if (value)
            ::setenv(name_.c_str(), value, 1);
        else
            ::unsetenv(name_.c_str());
    }
    env_guard(const env_guard&) = delete;
    env_guard& operator=(const env_guard&) = delete;
    ~env_guard() {
        if (old_)
            ::setenv(name_.c_str(), old_->c_str(), 1);
        else
            ::unsetenv(name_.c_str());
    }

private:
    std::string name_;
    std::optional<std::string> old_;
};

/// Yields to the loop n times (sleep(0)), letting ready tasks and callbacks run.
inline weft::coro<void> yield_n(int n) {
    for (int i = 0; i < n; ++i) co_await weft::sleep(0ms);
}

/// Sets *flag when destroyed: shows that a coroutine frame was destroyed.
struct raii_flag {
    bool* flag;
    explicit raii_flag(bool* f) : flag(f) {}
    raii_flag(const raii_flag&) = delete;
    raii_flag& operator=(const raii_flag&) = delete;
    ~raii_flag() { *flag = true; }
};

/// Name suffix of the tests parameterized over the worker count.
inline std::string workers_suffix(const ::testing::TestParamInfo<unsigned>& info) {
    return std::to_string(info.param) + "workers";
}

} // namespace weft_core_test
