// weft::task<T>: asyncio.Task, a coroutine scheduled on an event loop.
//
// A task is a cheap copyable handle to shared state (one allocation besides
// the coroutine frame, both from the per-thread frame pools). It runs on the
// loop that created it; awaiting it from any task on any loop suspends the
// awaiter until the task is done, and the awaiter resumes on its own loop.
// Done-callbacks run on the task's loop via call_soon.
#pragma once

#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/detail/await_future.hpp>
#include <weft/scheduler/detail/task_state.hpp>
#include <weft/scheduler/event_loop.hpp>
#include <weft/scheduler/future.hpp>

#include <iosfwd>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

/// One entry of an async stack trace.
struct stack_frame {
    std::string function;
    std::string file;
    unsigned line = 0;
};

/// The type-independent part of a task handle (what current_task() and
/// all_tasks() return).
class basic_task {
public:
    basic_task() noexcept = default;
    explicit basic_task(detail::task_base* t) noexcept : s_(t) {}

    /// False for an empty handle (current_task() outside a task).
    explicit operator bool() const noexcept { return static_cast<bool>(s_); }
    bool done() const noexcept { return s_->done(); }
    bool cancelled() const noexcept { return s_->cancelled(); }
    /// Requests cancellation (any thread): the task's current or next
    /// suspension throws cancelled_error(message) inside it. False if done.
    bool cancel(std::string message = {}) { return s_->cancel(std::move(message)); }
    /// The exception the task ended with (null on success). Throws
    /// invalid_state_error while pending, cancelled_error if cancelled.
    std::exception_ptr exception() const {
        s_->mark_retrieved();
        return s_->exception("task::exception()");
    }
    std::string get_name() const { return s_->name(); }
    void set_name(std::string name) { s_->set_name(std::move(name)); }
    /// The chain of coroutines the task is suspended in, outermost first,
    /// innermost last. Call it from the task's loop or while the task is
    /// suspended.
    std::vector<stack_frame> get_stack() const;
    /// Writes get_stack() in a readable form.
    void print_stack(std::ostream& os) const;
    event_loop* get_loop() const noexcept { return s_->loop(); }

    detail::task_base* raw_state() const noexcept { return s_.get(); }
    friend bool operator==(const basic_task& a, const basic_task& b) noexcept {
        return a.s_.get() == b.s_.get();
    }

protected:
    detail::state_ref<detail::task_base> s_;
};

template <class T = void>
class task : public basic_task {
    using state = detail::task_state<T>;

public:
    using value_type = T;

    task() noexcept = default;
    /// Adopts a reference to a task state (used by create_task).
    static task adopt(state* s) noexcept {
        task t;
        t.s_ = detail::state_ref<detail::task_base>::adopt(s);
        return t;
    }

    /// The value. Throws invalid_state_error while pending, cancelled_error
    /// if cancelled, the task's exception if it failed.
    decltype(auto) result() const {
        raw()->mark_retrieved();
        if constexpr (std::is_void_v<T>)
            raw()->check_result("task::result()");
        else
            return static_cast<T&>(raw()->value_ref("task::result()"));
    }

    /// Runs f(task) on the task's loop once done; returns an id for
    /// remove_done_callback.
    template <class F>
    std::size_t add_done_callback(F f) {
        return s_->add_callback([f = std::move(f)](detail::future_state_base& b) mutable {
            task t;
            t.s_ = detail::state_ref<detail::task_base>(static_cast<state*>(&b));
            f(t);
        });
    }
    std::size_t remove_done_callback(std::size_t id) { return s_->remove_callback(id); }

    template <bool Move>
    struct awaiter : detail::future_wait {
        state* s;
        explicit awaiter(state* st) : detail::future_wait(st, detail::cancel_mode::forward), s(st) {}
        T await_resume() {
            finish();
            s->mark_retrieved();
            if constexpr (std::is_void_v<T>) {
                s->check_result("co_await task");
            } else if constexpr (Move) {
                return T(std::move(s->value_ref("co_await task")));
            } else {
                static_assert(std::is_copy_constructible_v<T>,
                              "co_await on an lvalue weft::task copies the value; for a "
                              "move-only T write co_await std::move(t)");
                return T(s->value_ref("co_await task"));
            }
        }
    };
    /// Suspends the awaiting task until this one is done and returns its value
    /// (a copy; moved out when awaiting an rvalue task) or rethrows its
    /// exception. Cancelling the awaiting task cancels this one too, as in
    /// asyncio; use shield() to prevent that.
    awaiter<false> operator co_await() const& { return awaiter<false>(raw()); }
    awaiter<true> operator co_await() const&& { return awaiter<true>(raw()); }

    state* raw() const noexcept { return static_cast<state*>(s_.get()); }
    /// Internal: the typed shared state.
    state* raw_state() const noexcept { return raw(); }
};

namespace detail {

template <class T>
std::coroutine_handle<> finish_task_root(std::coroutine_handle<coro_promise<T>> h) noexcept {
    auto& p = h.promise();
    auto* ts = static_cast<task_state<T>*>(p.owner);
    ts->set_from(p.value, std::move(p.error));
    h.destroy();
    ts->on_root_finished();
    return std::noop_coroutine();
}

void prepare_task(task_base* t, event_loop& loop, const task_options& opts);

} // namespace detail

template <class T>
task<T> event_loop::create_task(coro<T> c, const task_options& opts) {
    check_open("create_task");
    if (!c.valid())
        throw error("create_task(): empty coro (moved-from or default-constructed)");
    auto h = c.release();
    auto* ts = new detail::task_state<T>(this);
    if (!opts.name.empty()) ts->set_name(opts.name);
    h.promise().owner = ts;
    h.promise().started = true;
    ts->bind_root(h, &h.promise());
    ts->add_ref();  // the handle returned below; the initial one belongs to the coroutine
    detail::prepare_task(ts, *this, opts);
    return task<T>::adopt(ts);
}

/// Wraps c in a task scheduled at once on the running loop (the current
/// worker). Throws weft::error outside a running loop.
template <class T>
task<T> create_task(coro<T> c, const task_options& opts = {}) {
    return get_running_loop().create_task(std::move(c), opts);
}

/// coro -> task on the running loop; task and future are returned as they are.
template <class T>
task<T> ensure_future(coro<T> c) {
    return create_task(std::move(c));
}
template <class T>
task<T> ensure_future(task<T> t) noexcept {
    return t;
}
template <class T>
future<T> ensure_future(future<T> f) noexcept {
    return f;
}

/// The task running on this thread; an empty handle outside a task.
basic_task current_task() noexcept;
/// The tasks of the running loop that are not done yet.
std::vector<basic_task> all_tasks();

namespace detail {
/// Runs the loop until `s` is done; the loop must not be running.
void run_loop_until_done(event_loop& loop, future_state_base* s);
} // namespace detail

template <class T>
T event_loop::run_until_complete(task<T> t) {
    check_open("run_until_complete");
    detail::run_loop_until_done(*this, t.raw_state());
    if constexpr (std::is_void_v<T>)
        t.result();
    else
        return std::move(t.result());
}
template <class T>
T event_loop::run_until_complete(coro<T> c) {
    check_open("run_until_complete");
    if (is_running()) throw error("run_until_complete(): this event loop is already running");
    return run_until_complete(create_task(std::move(c)));
}
template <class T>
T event_loop::run_until_complete(future<T> f) {
    check_open("run_until_complete");
    detail::run_loop_until_done(*this, f.raw_state());
    if constexpr (std::is_void_v<T>)
        f.result();
    else
        return std::move(f.result());
}

} // namespace weft
