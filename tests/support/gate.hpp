// A gate that work running on other threads (executor jobs, pool jobs) waits
// at until the test opens it, and bounded waits for that work to arrive:
// the tests then know a job is running, or queued behind running ones,
// without sleeping and hoping.
#pragma once

#include "support/weft_test.hpp"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace weft_test {

class gate {
public:
    /// Counts the caller as arrived, then blocks until release().
    void pass() {
        std::unique_lock lk(m_);
        ++arrived_;
        cv_.notify_all();
        cv_.wait(lk, [&] { return open_; });
    }
    /// Lets every caller of pass() through, now and later.
    void release() {
        std::lock_guard lk(m_);
        open_ = true;
        cv_.notify_all();
    }
    int arrived() {
        std::lock_guard lk(m_);
        return arrived_;
    }
    /// From a plain thread: waits until n callers arrived, at most bound.
    bool wait_arrivals(int n, std::chrono::milliseconds bound = std::chrono::seconds(10)) {
        std::unique_lock lk(m_);
        return cv_.wait_for(lk, bound, [&] { return arrived_ >= n; });
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool open_ = false;
    int arrived_ = 0;
};

/// From inside a task: lets the loop run until n callers arrived at g, at
/// most 10 s on the loop clock; true if they did.
inline weft::coro<bool> await_arrivals(std::shared_ptr<gate> g, int n) {
    const auto start = weft::clock::now();
    while (g->arrived() < n) {
        if (ms_since(start) > 10000.0) co_return false;
        co_await weft::sleep(std::chrono::milliseconds(1));
    }
    co_return true;
}

} // namespace weft_test
