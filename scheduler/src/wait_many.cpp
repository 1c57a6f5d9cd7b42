#include <weft/scheduler/detail/wait_many.hpp>
#include <weft/scheduler/event_loop.hpp>

namespace weft::detail {

wait_many::wait_many(std::span<future_state_base* const> futs, wake_rule rule, cancel_mode mode,
                     std::optional<std::chrono::steady_clock::time_point> deadline)
    : futs_(futs), rule_(rule), mode_(mode), has_deadline_(deadline.has_value()),
      remaining_(futs.size()) {
    if (deadline) when = *deadline;
    fire = &on_timer;
    static_assert(std::is_trivially_destructible_v<node_t>,
                  "the in-place nodes are never destroyed explicitly");
    if (futs.size() <= inline_count) {
        for (std::size_t i = 0; i < futs.size(); ++i)
            ::new (static_cast<void*>(inline_nodes_ + i * sizeof(node_t))) node_t();
        nodes_ = std::launder(reinterpret_cast<node_t*>(inline_nodes_));
    } else {
        heap_nodes_ = std::make_unique<node_t[]>(futs.size());
        nodes_ = heap_nodes_.get();
    }
    for (std::size_t i = 0; i < futs.size(); ++i) {
        nodes_[i].owner = this;
        nodes_[i].index = i;
        nodes_[i].notify = &notify;
    }
}

wait_many::~wait_many() {
    unregister_all();
    if (queued()) loop_->remove_timer(this);
}

void wait_many::unregister_all() noexcept {
    // `linked` is written by completers under each future's lock, possibly on
    // other threads: only remove_waiter (which takes the lock) may read it.
    for (std::size_t i = 0; i < registered_; ++i) futs_[i]->remove_waiter(&nodes_[i]);
    registered_ = 0;
}

bool wait_many::await_ready() const noexcept {
    std::size_t done = 0;
    for (future_state_base* f : futs_) {
        status s = f->state();
        if (s == status::pending) continue;
        ++done;
        if (rule_ == wake_rule::first_completed) return true;
        if (rule_ == wake_rule::first_failure && s != status::value) return false;  // record in suspend
        if (rule_ == wake_rule::first_exception && s == status::exception) return false;
    }
    return done == futs_.size();
}

bool wait_many::account(std::size_t i) noexcept {
    status s = futs_[i]->state();
    bool failed = (rule_ == wake_rule::first_failure && s != status::value) ||
                  (rule_ == wake_rule::first_exception && s == status::exception);
    if (failed) {
        std::size_t expected = npos;
        // Release pairs with the acquire load in first_failed().
        first_failed_.compare_exchange_strong(expected, i, std::memory_order_release,
                                              std::memory_order_relaxed);
    }
    // acq_rel: the last decrement sees every other future's completion.
    bool last = remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1;
    // After a forwarded cancel, only the last completion wakes the task.
    // Acquire pairs with the release store in forward_cancel().
    if (forwarded_.load(std::memory_order_acquire)) return last;
    return last || failed || rule_ == wake_rule::first_completed;
}

void wait_many::notify(waiter_node* w) noexcept {
    auto* n = static_cast<node_t*>(w);
    wait_many* self = n->owner;
    if (self->account(n->index) && self->claim_trigger()) self->task_->try_wake(self->token_);
}

void wait_many::on_timer(timer_node* t) noexcept {
    auto* self = static_cast<wait_many*>(t);
    if (self->claim_trigger()) {
        self->timed_out_ = true;
        self->task_->try_wake(self->token_);
    }
}

void wait_many::forward_cancel(void* ctx) noexcept {
    auto* self = static_cast<wait_many*>(ctx);
    // Release: the notifies of the futures cancelled below see it.
    self->forwarded_.store(true, std::memory_order_release);
    std::string message;
    try {
        message = self->task_->cancel_request_message();
    } catch (...) {
    }
    for (future_state_base* f : self->futs_) {
        if (f->done()) continue;
        try {
            f->cancel(message);
        } catch (...) {
        }
    }
}

bool wait_many::await_suspend(std::coroutine_handle<> h) {
    task_ = &require_current_task("waiting on several futures");
    loop_ = running_loop();
    // loop_bound with a deadline: the timer belongs to this loop, so the task
    // resumes here and removes it on the thread that owns it.
    token_ = task_->begin_wait(h, mode_, mode_ == cancel_mode::forward ? &forward_cancel : nullptr,
                               this, has_deadline_);
    suspended_ = true;
    bool satisfied = futs_.empty();
    for (std::size_t i = 0; i < futs_.size() && !satisfied; ++i) {
        if (futs_[i] == task_) {
            unregister_all();
            task_->end_wait();
            suspended_ = false;
            throw error("a task cannot wait for itself");
        }
        registered_ = i + 1;
        if (!futs_[i]->add_waiter(&nodes_[i])) satisfied = account(i);
    }
    if (satisfied) {
        if (claim_trigger() && task_->try_wake_inline(token_)) return false;
        // Another party (a failing child's notify, the timer) claimed the
        // wake. Its try_wake either marked this preparing suspension
        // (commit_wait then resumes at once) or has yet to run (commit_wait
        // publishes `waiting` and that try_wake schedules the task).
        return task_->commit_wait(token_);
    }
    if (has_deadline_) loop_->add_timer(this);
    return task_->commit_wait(token_);
}

void wait_many::await_resume() {
    if (!suspended_) return;
    suspended_ = false;
    wait_phase p = task_->end_wait();
    unregister_all();
    if (queued()) loop_->remove_timer(this);
    if (p == wait_phase::cancelled) throw task_->make_cancelled_error();
    if (mode_ != cancel_mode::uncancellable && task_->take_pending_cancel()) {
        // Cancelled after the wake, before running: as asyncio's _must_cancel.
        if (mode_ == cancel_mode::forward) forward_cancel(this);
        throw task_->make_cancelled_error();
    }
}

} // namespace weft::detail
