#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/detail/task_state.hpp>
#include <weft/scheduler/event_loop.hpp>
#include <weft/scheduler/task.hpp>

#include "diagnostics.hpp"
#include <weft/scheduler/detail/config.hpp>

#include <ostream>

namespace weft::detail {

namespace {
thread_local task_base* tls_current_task = nullptr;
std::atomic<std::uint64_t> next_task_number{1};

/// Task numbers (the N of "Task-N") come from the global counter in blocks,
/// so that workers creating tasks at once do not contend on one cache line.
/// Numbers stay unique; across threads they are no longer in creation order.
std::uint64_t take_task_number() noexcept {
    constexpr std::uint64_t block = 256;
    thread_local std::uint64_t next = 0, end = 0;
    if (next == end) {
        // Relaxed: only uniqueness matters, which the RMW gives.
        next = next_task_number.fetch_add(block, std::memory_order_relaxed);
        end = next + block;
    }
    return next++;
}

constexpr std::uint64_t phase_bits = 0xf;
constexpr std::uint64_t mode_shift = 4;
constexpr std::uint64_t loop_bound_bit = std::uint64_t{1} << 6;
constexpr std::uint64_t seq_shift = 7;

constexpr wait_phase phase_of(std::uint64_t w) noexcept { return static_cast<wait_phase>(w & phase_bits); }
constexpr std::uint64_t with_phase(std::uint64_t w, wait_phase p) noexcept {
    return (w & ~phase_bits) | static_cast<std::uint64_t>(p);
}
constexpr cancel_mode mode_of(std::uint64_t w) noexcept {
    return static_cast<cancel_mode>((w >> mode_shift) & 3);
}
/// Same suspension (seq, mode and loop_bound), whatever the phase.
constexpr bool same_wait(std::uint64_t a, std::uint64_t b) noexcept {
    return (a & ~phase_bits) == (b & ~phase_bits);
}
} // namespace

task_base* current_task() noexcept { return tls_current_task; }

task_base& require_current_task(const char* what) {
    if (!tls_current_task)
        throw error(std::string(what) + ": must be awaited inside a weft task (create_task, run, "
                                        "run_until_complete)");
    return *tls_current_task;
}

task_base::task_base(event_loop* loop) noexcept : future_state_base(loop), cur_loop_(loop) {
    task_run_link::run = &run_step;
    // The default name "Task-N" is built when first asked for: spawning
    // stays free of string formatting.
    number_ = take_task_number();
}

task_base::~task_base() {
    WEFT_ASSERT(!root_, "a task state was destroyed while its coroutine still exists");
    report_if_unretrieved();  // here, while describe() still names the task
}

std::string task_base::name() const {
    {
        spin_guard g(lock_);
        if (extras_ && !extras_->name.empty()) return extras_->name;
    }
    return "Task-" + std::to_string(number_);
}

void task_base::set_name(std::string n) {
    spin_guard g(lock_);
    ensure_extras().name = std::move(n);
}

std::string task_base::describe() const { return "Task '" + name() + "'"; }

void task_base::schedule(bool loop_bound) noexcept {
    runnable* step = static_cast<task_run_link*>(this);
    if (!stealable_ || !loop_->has_workers()) {
        loop_->schedule(step);
        return;
    }
    if (loop_bound) {
        current_loop()->schedule(step);
        return;
    }
    loop_->schedule_stealable(step);
}

void task_base::schedule_yield() noexcept {
    // Behind the callbacks and steps already queued on the loop running the
    // task (asyncio's sleep(0): "let the loop run what is ready"), so a
    // yield after call_soon sees the callback run. Called by the task itself,
    // on that loop's thread.
    current_loop()->schedule(static_cast<task_run_link*>(this));
}

void task_base::run_step(runnable* r) noexcept {
    auto* t = static_cast<task_base*>(static_cast<task_run_link*>(r));
    task_base* prev = tls_current_task;
    tls_current_task = t;
    // Relaxed: see current_loop(); wakers read it after the wait word.
    t->cur_loop_.store(running_loop(), std::memory_order_relaxed);
    if (!t->started_) {
        t->started_ = true;
        if (t->take_pending_cancel()) {
            // Cancelled before its first step: the body never runs, as in
            // asyncio where CancelledError is thrown at the first line.
            t->abandon_frame();
            tls_current_task = prev;
            return;
        }
    }
    t->resume_point_.resume();
    // The task may be gone now (finished and released): do not touch t.
    tls_current_task = prev;
}

void task_base::abandon_frame() noexcept {
    std::coroutine_handle<> root = std::exchange(root_, {});
    resume_point_ = {};
    if (root) root.destroy();
    try_set_cancelled(make_cancelled_error().message());
    loop_->unregister_task(this);
    release();  // the reference the coroutine held
}

void task_base::on_root_finished() noexcept {
    root_ = {};
    resume_point_ = {};
    loop_->unregister_task(this);
    release();  // the reference the coroutine held
}

std::uint64_t task_base::begin_wait(std::coroutine_handle<> h, cancel_mode mode,
                                    void (*forward)(void*) noexcept, void* ctx,
                                    bool loop_bound) noexcept {
    resume_point_ = h;
    hook_.forward = forward;
    hook_.ctx = ctx;
    const std::uint64_t w = wait_word_.load(std::memory_order_relaxed);
    const std::uint64_t seq = (w >> seq_shift) + 1;
    const std::uint64_t token = (seq << seq_shift) | (loop_bound ? loop_bound_bit : 0) |
                                (static_cast<std::uint64_t>(mode) << mode_shift) |
                                static_cast<std::uint64_t>(wait_phase::preparing);
    // seq_cst: publishes the hook and resume point to whoever CASes this
    // token later (release side), and is the first half of the Dekker pair
    // with cancel() (see cancel_requested()).
    wait_word_.store(token, std::memory_order_seq_cst);
    return token;
}

bool task_base::commit_wait(std::uint64_t token) noexcept {
    const cancel_mode mode = mode_of(token);
    // Acquire pairs with the CAS of a waker (prep_woken) or a canceller
    // (prep_cancel) that marked this suspension while it was registering.
    std::uint64_t w = wait_word_.load(std::memory_order_acquire);
    for (;;) {
        const wait_phase p = phase_of(w);
        if (p == wait_phase::prep_woken) {
            // Woken while registering: resume at once. A pending cancel is
            // thrown by end_wait (throw_pending), as asyncio's _must_cancel.
            // Relaxed: nobody else acts on a prep_woken word; this thread
            // reads it back in end_wait.
            wait_word_.store(with_phase(w, wait_phase::woken), std::memory_order_relaxed);
            return false;
        }
        const bool cancel_now =
            mode != cancel_mode::uncancellable && (p == wait_phase::prep_cancel || cancel_requested());
        if (cancel_now && mode == cancel_mode::abandon) {
            // acq_rel: races with a waker's CAS (prep_woken); one wins.
            if (wait_word_.compare_exchange_weak(w, with_phase(w, wait_phase::cancelled),
                                                 std::memory_order_acq_rel,
                                                 std::memory_order_acquire)) {
                take_pending_cancel();
                return false;  // resume at once; end_wait sees `cancelled`
            }
            continue;
        }
        if (cancel_now && mode == cancel_mode::forward) {
            if (wait_word_.compare_exchange_weak(w, with_phase(w, wait_phase::forwarding),
                                                 std::memory_order_acq_rel,
                                                 std::memory_order_acquire)) {
                take_pending_cancel();
                // Suspend unless woken while forwarding (then resume now).
                return !forward_and_restore(with_phase(w, wait_phase::forwarding));
            }
            continue;
        }
        // acq_rel: the release publishes the registrations to the waker's or
        // canceller's acquiring CAS; the awaiter touches nothing after this
        // succeeds. (The Dekker pair with cancel() is begin_wait's seq_cst
        // store and cancel_requested() above, not this CAS: a canceller that
        // saw `preparing` marks prep_cancel, which makes this CAS fail.)
        if (wait_word_.compare_exchange_weak(w, with_phase(w, wait_phase::waiting),
                                             std::memory_order_acq_rel,
                                             std::memory_order_acquire))
            return true;
    }
}

bool task_base::forward_and_restore(std::uint64_t from) noexcept {
    // The word is `forwarding`: nobody can schedule the task, so the frame
    // and the hook stay valid while the request is passed on.
    hook_.forward(hook_.ctx);
    std::uint64_t expected = from;
    // acq_rel: pairs with a waker's CAS forwarding -> fwd_woken.
    if (wait_word_.compare_exchange_strong(expected, with_phase(from, wait_phase::waiting),
                                           std::memory_order_acq_rel,
                                           std::memory_order_acquire))
        return false;
    // A wake arrived while forwarding: it is ours to deliver.
    wait_word_.store(with_phase(from, wait_phase::woken), std::memory_order_release);
    return true;
}

bool task_base::try_wake(std::uint64_t token) noexcept {
    // Acquire pairs with begin_wait's store and commit_wait's CAS: the waker
    // sees the registration (and current_loop()) of this suspension.
    std::uint64_t w = wait_word_.load(std::memory_order_acquire);
    for (;;) {
        if (!same_wait(w, token)) return false;  // a later suspension
        wait_phase next;
        switch (phase_of(w)) {
        case wait_phase::preparing:
        case wait_phase::prep_cancel:
            next = wait_phase::prep_woken;  // commit_wait resumes at once
            break;
        case wait_phase::waiting:
            next = wait_phase::woken;
            break;
        case wait_phase::forwarding:
            next = wait_phase::fwd_woken;  // the forwarder schedules
            break;
        default:
            return false;  // already woken or cancelled
        }
        // acq_rel: the release side publishes what the waker wrote (a result,
        // a fired timer) to end_wait's acquire load on the resuming thread.
        if (wait_word_.compare_exchange_weak(w, with_phase(w, next), std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {
            if (next == wait_phase::woken) schedule((w & loop_bound_bit) != 0);
            return true;
        }
    }
}

bool task_base::try_wake_inline(std::uint64_t token) noexcept {
    // Acquire (and the CAS below, acq_rel) pair with a waker's or canceller's
    // CAS that marked the suspension while it was registering.
    std::uint64_t w = wait_word_.load(std::memory_order_acquire);
    for (;;) {
        if (!same_wait(w, token)) return false;
        const wait_phase p = phase_of(w);
        if (p != wait_phase::preparing && p != wait_phase::prep_cancel &&
            p != wait_phase::prep_woken)
            return false;
        // A prep_cancel mark stays as the pending flag, thrown by end_wait.
        if (wait_word_.compare_exchange_weak(w, with_phase(w, wait_phase::woken),
                                             std::memory_order_acq_rel,
                                             std::memory_order_acquire))
            return true;
    }
}

wait_phase task_base::end_wait() noexcept {
    // Acquire pairs with the winning CAS of the waker or canceller.
    std::uint64_t w = wait_word_.load(std::memory_order_acquire);
    hook_ = wait_hook{};
    wait_word_.store(with_phase(w, wait_phase::running), std::memory_order_relaxed);
    if (phase_of(w) != wait_phase::cancelled) return wait_phase::woken;
    // Requests made after this cancellation won but before the task ran are
    // covered by it: one cancelled_error, as asyncio's _must_cancel.
    take_pending_cancel();
    return wait_phase::cancelled;
}

void task_base::end_wait_or_throw(bool throw_pending) {
    wait_phase p = end_wait();
    if (p == wait_phase::cancelled) throw make_cancelled_error();
    if (throw_pending && take_pending_cancel()) throw make_cancelled_error();
}

std::string task_base::cancel_request_message() const {
    spin_guard g(lock_);
    return extras_ ? extras_->cancel_request : std::string();
}

cancelled_error task_base::make_cancelled_error() {
    spin_guard g(lock_);
    return cancelled_error(extras_ ? extras_->cancel_request : std::string());
}

bool task_base::cancel(std::string message) {
    if (done()) return false;
    {
        spin_guard g(lock_);
        if (!message.empty() || extras_) ensure_extras().cancel_request = std::move(message);
    }
    // seq_cst: the Dekker pair with begin_wait's store and commit_wait's
    // check (cancel_requested()); pairs with take_pending_cancel()'s fetch_and.
    flags_.fetch_or(cancel_pending, std::memory_order_seq_cst);
    std::uint64_t w = wait_word_.load(std::memory_order_seq_cst);
    for (;;) {
        switch (phase_of(w)) {
        case wait_phase::preparing:
            // Registering: leave a mark for commit_wait, which applies it.
            if (wait_word_.compare_exchange_weak(w, with_phase(w, wait_phase::prep_cancel),
                                                 std::memory_order_acq_rel,
                                                 std::memory_order_acquire))
                return true;
            continue;
        case wait_phase::waiting:
            cancel_waiting(w);
            return true;
        default:
            // Running, woken, or being cancelled already: the pending flag is
            // honoured at the next suspension or when the task resumes.
            return true;
        }
    }
}

void task_base::cancel_waiting(std::uint64_t w) noexcept {
    switch (mode_of(w)) {
    case cancel_mode::uncancellable:
        return;  // stays pending for a later suspension
    case cancel_mode::abandon:
        // acq_rel: races with try_wake on the same token; exactly one wins.
        if (wait_word_.compare_exchange_strong(w, with_phase(w, wait_phase::cancelled),
                                               std::memory_order_acq_rel,
                                               std::memory_order_relaxed)) {
            take_pending_cancel();
            schedule((w & loop_bound_bit) != 0);
        }
        return;
    case cancel_mode::forward:
        if (wait_word_.compare_exchange_strong(w, with_phase(w, wait_phase::forwarding),
                                               std::memory_order_acq_rel,
                                               std::memory_order_relaxed)) {
            take_pending_cancel();
            if (forward_and_restore(with_phase(w, wait_phase::forwarding)))
                schedule((w & loop_bound_bit) != 0);
        }
        return;
    }
}

void prepare_task(task_base* t, event_loop& loop, const task_options& opts) {
    t->set_stealable(opts.stealable);
    loop.register_task(t);
    if (opts.stealable && loop.has_workers())
        loop.schedule_stealable(static_cast<task_run_link*>(t));
    else
        loop.schedule_soon(static_cast<task_run_link*>(t));
}


} // namespace weft::detail

namespace weft {

basic_task current_task() noexcept { return basic_task(detail::current_task()); }

std::vector<basic_task> all_tasks() {
    // Within a runtime the workers share their tasks (a task may run on any
    // of them), so "the loop's tasks" are those of every worker.
    std::vector<basic_task> out;
    for (event_loop* loop : get_running_loop().runtime_loops()) {
        for (detail::task_base* t : loop->pending_tasks_snapshot()) {
            out.emplace_back(t);
            t->release();  // the snapshot's reference
        }
    }
    return out;
}

std::vector<stack_frame> basic_task::get_stack() const {
    std::vector<stack_frame> out;
    if (!s_ || s_->done()) return out;
    for (detail::coro_promise_base* p = s_->root_promise(); p; p = p->child)
        out.push_back(stack_frame{p->where.function, p->where.file, p->where.line});
    return out;
}

void basic_task::print_stack(std::ostream& os) const {
    auto frames = get_stack();
    os << "Stack for " << s_->describe() << " (most recent call last):\n";
    if (frames.empty()) os << "  (no frames: the task is done)\n";
    for (const auto& f : frames)
        os << "  File \"" << f.file << "\", line " << f.line << ", in " << f.function << "\n";
}

} // namespace weft
