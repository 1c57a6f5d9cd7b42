// weft::wait, wait_for, wait_until and shield: asyncio.wait, wait_for,
// timeout_at and shield.
#pragma once

#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/detail/await_future.hpp>
#include <weft/scheduler/detail/wait_many.hpp>
#include <weft/scheduler/gather.hpp>
#include <weft/scheduler/task.hpp>

#include <chrono>
#include <optional>
#include <vector>

namespace weft {

enum class return_when { first_completed, first_exception, all_completed };
inline constexpr return_when first_completed = return_when::first_completed;
inline constexpr return_when first_exception = return_when::first_exception;
inline constexpr return_when all_completed = return_when::all_completed;

struct wait_options {
    /// No timeout when empty. On timeout wait() returns; nothing is cancelled.
    std::optional<clock::duration> timeout{};
    weft::return_when return_when = weft::all_completed;
};

/// What wait() returns: the handles that are done and those still pending,
/// each in the order they were given.
template <class H>
struct wait_result {
    std::vector<H> done;
    std::vector<H> pending;
};

namespace detail {
template <class H>
coro<wait_result<H>> wait_impl(std::vector<H> hs, wait_options opts) {
    std::vector<future_state_base*> states = states_of(hs);
    wake_rule rule = opts.return_when == weft::first_completed   ? wake_rule::first_completed
                     : opts.return_when == weft::first_exception ? wake_rule::first_exception
                                                                 : wake_rule::all_completed;
    std::optional<clock::time_point> deadline;
    if (opts.timeout)
        deadline = deadline_after(*opts.timeout);
    {
        wait_many w(states, rule, cancel_mode::abandon, deadline);
        co_await w;
    }
    wait_result<H> r;
    for (auto& h : hs) (h.done() ? r.done : r.pending).push_back(std::move(h));
    co_return r;
}

template <class T>
coro<T> wait_until_impl(task<T> t, clock::time_point deadline, bool owned) {
    bool timed_out = false;
    {
        future_state_base* one[1] = {t.raw_state()};
        wait_many w(one, wake_rule::all_completed, cancel_mode::forward, deadline);
        co_await w;
        timed_out = w.timed_out() && !w.forwarded_cancel() && !t.done();
    }
    if (timed_out) {
        t.cancel();
        future_wait cleanup(t.raw_state(), cancel_mode::uncancellable);
        co_await cleanup;
        t.raw_state()->mark_retrieved();
        throw timeout_error("wait_for(): timed out waiting for " + t.get_name());
    }
    if constexpr (std::is_void_v<T>) {
        t.raw_state()->mark_retrieved();
        t.raw_state()->check_result("wait_for");
    } else {
        co_return take_value(t, owned);
    }
}
} // namespace detail

/// Waits for the tasks or futures until `opts.return_when` holds or the
/// timeout passes; returns {done, pending}. Cancelling the awaiting task
/// stops the wait and leaves the tasks running. Throws value_error for an
/// empty set.
template <class H>
coro<wait_result<H>> wait(std::vector<H> handles, wait_options opts = {}) {
    if (handles.empty()) throw value_error("wait(): the set of tasks or futures is empty");
    return detail::wait_impl(std::move(handles), opts);
}

/// Awaits `aw` (a coro is wrapped in a task at once) for at most `timeout`.
/// On timeout the task is cancelled, awaited until it has finished
/// cancelling, and timeout_error is thrown. Cancelling the awaiting task
/// cancels the inner one too.
template <class A, class Rep, class Period>
auto wait_for(A&& aw, std::chrono::duration<Rep, Period> timeout) {
    return wait_until(std::forward<A>(aw), deadline_after(timeout));
}

/// As wait_for with an absolute deadline on the loop's clock (asyncio.timeout_at).
template <class A>
auto wait_until(A&& aw, clock::time_point deadline) {
    using traits = detail::awaitable_traits<std::decay_t<A>>;
    static_assert(!std::is_same_v<typename traits::handle, future<typename traits::value>>,
                  "wait_for/wait_until take a coro or a task");
    std::decay_t<A> copy = std::forward<A>(aw);
    return detail::wait_until_impl(traits::to_handle(std::move(copy)), deadline, traits::owned);
}

namespace detail {
template <class T>
struct shield_awaiter : future_wait {
    task<T> t;
    explicit shield_awaiter(task<T> tt) : future_wait(tt.raw_state(), cancel_mode::abandon), t(std::move(tt)) {}
    T await_resume() {
        finish();
        t.raw_state()->mark_retrieved();
        if constexpr (std::is_void_v<T>)
            t.raw_state()->check_result("shield");
        else
            return take_value(t, false);
    }
};
} // namespace detail

/// Awaits `aw` but shields it from cancellation: cancelling the awaiting task
/// throws cancelled_error in it at once and leaves the inner task running.
/// A coro is wrapped in a task first.
template <class A>
auto shield(A&& aw) {
    using traits = detail::awaitable_traits<std::decay_t<A>>;
    std::decay_t<A> copy = std::forward<A>(aw);
    return detail::shield_awaiter<typename traits::value>(traits::to_handle(std::move(copy)));
}

} // namespace weft
