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

constexpr std::uint64_t phase_of(std::uint64_t w) noexcept { return w & 3; }
constexpr std::uint64_t with_phase(std::uint64_t w, wait_phase p) noexcept {
    return (w & ~std::uint64_t{3}) | static_cast<std::uint64_t>(p);
}
constexpr std::uint64_t waiting_v = static_cast<std::uint64_t>(wait_phase::waiting);
} // namespace

task_base* current_task() noexcept { return tls_current_task; }

task_base& require_current_task(const char* what) {
    if (!tls_current_task)
        throw error(std::string(what) + ": must be awaited inside a weft task (create_task, run, "
                                        "run_until_complete)");
    return *tls_current_task;
}

task_base::task_base(event_loop* loop) noexcept : future_state_base(loop) {
    task_run_link::run = &run_step;
    task_cancel_link::run = &run_cancel_delivery;
    // The default name "Task-N" is built when first asked for: spawning
    // stays free of string formatting.
    number_ = next_task_number.fetch_add(1, std::memory_order_relaxed);
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

void task_base::schedule() noexcept { loop_->schedule(static_cast<task_run_link*>(this)); }

void task_base::run_step(runnable* r) noexcept {
    auto* t = static_cast<task_base*>(static_cast<task_run_link*>(r));
    task_base* prev = tls_current_task;
    tls_current_task = t;
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
                                    void (*forward)(void*) noexcept, void* ctx) noexcept {
    resume_point_ = h;
    hook_.mode = mode;
    hook_.forward = forward;
    hook_.ctx = ctx;
    std::uint64_t w = wait_word_.load(std::memory_order_relaxed);
    std::uint64_t token = (((w >> 2) + 1) << 2) | waiting_v;
    // Release pairs with the acquire side of the CAS in try_wake on a waker's
    // thread: the waker sees the registrations made before the token.
    // A cancel request racing with this suspension cannot be lost: cancel()
    // sets the flag and then posts a delivery to this loop, and the delivery
    // runs on this thread after the task suspended, so it reads this token in
    // program order. (A task that can move between threads needs a seq_cst
    // store here and a seq_cst load in commit_wait, a Dekker pair with
    // cancel()'s fetch_or.)
    wait_word_.store(token, std::memory_order_release);
    return token;
}

bool task_base::commit_wait(std::uint64_t token) noexcept {
    (void)token;
    if (!cancel_requested()) return true;
    switch (apply_cancel()) {
    case cancel_result::abandoned:
        return false;  // resume at once; end_wait sees the cancelled phase
    case cancel_result::forwarded:
    case cancel_result::none:
        return true;
    }
    return true;
}

bool task_base::try_wake(std::uint64_t token) noexcept {
    std::uint64_t expected = token;
    // acq_rel: the acquire side orders this waker after begin_wait's store of
    // the token; the release side publishes what the waker wrote (a result,
    // a fired timer) to end_wait's acquire load on the resuming thread.
    if (!wait_word_.compare_exchange_strong(expected, with_phase(token, wait_phase::woken),
                                            std::memory_order_acq_rel,
                                            std::memory_order_relaxed))
        return false;
    schedule();
    return true;
}

bool task_base::try_wake_inline(std::uint64_t token) noexcept {
    std::uint64_t expected = token;
    // Pairs as try_wake; the awaiter continues without being scheduled.
    return wait_word_.compare_exchange_strong(expected, with_phase(token, wait_phase::woken),
                                              std::memory_order_acq_rel,
                                              std::memory_order_relaxed);
}

wait_phase task_base::end_wait() noexcept {
    // Acquire pairs with the winning CAS in try_wake / apply_cancel.
    std::uint64_t w = wait_word_.load(std::memory_order_acquire);
    hook_ = wait_hook{};
    wait_word_.store(with_phase(w, wait_phase::running), std::memory_order_relaxed);
    return static_cast<wait_phase>(phase_of(w));
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
    // acq_rel: pairs with the fetch_and in take_pending_cancel() and
    // run_cancel_delivery() and the acquire load in cancel_requested(); the
    // delivery itself is ordered by the loop's queue (see begin_wait).
    std::uint32_t old =
        flags_.fetch_or(cancel_pending | delivery_queued, std::memory_order_acq_rel);
    if (!(old & delivery_queued)) {
        add_ref();  // held by the queued delivery, dropped by run_cancel_delivery
        loop_->schedule(static_cast<task_cancel_link*>(this));
    }
    return true;
}

void task_base::run_cancel_delivery(runnable* r) noexcept {
    auto* t = static_cast<task_base*>(static_cast<task_cancel_link*>(r));
    // Clear before applying: a cancel() racing with us queues a new delivery
    // rather than being absorbed by this one after it looked.
    // acq_rel: pairs with the fetch_or in cancel().
    t->flags_.fetch_and(~delivery_queued, std::memory_order_acq_rel);
    if (!t->done() && t->apply_cancel() == cancel_result::abandoned) t->schedule();
    t->release();
}

cancel_result task_base::apply_cancel() noexcept {
    // Acquire pairs with the winning CAS of try_wake (a waker on another
    // thread may have moved the token on); the token itself was stored by
    // this thread in begin_wait.
    std::uint64_t w = wait_word_.load(std::memory_order_acquire);
    if (phase_of(w) != waiting_v) return cancel_result::none;
    if (!cancel_requested()) return cancel_result::none;
    switch (hook_.mode) {
    case cancel_mode::uncancellable:
        return cancel_result::none;
    case cancel_mode::forward:
        take_pending_cancel();
        hook_.forward(hook_.ctx);
        return cancel_result::forwarded;
    case cancel_mode::abandon:
        // acq_rel: races with try_wake on the same token; exactly one wins.
        if (!wait_word_.compare_exchange_strong(w, with_phase(w, wait_phase::cancelled),
                                                std::memory_order_acq_rel,
                                                std::memory_order_relaxed))
            return cancel_result::none;
        take_pending_cancel();
        return cancel_result::abandoned;
    }
    return cancel_result::none;
}

void prepare_task(task_base* t, event_loop& loop, const task_options& opts) {
    (void)opts;
    loop.register_task(t);
    loop.schedule_soon(static_cast<task_run_link*>(t));
}

} // namespace weft::detail

namespace weft {

basic_task current_task() noexcept { return basic_task(detail::current_task()); }

std::vector<basic_task> all_tasks() {
    event_loop& loop = get_running_loop();
    std::vector<basic_task> out;
    for (detail::task_base* t : loop.pending_tasks_snapshot()) {
        out.emplace_back(t);
        t->release();  // the snapshot's reference
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
