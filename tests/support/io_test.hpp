// Helpers for the io tests: every io test runs on both reactor backends
// (epoll and io_uring) and on one and two workers.
#pragma once

#include "support/weft_test.hpp"

#include <weft/io.hpp>
#include <weft/io/detail/io_source.hpp>

#include <gtest/gtest.h>

#include <string>
#include <tuple>

namespace weft_test {

struct io_config {
    weft::io_backend backend;
    unsigned workers;
};

inline std::string backend_name(weft::io_backend b) {
    return b == weft::io_backend::epoll ? "epoll" : b == weft::io_backend::io_uring ? "io_uring" : "automatic";
}

/// The backend a loop of a runtime asking for `b` really uses (io_uring
/// falls back to epoll when the kernel refuses it).
inline weft::io_backend effective_backend(weft::io_backend b) {
    weft::runtime_options o;
    o.workers = 1;
    o.io_backend = b;
    auto probe = []() -> weft::coro<weft::io_backend> {
        co_return weft::detail::loop_io_backend(weft::get_running_loop());
    };
    return weft::run(probe(), o);
}

/// Base fixture: GetParam() is an io_config. SetUp skips (with the reason)
/// an io_uring configuration on a kernel that refuses io_uring.
class io_test : public ::testing::TestWithParam<io_config> {
protected:
    void SetUp() override {
        if (GetParam().backend == weft::io_backend::io_uring &&
            effective_backend(weft::io_backend::io_uring) != weft::io_backend::io_uring)
            GTEST_SKIP() << "the kernel refuses io_uring here; the epoll runs cover this test";
    }
    weft::runtime_options options() const {
        weft::runtime_options o;
        o.workers = GetParam().workers;
        o.io_backend = GetParam().backend;
        return o;
    }
    template <class T>
    T run(weft::coro<T> c) const {
        return weft::run(std::move(c), options());
    }
    /// As run(), with c in a task that stays on its loop (for loop-bound
    /// calls such as add_reader made before and after a suspension).
    template <class T>
    T run_pinned(weft::coro<T> c) const {
        auto outer = [](weft::coro<T> c) -> weft::coro<T> {
            weft::task<T> t = weft::create_task(std::move(c), on_this_loop());
            co_return co_await t;
        };
        return weft::run(outer(std::move(c)), options());
    }
};

inline auto io_configs() {
    return ::testing::Values(io_config{weft::io_backend::epoll, 1}, io_config{weft::io_backend::epoll, 2},
                             io_config{weft::io_backend::io_uring, 1},
                             io_config{weft::io_backend::io_uring, 2});
}

inline std::string io_config_name(const ::testing::TestParamInfo<io_config>& i) {
    return backend_name(i.param.backend) + "_" + std::to_string(i.param.workers) + "w";
}

} // namespace weft_test
