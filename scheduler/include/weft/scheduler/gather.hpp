// weft::gather and weft::gather_settled: asyncio.gather.
//
// gather() is an ordinary function, as in asyncio: it wraps every coroutine in
// a task on the running loop at once, so the children run concurrently from
// the moment it is called, then returns a coro that waits for them.
//   co_await gather(a(), b(), c())      -> std::tuple of the results
//   co_await gather(std::move(vec))     -> std::vector of the results
// Results come in argument order; void results are std::monostate. The first
// child failure (exception or cancellation) propagates at once and the other
// children keep running. Cancelling the awaiting task cancels every child.
// gather_settled waits for all children and returns weft::outcome<T> for each.
#pragma once

#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/detail/wait_many.hpp>
#include <weft/scheduler/outcome.hpp>
#include <weft/scheduler/task.hpp>

#include <array>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

namespace detail {

template <class A>
struct awaitable_traits;
template <class T>
struct awaitable_traits<coro<T>> {
    using value = T;
    using handle = task<T>;
    static constexpr bool owned = true;  // the gather made the task: it may move results out
    static handle to_handle(coro<T>&& c) { return create_task(std::move(c)); }
};
template <class T>
struct awaitable_traits<task<T>> {
    using value = T;
    using handle = task<T>;
    static constexpr bool owned = false;
    static handle to_handle(task<T> t) { return t; }  // a copy: the caller's handle stays valid
};
template <class T>
struct awaitable_traits<future<T>> {
    using value = T;
    using handle = future<T>;
    static constexpr bool owned = false;
    static handle to_handle(future<T> f) { return f; }
};

template <class A>
using value_of = typename awaitable_traits<std::decay_t<A>>::value;
template <class A>
using handle_of = typename awaitable_traits<std::decay_t<A>>::handle;

/// Takes the value out of a finished handle: moved when the gather owns the
/// task, copied when it belongs to the caller too (moved if not copyable).
template <class H>
auto take_value(H& h, bool owned) {
    using T = typename H::value_type;
    auto* s = h.raw_state();
    s->mark_retrieved();
    if constexpr (std::is_void_v<T>) {
        s->check_result("gather");
        return std::monostate{};
    } else if constexpr (!std::is_copy_constructible_v<T>) {
        return T(std::move(s->value_ref("gather")));
    } else {
        if (owned) return T(std::move(s->value_ref("gather")));
        return T(s->value_ref("gather"));
    }
}

template <class H>
outcome<typename H::value_type> settle(H& h, bool owned) {
    using T = typename H::value_type;
    auto* s = h.raw_state();
    s->mark_retrieved();
    switch (s->state()) {
    case status::value:
        if constexpr (std::is_void_v<T>) {
            return outcome<T>::from_value(std::monostate{});
        } else if constexpr (std::is_copy_constructible_v<T>) {
            if (owned) return outcome<T>::from_value(std::move(s->value_ref("gather_settled")));
            return outcome<T>::from_value(s->value_ref("gather_settled"));
        } else {
            return outcome<T>::from_value(std::move(s->value_ref("gather_settled")));
        }
    case status::exception:
        return outcome<T>::from_exception(s->exception("gather_settled"));
    default:
        return outcome<T>::from_cancelled(s->cancel_message());
    }
}

/// The shared states of the handles, for wait_many.
template <class H>
std::vector<future_state_base*> states_of(std::vector<H>& hs) {
    std::vector<future_state_base*> states;
    states.reserve(hs.size());
    for (auto& h : hs) states.push_back(h.raw_state());
    return states;
}

template <class H>
[[noreturn]] void rethrow_failure(H& h) {
    h.raw_state()->mark_retrieved();
    h.raw_state()->check_result("gather");
    throw error("gather: internal error, a failed child has a value");
}

inline cancelled_error current_cancelled_error() {
    return require_current_task("gather").make_cancelled_error();
}

template <class... H>
coro<std::tuple<stored_t<typename H::value_type>...>> gather_tuple(std::tuple<H...> hs,
                                                                  std::array<bool, sizeof...(H)> owned) {
    std::array<future_state_base*, sizeof...(H)> states = std::apply(
        [](auto&... h) { return std::array<future_state_base*, sizeof...(H)>{h.raw_state()...}; }, hs);
    wait_many w(states, wake_rule::first_failure, cancel_mode::forward);
    co_await w;
    if (std::size_t i = w.first_failed(); i != wait_many::npos) {
        std::size_t k = 0;
        std::apply([&](auto&... h) { ((k++ == i ? rethrow_failure(h) : void()), ...); }, hs);
    }
    // Cancelled while waiting, and every child swallowed it: still cancelled,
    // as asyncio's gather.
    if (w.forwarded_cancel()) throw current_cancelled_error();
    co_return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::tuple<stored_t<typename H::value_type>...>{
            take_value(std::get<I>(hs), owned[I])...};
    }(std::index_sequence_for<H...>{});
}

template <class H>
coro<std::vector<stored_t<typename H::value_type>>> gather_vector(std::vector<H> hs, bool owned) {
    std::vector<future_state_base*> states = states_of(hs);
    wait_many w(states, wake_rule::first_failure, cancel_mode::forward);
    co_await w;
    if (std::size_t i = w.first_failed(); i != wait_many::npos) rethrow_failure(hs[i]);
    if (w.forwarded_cancel()) throw current_cancelled_error();
    std::vector<stored_t<typename H::value_type>> out;
    out.reserve(hs.size());
    for (auto& h : hs) out.push_back(take_value(h, owned));
    co_return out;
}

template <class... H>
coro<std::tuple<outcome<typename H::value_type>...>> gather_settled_tuple(std::tuple<H...> hs,
                                                                         std::array<bool, sizeof...(H)> owned) {
    std::array<future_state_base*, sizeof...(H)> states = std::apply(
        [](auto&... h) { return std::array<future_state_base*, sizeof...(H)>{h.raw_state()...}; }, hs);
    wait_many w(states, wake_rule::all_completed, cancel_mode::forward);
    co_await w;
    if (w.forwarded_cancel()) throw current_cancelled_error();
    co_return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::tuple<outcome<typename H::value_type>...>{settle(std::get<I>(hs), owned[I])...};
    }(std::index_sequence_for<H...>{});
}

template <class H>
coro<std::vector<outcome<typename H::value_type>>> gather_settled_vector(std::vector<H> hs, bool owned) {
    std::vector<future_state_base*> states = states_of(hs);
    wait_many w(states, wake_rule::all_completed, cancel_mode::forward);
    co_await w;
    if (w.forwarded_cancel()) throw current_cancelled_error();
    std::vector<outcome<typename H::value_type>> out;
    out.reserve(hs.size());
    for (auto& h : hs) out.push_back(settle(h, owned));
    co_return out;
}

} // namespace detail

/// Runs the awaitables (coro, task or future) concurrently; the result is a
/// std::tuple of their values in argument order.
template <class... A>
auto gather(A&&... aws) {
    static_assert(sizeof...(A) > 0, "gather() needs at least one awaitable");
    return detail::gather_tuple(
        // Braces: children are created left to right, as asyncio starts them.
        std::tuple<detail::handle_of<A>...>{
            detail::awaitable_traits<std::decay_t<A>>::to_handle(std::forward<A>(aws))...},
        std::array<bool, sizeof...(A)>{detail::awaitable_traits<std::decay_t<A>>::owned...});
}

/// Runs a vector of coros, tasks or futures concurrently; the result is a
/// std::vector of their values in order.
template <class A>
auto gather(std::vector<A> aws) {
    using traits = detail::awaitable_traits<A>;
    std::vector<typename traits::handle> hs;
    hs.reserve(aws.size());
    for (auto& a : aws) hs.push_back(traits::to_handle(std::move(a)));
    return detail::gather_vector(std::move(hs), traits::owned);
}

/// As gather, but never throws for a child: each result is an outcome<T>
/// holding the value, the exception, or the cancellation.
template <class... A>
auto gather_settled(A&&... aws) {
    static_assert(sizeof...(A) > 0, "gather_settled() needs at least one awaitable");
    return detail::gather_settled_tuple(
        // Braces: children are created left to right, as asyncio starts them.
        std::tuple<detail::handle_of<A>...>{
            detail::awaitable_traits<std::decay_t<A>>::to_handle(std::forward<A>(aws))...},
        std::array<bool, sizeof...(A)>{detail::awaitable_traits<std::decay_t<A>>::owned...});
}

template <class A>
auto gather_settled(std::vector<A> aws) {
    using traits = detail::awaitable_traits<A>;
    std::vector<typename traits::handle> hs;
    hs.reserve(aws.size());
    for (auto& a : aws) hs.push_back(traits::to_handle(std::move(a)));
    return detail::gather_settled_vector(std::move(hs), traits::owned);
}

} // namespace weft
