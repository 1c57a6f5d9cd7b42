#include <weft/scheduler/detail/await_future.hpp>

namespace weft::detail {

void future_wait::notify(waiter_node* w) noexcept {
    auto* n = static_cast<node_t*>(w);
    n->task->try_wake(n->token);
}

void future_wait::forward_cancel(void* ctx) noexcept {
    auto* self = static_cast<future_wait*>(ctx);
    try {
        self->fut_->cancel(self->node_.task->cancel_request_message());
    } catch (...) {
        // cancel() of a state only allocates for the message; nothing to lose.
    }
}

bool future_wait::await_suspend(std::coroutine_handle<> h) {
    task_base& t = require_current_task("co_await on a future or task");
    if (&t == fut_) throw error("a task cannot await itself");
    node_.task = &t;
    node_.notify = &notify;
    node_.token = t.begin_wait(h, mode_, mode_ == cancel_mode::forward ? &forward_cancel : nullptr, this);
    suspended_ = true;
    if (!fut_->add_waiter(&node_)) {
        // Completed between await_ready and now (or before: chaos mode).
        if (!t.try_wake_inline(node_.token)) return true;  // a waker scheduled us
        if (chaos_active() && chaos_roll()) {
            t.schedule_yield();  // chaos: go round the loop instead
            return true;
        }
        return false;
    }
    return t.commit_wait(node_.token);
}

void future_wait::finish() {
    if (!suspended_) return;
    suspended_ = false;
    wait_phase p = node_.task->end_wait();
    if (p == wait_phase::cancelled) {
        fut_->remove_waiter(&node_);
        throw node_.task->make_cancelled_error();
    }
    // Woken, but cancelled before it could run: as asyncio's _must_cancel,
    // the cancellation is thrown here (the awaited state keeps its result).
    if (mode_ != cancel_mode::uncancellable && node_.task->take_pending_cancel())
        throw node_.task->make_cancelled_error();
}

} // namespace weft::detail
