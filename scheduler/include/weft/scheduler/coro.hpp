// weft::coro<T>: asyncio's `async def f() -> T`.
//
// Lazy: calling a coroutine function allocates its frame and runs nothing.
// `co_await f()` starts it inline in the awaiting task by symmetric transfer
// (no scheduling, no allocation beyond its frame, no stack growth); when it
// finishes it transfers straight back to the awaiter, on the same thread.
// Wrapping it with create_task() makes it a task of its own instead.
// A coro destroyed without being awaited runs nothing (debug mode reports it).
#pragma once

#include <weft/errors.hpp>
#include <weft/scheduler/detail/frame_alloc.hpp>
#include <weft/scheduler/detail/future_state.hpp>

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace weft {

template <class T>
class coro;

namespace detail {

class task_base;

/// Where a coroutine was defined. std::source_location is not available with
/// every supported compiler (clang 14 with libstdc++ 12), the builtins are.
struct source_loc {
    const char* file = "";
    const char* function = "";
    unsigned line = 0;
    static constexpr source_loc here(const char* file = __builtin_FILE(),
                                     const char* function = __builtin_FUNCTION(),
                                     unsigned line = __builtin_LINE()) noexcept {
        return source_loc{file, function, line};
    }
};

/// What every coroutine frame of weft starts with.
struct coro_promise_base {
    explicit coro_promise_base(source_loc where) noexcept : where(where) {}

    static void* operator new(std::size_t n) { return frame_allocate(n); }
    static void operator delete(void* p, std::size_t n) noexcept { frame_deallocate(p, n); }

    std::suspend_always initial_suspend() const noexcept { return {}; }
    void unhandled_exception() noexcept { error = std::current_exception(); }

    std::coroutine_handle<> continuation;
    /// Non-null when this coroutine is the root of a task: finishing it
    /// completes the task instead of resuming a continuation.
    task_base* owner = nullptr;
    /// The coroutine this one awaits inline right now, and the one awaiting
    /// this one inline (async stack traces). Cleared when the child finishes.
    coro_promise_base* child = nullptr;
    coro_promise_base* parent = nullptr;
    source_loc where;
    std::exception_ptr error;
    bool started = false;
};

/// Debug-mode report of a coroutine destroyed before it ever ran.
void report_never_awaited(const source_loc& where) noexcept;

template <class T>
struct coro_promise;

template <class T>
struct coro_final_awaiter {
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<coro_promise<T>> h) noexcept;
    void await_resume() const noexcept {}
};

template <class T>
struct coro_promise_value : coro_promise_base {
    using coro_promise_base::coro_promise_base;
    template <class U = T>
    void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
        value.emplace(std::forward<U>(v));
    }
    std::optional<T> value;
};

template <>
struct coro_promise_value<void> : coro_promise_base {
    using coro_promise_base::coro_promise_base;
    void return_void() noexcept { value.emplace(); }
    std::optional<std::monostate> value;
};

template <class T>
struct coro_promise : coro_promise_value<T> {
    // The compiler constructs the promise inside the coroutine, so this
    // default argument records the coroutine's own name and place.
    coro_promise(source_loc where = source_loc::here()) noexcept : coro_promise_value<T>(where) {}
    coro<T> get_return_object() noexcept;
    coro_final_awaiter<T> final_suspend() const noexcept { return {}; }
};

/// Completes the owning task of a root coroutine (defined in task.hpp).
template <class T>
std::coroutine_handle<> finish_task_root(std::coroutine_handle<coro_promise<T>> h) noexcept;

template <class T>
std::coroutine_handle<> coro_final_awaiter<T>::await_suspend(
    std::coroutine_handle<coro_promise<T>> h) noexcept {
    auto& p = h.promise();
    if (p.parent) p.parent->child = nullptr;
    if (p.owner) return finish_task_root<T>(h);
    if (p.continuation) return p.continuation;
    return std::noop_coroutine();
}

} // namespace detail

template <class T = void>
class [[nodiscard]] coro {
public:
    using promise_type = detail::coro_promise<T>;
    using value_type = T;
    using handle_type = std::coroutine_handle<promise_type>;

    coro() noexcept = default;
    explicit coro(handle_type h) noexcept : h_(h) {}
    coro(coro&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    coro& operator=(coro&& o) noexcept {
        if (this != &o) {
            destroy();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    coro(const coro&) = delete;
    coro& operator=(const coro&) = delete;
    ~coro() { destroy(); }

    /// False for a moved-from or default-constructed coro.
    bool valid() const noexcept { return static_cast<bool>(h_); }
    explicit operator bool() const noexcept { return valid(); }

    struct awaiter {
        handle_type h;
        bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
            h.promise().continuation = parent;
            if constexpr (std::is_base_of_v<detail::coro_promise_base, P>) {
                parent.promise().child = &h.promise();
                h.promise().parent = &parent.promise();
            }
            return h;
        }
        T await_resume() {
            auto& p = h.promise();
            p.continuation = {};
            if (p.error) std::rethrow_exception(p.error);
            if constexpr (!std::is_void_v<T>) return std::move(*p.value);
        }
    };

    /// Runs the coroutine inline in the awaiting coroutine. The coro must be
    /// valid; awaiting a moved-from coro throws weft::error.
    awaiter operator co_await() && { return start("co_await"); }
    awaiter operator co_await() & { return start("co_await"); }

    /// Gives the frame away (create_task takes it this way).
    handle_type release() noexcept { return std::exchange(h_, {}); }
    handle_type handle() const noexcept { return h_; }

private:
    awaiter start(const char* op) {
        check_valid(op);
        if (h_.promise().started)
            throw error("weft::coro: co_await on a coroutine that already ran; a coro "
                        "runs once (wrap it in a task to await its result several times)");
        h_.promise().started = true;
        return awaiter{h_};
    }
    void check_valid(const char* op) const {
        if (!h_)
            throw error(std::string("weft::coro: ") + op +
                        " on an empty coro (moved-from or default-constructed)");
    }
    void destroy() noexcept {
        if (h_) {
            if (!h_.promise().started) detail::report_never_awaited(h_.promise().where);
            h_.destroy();
            h_ = {};
        }
    }
    handle_type h_;
};

template <class T>
coro<T> detail::coro_promise<T>::get_return_object() noexcept {
    return coro<T>(std::coroutine_handle<coro_promise<T>>::from_promise(*this));
}

} // namespace weft
