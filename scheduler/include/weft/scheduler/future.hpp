// weft::future<T>: asyncio.Future.
//
// A handle to a shared result slot that something else completes:
// set_result / set_exception / cancel, each at most once (a second completion
// throws invalid_state_error). May be completed from any thread. Awaiting it
// suspends the awaiting task until it is done; the task resumes on its own
// loop. Done-callbacks run on the future's loop (the running loop when the
// future was created) via call_soon, never inside set_result().
#pragma once

#include <weft/scheduler/detail/await_future.hpp>
#include <weft/scheduler/detail/future_state.hpp>
#include <weft/scheduler/event_loop.hpp>

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

namespace weft {

template <class T = void>
class future {
    using state = detail::result_holder<T, detail::future_state_base>;

public:
    using value_type = T;

    /// A pending future bound to the running loop (or to none outside a loop,
    /// in which case its done-callbacks run on the completing thread).
    future() : s_(detail::state_ref<state>::adopt(new state(detail::running_loop()))) {}
    explicit future(event_loop& loop) : s_(detail::state_ref<state>::adopt(new state(&loop))) {}

    template <class U = T, class = std::enable_if_t<!std::is_void_v<U>>>
    void set_result(U v) {
        if (!s_->try_set_value(std::move(v)))
            throw invalid_state_error("future::set_result(): the future is already done");
    }
    template <class U = T, class = std::enable_if_t<std::is_void_v<U>>>
    void set_result() {
        if (!s_->try_set_value())
            throw invalid_state_error("future::set_result(): the future is already done");
    }
    void set_exception(std::exception_ptr e) {
        if (!e) throw value_error("future::set_exception(): null exception_ptr");
        if (!s_->try_set_exception(std::move(e)))
            throw invalid_state_error("future::set_exception(): the future is already done");
    }
    /// Cancels the future; false if it was already done.
    bool cancel(std::string message = {}) { return s_->cancel(std::move(message)); }

    bool done() const noexcept { return s_->done(); }
    bool cancelled() const noexcept { return s_->cancelled(); }

    /// The value. Throws invalid_state_error while pending, cancelled_error if
    /// cancelled, the stored exception if one was set.
    decltype(auto) result() {
        s_->mark_retrieved();
        if constexpr (std::is_void_v<T>)
            s_->check_result("future::result()");
        else
            return static_cast<T&>(s_->value_ref("future::result()"));
    }
    /// The stored exception, or null after set_result. Throws
    /// invalid_state_error while pending, cancelled_error if cancelled.
    std::exception_ptr exception() const {
        s_->mark_retrieved();
        return s_->exception("future::exception()");
    }

    /// Runs f(future) on the loop once done; returns an id for
    /// remove_done_callback.
    template <class F>
    std::size_t add_done_callback(F f) {
        return s_->add_callback([f = std::move(f)](detail::future_state_base& b) mutable {
            f(future(detail::state_ref<state>(static_cast<state*>(&b))));
        });
    }
    /// Removes a callback by id; returns how many were removed (0 or 1).
    std::size_t remove_done_callback(std::size_t id) { return s_->remove_callback(id); }

    event_loop* get_loop() const noexcept { return s_->loop(); }

    template <bool Move>
    struct awaiter : detail::future_wait {
        state* s;
        explicit awaiter(state* st) : detail::future_wait(st, detail::cancel_mode::forward), s(st) {}
        T await_resume() {
            finish();
            s->mark_retrieved();
            if constexpr (std::is_void_v<T>) {
                s->check_result("co_await future");
            } else if constexpr (Move) {
                return T(std::move(s->value_ref("co_await future")));
            } else {
                static_assert(std::is_copy_constructible_v<T>,
                              "co_await on an lvalue weft::future copies the value; for a "
                              "move-only T write co_await std::move(f)");
                return T(s->value_ref("co_await future"));
            }
        }
    };
    /// Suspends the awaiting task until done; returns the value (a copy, or
    /// moved out when awaiting an rvalue future) or throws. Cancelling the
    /// awaiting task cancels the future, as in asyncio.
    awaiter<false> operator co_await() & { return awaiter<false>(s_.get()); }
    awaiter<true> operator co_await() && { return awaiter<true>(s_.get()); }

    /// Internal: the shared state.
    state* raw_state() const noexcept { return s_.get(); }
    explicit future(detail::state_ref<state> s) noexcept : s_(std::move(s)) {}

    friend bool operator==(const future& a, const future& b) noexcept { return a.s_.get() == b.s_.get(); }

private:
    detail::state_ref<state> s_;
};

template <class T>
future<T> event_loop::create_future() {
    check_open("create_future");
    return future<T>(*this);
}

} // namespace weft
