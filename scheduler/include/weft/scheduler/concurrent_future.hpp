// weft::concurrent_future<T>: concurrent.futures.Future, the thread-side
// handle returned by run_coroutine_threadsafe() and runtime::submit().
//
// result() blocks the calling thread (optionally with a timeout, then
// timeout_error). cancel() marks the future cancelled at once and cancels the
// task on its loop. Done-callbacks run on the thread that completes the
// future (the loop's thread), or at once in add_done_callback() if done.
#pragma once

#include <weft/errors.hpp>
#include <weft/scheduler/detail/future_state.hpp>
#include <weft/scheduler/task.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace weft {

template <class T = void>
class concurrent_future {
    struct state {
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        bool cancelled = false;
        bool cancel_requested = false;
        std::optional<detail::stored_t<T>> value;
        std::exception_ptr error;
        std::string cancel_message;
        basic_task task;
        event_loop* loop = nullptr;
        std::vector<std::function<void(concurrent_future)>> callbacks;
    };

public:
    using value_type = T;

    concurrent_future() = default;

    bool done() const {
        std::lock_guard<std::mutex> g(s_->m);
        return s_->done;
    }
    bool cancelled() const {
        std::lock_guard<std::mutex> g(s_->m);
        return s_->cancelled;
    }

    /// Blocks until done; returns the value or throws (cancelled_error if
    /// cancelled). Throws weft::error when called on the thread running the
    /// loop that must complete it (it would never complete).
    T result() { return result_until(std::nullopt); }
    /// As result(), throwing timeout_error if not done within `timeout`.
    template <class Rep, class Period>
    T result(std::chrono::duration<Rep, Period> timeout) {
        return result_until(deadline_after(timeout));
    }
    /// The exception (null on success); blocks like result().
    std::exception_ptr exception() {
        std::unique_lock<std::mutex> g(s_->m);
        wait_locked(g, std::nullopt);
        if (s_->cancelled) throw cancelled_error(s_->cancel_message);
        return s_->error;
    }

    /// Cancels: false if already done; otherwise the future is cancelled at
    /// once and the task is cancelled on its loop.
    bool cancel() {
        std::vector<std::function<void(concurrent_future)>> cbs;
        basic_task t;
        {
            std::lock_guard<std::mutex> g(s_->m);
            if (s_->done) return false;
            s_->cancel_requested = true;
            s_->cancelled = true;
            s_->done = true;
            t = s_->task;
            cbs.swap(s_->callbacks);
        }
        s_->cv.notify_all();
        if (t) t.cancel();
        for (auto& cb : cbs) cb(*this);
        return true;
    }

    /// Runs f(future) once done: on the completing thread, or now if done.
    template <class F>
    void add_done_callback(F f) {
        {
            std::lock_guard<std::mutex> g(s_->m);
            if (!s_->done) {
                s_->callbacks.emplace_back(std::move(f));
                return;
            }
        }
        f(*this);
    }

    /// Internal: a pending future whose task will run on `loop`.
    static concurrent_future make(event_loop* loop) {
        concurrent_future f;
        f.s_ = std::make_shared<state>();
        f.s_->loop = loop;
        return f;
    }
    /// Internal (loop thread): attaches the task; cancels it if cancel()
    /// came first. Completion follows the task.
    void attach(task<T> t) {
        bool cancel_now;
        {
            std::lock_guard<std::mutex> g(s_->m);
            s_->task = t;
            cancel_now = s_->cancel_requested;
        }
        if (cancel_now) t.cancel();
        t.add_done_callback([self = *this](task<T> done) mutable { self.complete_from(done); });
    }
    /// Internal: ends as cancelled without a task (cancelled before it started).
    bool cancel_requested() const {
        std::lock_guard<std::mutex> g(s_->m);
        return s_->cancel_requested;
    }

private:
    void complete_from(task<T>& t) {
        std::vector<std::function<void(concurrent_future)>> cbs;
        {
            std::lock_guard<std::mutex> g(s_->m);
            if (s_->done) {
                t.raw_state()->mark_retrieved();  // cancelled earlier: the outcome is dropped on purpose
                return;
            }
            auto* st = t.raw_state();
            st->mark_retrieved();
            switch (st->state()) {
            case detail::status::value:
                if constexpr (std::is_void_v<T>)
                    s_->value.emplace();
                else
                    s_->value.emplace(std::move(st->value_ref("concurrent_future")));
                break;
            case detail::status::exception:
                s_->error = st->exception("concurrent_future");
                break;
            default:
                s_->cancelled = true;
                s_->cancel_message = st->cancel_message();
                break;
            }
            s_->done = true;
            cbs.swap(s_->callbacks);
        }
        s_->cv.notify_all();
        for (auto& cb : cbs) cb(*this);
    }

    void wait_locked(std::unique_lock<std::mutex>& g, std::optional<clock::time_point> deadline) {
        if (s_->done) return;
        if (s_->loop && s_->loop->on_loop_thread())
            throw error("concurrent_future::result(): called on the thread running the loop that "
                        "must complete it; co_await the task instead");
        if (!deadline) {
            s_->cv.wait(g, [&] { return s_->done; });
        } else if (!s_->cv.wait_until(g, *deadline, [&] { return s_->done; })) {
            throw timeout_error("concurrent_future::result(): timed out");
        }
    }

    T result_until(std::optional<clock::time_point> deadline) {
        std::unique_lock<std::mutex> g(s_->m);
        wait_locked(g, deadline);
        if (s_->cancelled) throw cancelled_error(s_->cancel_message);
        if (s_->error) std::rethrow_exception(s_->error);
        if constexpr (std::is_void_v<T>)
            return;
        else if constexpr (std::is_copy_constructible_v<T>)
            return *s_->value;
        else
            return std::move(*s_->value);  // a move-only result can be taken once
    }

    std::shared_ptr<state> s_;
};

/// Submits c to `loop` from any thread that is not running that loop; the
/// coroutine becomes a task there. Returns a concurrent_future for its result.
template <class T>
concurrent_future<T> run_coroutine_threadsafe(coro<T> c, event_loop& loop) {
    if (!c.valid()) throw error("run_coroutine_threadsafe(): empty coro");
    auto f = concurrent_future<T>::make(&loop);
    loop.call_soon_threadsafe([c = std::move(c), f]() mutable {
        task<T> t = get_running_loop().create_task(std::move(c));
        f.attach(std::move(t));
    });
    return f;
}

} // namespace weft
