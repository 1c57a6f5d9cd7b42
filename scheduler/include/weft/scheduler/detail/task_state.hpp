// The state of a scheduled coroutine: a future plus what it takes to run,
// suspend, wake and cancel the coroutine.
//
// Suspension protocol (DESIGN.md, "Cancellation protocol"). Every suspension
// of a task publishes a new wait token in `wait_word_`:
//
//     wait_word_ = seq << 7 | loop_bound << 6 | mode << 4 | phase
//
// Phases: running; preparing, prep_woken, prep_cancel (the awaiter is still
// registering, in await_suspend); waiting (committed: the frame belongs to
// whoever wins the next CAS); woken, cancelled (the CAS winners); forwarding,
// fwd_woken (a canceller is passing the request on to what is awaited).
//
// begin_wait() publishes `preparing` under a fresh seq. While preparing, the
// frame still runs on its thread, so nobody else may schedule it: a waker
// only marks prep_woken and a canceller only marks prep_cancel, and
// commit_wait() turns those marks into "resume at once" or applies the
// cancel itself. Once commit_wait() published `waiting`, the awaiter touches
// nothing more: a waker's CAS waiting -> woken schedules the task; a
// canceller's CAS waiting -> cancelled (mode abandon) schedules it too, and
// the awaiter cleans up in await_resume; mode forward CASes waiting ->
// forwarding, which pins the frame while the request is passed on to the
// awaited task or future, then back to waiting (or, if a wake came
// meanwhile, fwd_woken -> woken and schedule). Exactly one party schedules
// each suspension; a stale token (another seq) never matches.
//
// cancel() may be called from any thread and acts at once (no delivery
// through a loop): the task may run on any worker. A request that finds the
// task running or already woken stays pending (CANCEL_PENDING) and is
// honoured at its next suspension (commit_wait) or when it resumes
// (end_wait with throw_pending), as asyncio's _must_cancel is. The flag and
// the word form a Dekker pair (seq_cst on both sides): either the canceller
// sees the suspension or commit_wait sees the flag.
//
// A loop_bound suspension (one that holds a timer of the loop it suspended
// on) is woken onto that loop's own FIFO, never stolen, so its await_resume
// removes the timer on the thread that owns it.
#pragma once

#include <weft/scheduler/detail/future_state.hpp>
#include <weft/scheduler/detail/runnable.hpp>

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <string>

namespace weft::detail {

struct coro_promise_base;

enum class wait_phase : std::uint64_t {
    running = 0,
    preparing = 1,
    prep_woken = 2,
    prep_cancel = 3,
    waiting = 4,
    woken = 5,
    cancelled = 6,
    forwarding = 7,
    fwd_woken = 8,
};

enum class cancel_mode : std::uint8_t { uncancellable, abandon, forward };

/// forward mode: how a cancel request is passed on to what is awaited. Read
/// by the canceller (any thread) while the word is `forwarding`.
struct wait_hook {
    void (*forward)(void* ctx) noexcept = nullptr;
    void* ctx = nullptr;
};

struct task_run_link : runnable {};

class task_base : public future_state_base, public task_run_link {
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
    /// Makes the task ready (any thread). loop_bound: onto the FIFO of the
    /// loop it last ran on, never stolen.
    void schedule(bool loop_bound = false) noexcept;
    /// Makes the task ready behind the other ready work (sleep(0)).
    void schedule_yield() noexcept;
    /// Whether other workers may run the task (create_task's stealable).
    void set_stealable(bool on) noexcept { stealable_ = on; }
    bool stealable() const noexcept { return stealable_; }
    /// The loop running (or that last ran) the task; the home loop before
    /// the first step.
    event_loop* current_loop() const noexcept {
        // Relaxed: written by the thread running the task at each step; a
        // waker reads it after the acquire of the wait word, which orders it.
        return cur_loop_.load(std::memory_order_relaxed);
    }
    /// The root coroutine has finished; the task is complete. Drops the
    /// reference the running coroutine held.
    void on_root_finished() noexcept;

    // --- suspension protocol ---------------------------------------------------
    /// Starts a suspension at h. The hook's fields are passed one by one: the
    /// awaiter builds them just before the call, and storing them field by
    /// field avoids reading back a struct that was written piecewise.
    [[nodiscard]] std::uint64_t begin_wait(std::coroutine_handle<> h, cancel_mode mode,
                                           void (*forward)(void*) noexcept = nullptr,
                                           void* ctx = nullptr,
                                           bool loop_bound = false) noexcept;
    /// After registering with what it waits for: true to suspend (the
    /// awaiter must then touch nothing of the task or the frame), false to
    /// resume at once (woken meanwhile, or a pending cancel was applied: see
    /// end_wait).
    [[nodiscard]] bool commit_wait(std::uint64_t token) noexcept;
    /// Completion side: wakes the suspension `token` once; false if it was
    /// already woken or cancelled, or is stale.
    bool try_wake(std::uint64_t token) noexcept;
    /// The awaiter itself saw completion before commit_wait: the suspension
    /// ends without scheduling. Always true before commit_wait (nobody else
    /// can end a preparing suspension).
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
        // seq_cst: with the seq_cst store of begin_wait, the Dekker pair
        // against cancel()'s fetch_or and load of the word.
        return (flags_.load(std::memory_order_seq_cst) & cancel_pending) != 0;
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
    /// Destroys the coroutine of a task that will never run again (its loop
    /// is being closed); the task ends cancelled.
    void abandon_frame() noexcept;

private:
    static constexpr std::uint32_t cancel_pending = 1;

    /// A canceller's CAS on a committed suspension (word w, phase waiting).
    void cancel_waiting(std::uint64_t w) noexcept;
    /// Passes the request on while the word is `forwarding` (set from
    /// `from`), then restores `waiting` or, if woken meanwhile, schedules.
    /// Returns true if the task was woken meanwhile.
    bool forward_and_restore(std::uint64_t from) noexcept;

    std::coroutine_handle<> root_;
    std::coroutine_handle<> resume_point_;
    coro_promise_base* root_promise_ = nullptr;
    std::atomic<std::uint64_t> wait_word_{0};
    std::atomic<std::uint32_t> flags_{0};
    bool started_ = false;
    bool stealable_ = true;
    std::atomic<event_loop*> cur_loop_;
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
