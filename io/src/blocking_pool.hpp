// A small elastic pool of threads for the blocking calls of the io
// component (the C library's getaddrinfo), and run_blocking(), which runs a
// callable there and lets the awaiting task wait without blocking its worker.
//
// Threads are created on demand, up to max_threads, and a thread idle for
// idle_timeout retires; a retiring thread joins the threads that retired
// before it, so at most one finished thread waits to be joined. Jobs run in
// submission order; a job never runs on the submitting thread while the pool
// is open.
//
// Shutdown (the destructor; at process exit for the process-wide instance)
// lets the running and queued jobs finish and joins the threads, waiting at
// most exit_grace: a job stuck in a blocking call (a resolver timing out)
// must not make exit hang, so the threads still busy then are detached. They
// keep the pool's state alive (reference counted) and finish the queue on
// their own. submit() after shutdown runs the job on the caller.
#pragma once

#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/detail/await_future.hpp>
#include <weft/scheduler/future.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

namespace weft::detail {

struct blocking_pool_options {
    unsigned max_threads = 8;
    std::chrono::milliseconds idle_timeout{10'000};
    std::chrono::milliseconds exit_grace{1'000};
};

class blocking_pool {
public:
    explicit blocking_pool(blocking_pool_options opts = {});
    blocking_pool(const blocking_pool&) = delete;
    blocking_pool& operator=(const blocking_pool&) = delete;
    /// shutdown().
    ~blocking_pool();

    /// The process-wide pool, shut down at exit (its memory stays, so a
    /// late submit() from another static destructor still works).
    static blocking_pool& instance();

    /// Queues job to run on a pool thread, starting one if none is idle and
    /// fewer than max_threads run. job must not throw (std::terminate). Throws
    /// std::system_error only if no thread exists and none can be started.
    void submit(std::function<void()> job);

    /// Lets the queued jobs finish and joins the threads (at most
    /// exit_grace; the rest are detached). Idempotent, any thread but a
    /// pool thread.
    void shutdown() noexcept;

    struct counts {
        std::size_t threads = 0;  ///< started and not retired
        std::size_t idle = 0;     ///< of those, waiting for a job
        std::size_t queued = 0;   ///< jobs not started yet
    };
    counts snapshot() const;
    const blocking_pool_options& options() const noexcept { return opts_; }

    struct shared;

private:
    blocking_pool_options opts_;
    std::shared_ptr<shared> s_;
};

/// Set by a run_blocking job once it is done with the future: after that
/// it touches neither the future nor the awaiting task's loop.
struct blocking_handoff {
    std::atomic<bool> released{false};
};

/// Leaving a run_blocking wait (by its result, an exception or a cancel):
/// if the job completed the future, waits the few instructions until the
/// job let go of it. The job wakes the awaiting task from its pool thread,
/// and the task may resume, finish its runtime and destroy the loops before
/// that thread has returned from the wake; and the state (with an exception
/// the awaiter rethrew) must be freed here, by its last user. A job that
/// had not completed the future when a cancelled awaiter left finds no
/// waiter, so it touches no loop, and nothing is waited for.
class blocking_release_wait {
public:
    blocking_release_wait(const future_state_base* st, const blocking_handoff* h) noexcept : st_(st), h_(h) {}
    blocking_release_wait(const blocking_release_wait&) = delete;
    blocking_release_wait& operator=(const blocking_release_wait&) = delete;
    ~blocking_release_wait() {
        if (!st_->done()) return;
        // Acquire: pairs with the job's release store, after which the job
        // has returned from every call that could touch the task's loop.
        while (!h_->released.load(std::memory_order_acquire)) std::this_thread::yield();
    }

private:
    const future_state_base* st_;
    const blocking_handoff* h_;
};

/// Runs fn() on `pool` and waits for its result (or rethrows its exception)
/// without blocking the worker. Inside a task only. Cancelling the awaiting
/// task throws cancelled_error in it at once; fn still runs to its end on
/// the pool (a blocking call cannot be interrupted) and its result or
/// exception is dropped: the future that carries it is marked retrieved up
/// front, so an exception nobody waits for any more is not reported.
/// fn must be copyable (std::function).
template <class F>
coro<std::invoke_result_t<F&>> run_blocking(F fn, blocking_pool& pool = blocking_pool::instance()) {
    using T = std::invoke_result_t<F&>;
    future<T> fut;
    // Only the awaiter below reads the outcome; when it left on a cancel,
    // nobody will, and that is not an error to report.
    fut.raw_state()->mark_retrieved();
    auto handoff = std::make_shared<blocking_handoff>();
    auto job = [done = std::optional<future<T>>(fut), fn = std::move(fn), handoff]() mutable noexcept {
        try {
            if constexpr (std::is_void_v<T>) {
                fn();
                done->set_result();
            } else {
                done->set_result(fn());
            }
        } catch (...) {
            try {
                done->set_exception(std::current_exception());
            } catch (...) {
                // Already done: only if set_result stored its value and
                // then something threw, which it does not.
            }
        }
        // With a cancelled waiter this frees the result, before fn's
        // captures go.
        done.reset();
        // Release: pairs with the acquire in ~blocking_release_wait.
        handoff->released.store(true, std::memory_order_release);
    };
    pool.submit(std::move(job));
    {
        blocking_release_wait leave(fut.raw_state(), handoff.get());
        {
            future_wait w(fut.raw_state(), cancel_mode::abandon);
            co_await w;
        }
    }
    if constexpr (std::is_void_v<T>) {
        fut.result();
    } else {
        co_return std::move(fut.result());
    }
}

} // namespace weft::detail
