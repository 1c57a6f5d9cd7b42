// The state of a scheduled coroutine: a future plus what it takes to run,
// suspend, wake and cancel the coroutine.
//
// Suspension protocol (DESIGN.md, "Cancellation protocol"). Every suspension
// of a task publishes a new wait token in `wait_word_`:
//
//     wait_word_ = seq << 2 | phase,  phase in {running, waiting, woken, cancelled}
//
// begin_wait() moves running -> waiting under a fresh seq. Whoever completes
// what the task waits for calls try_wake(token): a CAS waiting -> woken that
// schedules the task if it wins. A cancel delivery CASes waiting -> cancelled
// instead. Exactly one CAS wins per token; the loser does nothing, and a stale
// token (an earlier suspension) can never match. end_wait() (in the awaiter's
// await_resume) reads the phase and returns the word to running.
//
// cancel() may be called from any thread. It sets CANCEL_PENDING and, unless
// one is already queued, posts a delivery to the task's loop. The delivery
// (apply_cancel) looks at the current suspension's hook:
//   - uncancellable: the request stays pending for a later suspension;
//   - abandon: CAS waiting -> cancelled and schedule the task; the awaiter
//     cleans its registrations up in await_resume and throws cancelled_error;
//   - forward: pass the request on to what is awaited (a task awaiting a task
//     cancels the inner one, as asyncio does) and consume it.
// A request that finds the task running or already woken stays pending and is
// honoured at its next suspension (commit_wait) or when it resumes
// (end_wait with throw_pending), as asyncio's _must_cancel is.
//
// The hook names memory in the suspended frame. It is read and changed only
// by the thread running the task's loop: begin_wait / end_wait run in the task,
// apply_cancel in the delivery the loop runs between task steps, so the frame
// cannot move on while a hook runs. (Tasks do not migrate between loops; work
// stealing will have to hand the hook over with the task.)
#pragma once

#include <weft/scheduler/detail/future_state.hpp>
#include <weft/scheduler/detail/runnable.hpp>

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <string>

namespace weft::detail {

struct coro_promise_base;

enum class wait_phase : std::uint64_t { running = 0, waiting = 1, woken = 2, cancelled = 3 };

enum class cancel_mode : std::uint8_t { uncancellable, abandon, forward };

/// How a pending cancel reaches the current suspension.
struct wait_hook {
    cancel_mode mode = cancel_mode::abandon;
    /// forward only: passes the cancel request on (on the task's loop thread).
    void (*forward)(void* ctx) noexcept = nullptr;
    void* ctx = nullptr;
};

enum class cancel_result : std::uint8_t { none, forwarded, abandoned };

struct task_run_link : runnable {};
struct task_cancel_link : runnable {};

class task_base : public future_state_base, public task_run_link, public task_cancel_link {
public:
    explicit task_base(event_loop* loop) noexcept;
    ~task_base() override;

    // --- running -------------------------------------------------------------
    /// Binds the root coroutine; the task starts when schedule() is called.
    void bind_root(std::coroutine_handle<> root, coro_promise_base* promise) noexcept {
        root_ = root;
        resume_point_ = root;
        root_promise_ = promise;
    }
    /// Puts the task on its loop's ready queue (any thread).
    void schedule() noexcept;
    /// The root coroutine has finished; the task is complete. Drops the
    /// reference the running coroutine held.
    void on_root_finished() noexcept;

    // --- suspension protocol ---------------------------------------------------
    /// Starts a suspension at h. The hook's fields are passed one by one: the
    /// awaiter builds them just before the call, and storing them field by
    /// field avoids reading back a struct that was written piecewise.
    [[nodiscard]] std::uint64_t begin_wait(std::coroutine_handle<> h, cancel_mode mode,
                                           void (*forward)(void*) noexcept = nullptr,
                                           void* ctx = nullptr) noexcept;
    /// After registering with what it waits for: true to suspend, false to
    /// resume at once (a pending cancel was applied, see end_wait).
    [[nodiscard]] bool commit_wait(std::uint64_t token) noexcept;
    /// Completion side: wins the waiting -> woken race or does nothing.
    bool try_wake(std::uint64_t token) noexcept;
    /// The awaiter itself saw completion before suspending: waiting -> woken
    /// without scheduling. False if a concurrent waker or canceller won.
    [[nodiscard]] bool try_wake_inline(std::uint64_t token) noexcept;
    /// In await_resume. Returns the phase that ended the wait.
    wait_phase end_wait() noexcept;
    /// end_wait, then throws cancelled_error if the wait was cancelled or, when
    /// throw_pending, if a cancel request arrived after the wake.
    void end_wait_or_throw(bool throw_pending = true);

    // --- cancellation ----------------------------------------------------------
    bool cancel(std::string message) override;
    /// Consumes a pending cancel request; true if there was one.
    bool take_pending_cancel() noexcept {
        // acq_rel: pairs with the fetch_or in cancel().
        return (flags_.fetch_and(~cancel_pending, std::memory_order_acq_rel) & cancel_pending) != 0;
    }
    bool cancel_requested() const noexcept {
        // Acquire pairs with the fetch_or in cancel().
        return (flags_.load(std::memory_order_acquire) & cancel_pending) != 0;
    }
    cancelled_error make_cancelled_error();
    /// The message of the latest cancel() request (what forwarded cancels carry).
    std::string cancel_request_message() const;

    // --- identity ----------------------------------------------------------------
    std::string name() const;
    void set_name(std::string n);
    std::string describe() const override;
    coro_promise_base* root_promise() const noexcept { return root_promise_; }
    bool started() const noexcept { return started_; }

    // --- loop registry (all_tasks, shutdown) ----------------------------------
    task_base* reg_prev = nullptr;
    task_base* reg_next = nullptr;
    bool registered = false;

    /// Runs a step of the task (the ready queue's callback).
    static void run_step(runnable* r) noexcept;
    static void run_cancel_delivery(runnable* r) noexcept;
    /// Destroys the coroutine of a task that will never run again (its loop
    /// is being closed); the task ends cancelled.
    void abandon_frame() noexcept;

private:
    static constexpr std::uint32_t cancel_pending = 1;
    static constexpr std::uint32_t delivery_queued = 2;
    static constexpr std::uint64_t phase_mask = 3;

    cancel_result apply_cancel() noexcept;

    std::coroutine_handle<> root_;
    std::coroutine_handle<> resume_point_;
    coro_promise_base* root_promise_ = nullptr;
    std::atomic<std::uint64_t> wait_word_{0};
    std::atomic<std::uint32_t> flags_{0};
    bool started_ = false;
    wait_hook hook_{};
    std::uint64_t number_ = 0;  // the default name is "Task-<number_>"
};

template <class T>
using task_state = result_holder<T, task_base>;

/// The task running on this thread, or null.
task_base* current_task() noexcept;
/// As current_task(), but throws weft::error naming `what` outside a task.
task_base& require_current_task(const char* what);

} // namespace weft::detail
