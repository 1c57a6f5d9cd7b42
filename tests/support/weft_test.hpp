// Helpers shared by weft's tests.
#pragma once

#include <weft/weft.hpp>

#include <chrono>
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

/// Milliseconds elapsed on the loop's clock since `start`.
inline double ms_since(weft::clock::time_point start) {
    return std::chrono::duration<double, std::milli>(weft::clock::now() - start).count();
}

/// Collects the messages a loop's exception handler receives.
struct handler_log {
    std::vector<std::string> messages;
    void install(weft::event_loop& loop) {
        loop.set_exception_handler(
            [this](weft::event_loop&, const weft::exception_context& c) { messages.push_back(c.message); });
    }
};

} // namespace weft_test
