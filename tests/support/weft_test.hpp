// Helpers shared by weft's tests.
#pragma once

#include <weft/weft.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <future>
#include <mutex>
#include <string>
#include <vector>

namespace weft_test {

/// Runs c on a fresh runtime with `workers` workers and returns its value.
template <class T>
T run(weft::coro<T> c, unsigned workers = 1) {
    weft::runtime_options o;
    o.workers = workers;
    return weft::run(std::move(c), o);
}

/// The worker counts every runtime-parameterized test runs on: one worker
/// (asyncio's single loop), two (this machine's cores) and four (more
/// workers than cores: stealing and parking under oversubscription).
inline auto worker_counts() { return ::testing::Values(1u, 2u, 4u); }

/// Options for a task that stays on the loop creating it. Tests of one
/// loop's order (asyncio's single ready queue) keep their tasks there:
/// stealable tasks may run at the same time on two workers.
inline weft::task_options on_this_loop() {
    weft::task_options o;
    o.stealable = false;
    return o;
}

/// Creates c as a task that is not stealable on `loop` (from a callback on
/// that loop's thread) and returns it: the task runs only on that loop.
/// Called from a thread that is not running `loop`.
template <class T>
weft::task<T> pinned_task_on(weft::event_loop& loop, weft::coro<T> c) {
    std::promise<weft::task<T>> made;
    auto ready = made.get_future();
    auto create = [&made, c = std::move(c)]() mutable {
        made.set_value(weft::create_task(std::move(c), on_this_loop()));
    };
    loop.call_soon_threadsafe(std::move(create));
    return ready.get();
}

/// Awaits t (for rt.submit from a thread outside the runtime).
template <class T>
weft::coro<T> await_task(weft::task<T> t) {
    co_return co_await t;
}

/// Lets the tasks created on this loop (on_this_loop()) run until they
/// suspend: a few turns of sleep(0).
inline weft::coro<void> let_others_run(int turns = 3) {
    for (int i = 0; i < turns; ++i) co_await weft::sleep(std::chrono::milliseconds(0));
}

/// Milliseconds elapsed on the loop's clock since `start`.
inline double ms_since(weft::clock::time_point start) {
    return std::chrono::duration<double, std::milli>(weft::clock::now() - start).count();
}

/// An append-only, thread-safe log of events, for ordering assertions.
class event_log {
public:
    void add(std::string e) {
        std::lock_guard<std::mutex> g(m_);
        events_.push_back(std::move(e));
    }
    std::vector<std::string> events() const {
        std::lock_guard<std::mutex> g(m_);
        return events_;
    }
    /// Position of the first occurrence of e, or -1.
    std::ptrdiff_t index_of(const std::string& e) const {
        std::lock_guard<std::mutex> g(m_);
        auto it = std::find(events_.begin(), events_.end(), e);
        return it == events_.end() ? -1 : it - events_.begin();
    }
    bool contains(const std::string& e) const { return index_of(e) >= 0; }
    std::size_t size() const {
        std::lock_guard<std::mutex> g(m_);
        return events_.size();
    }

private:
    mutable std::mutex m_;
    std::vector<std::string> events_;
};

/// Collects the messages a loop's exception handler receives.
struct handler_log {
    std::vector<std::string> messages;
    void install(weft::event_loop& loop) {
        loop.set_exception_handler(
            [this](weft::event_loop&, const weft::exception_context& c) { messages.push_back(c.message); });
    }
};

} // namespace weft_test
