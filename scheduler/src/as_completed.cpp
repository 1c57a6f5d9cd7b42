#include <weft/scheduler/as_completed.hpp>

namespace weft::detail {

completion_queue::completion_queue(std::vector<future_state_base*> states,
                                   std::optional<clock::time_point> deadline)
    : states_(std::move(states)), nodes_(states_.size()), deadline_(deadline) {
    fire = &on_timer;
    finished_.reserve(states_.size());
    for (std::size_t i = 0; i < states_.size(); ++i) {
        nodes_[i].owner = this;
        nodes_[i].index = i;
        nodes_[i].notify = &notify;
        if (!states_[i]->add_waiter(&nodes_[i])) {
            spin_guard g(lock_);
            finished_.push_back(i);
        }
    }
}

completion_queue::~completion_queue() {
    for (std::size_t i = 0; i < states_.size(); ++i) states_[i]->remove_waiter(&nodes_[i]);
    if (queued()) timer_loop_->remove_timer(this);
}

void completion_queue::notify(waiter_node* w) noexcept {
    auto* n = static_cast<node_t*>(w);
    completion_queue* q = n->owner;
    task_base* wake = nullptr;
    std::uint64_t token = 0;
    {
        spin_guard g(q->lock_);
        if (q->check_deadline_locked()) return;  // too late: no longer taken
        q->finished_.push_back(n->index);
        if (q->waiter_) {
            wake = std::exchange(q->waiter_, nullptr);
            token = q->token_;
        }
    }
    if (wake) wake->try_wake(token);
}

void completion_queue::on_timer(timer_node* t) noexcept {
    auto* q = static_cast<completion_queue*>(t);
    task_base* wake = nullptr;
    std::uint64_t token = 0;
    {
        spin_guard g(q->lock_);
        q->timed_out_ = true;
        if (q->waiter_) {
            wake = std::exchange(q->waiter_, nullptr);
            token = q->token_;
        }
    }
    if (wake) wake->try_wake(token);
}

bool completion_queue::check_deadline_locked() noexcept {
    if (!timed_out_ && deadline_ && clock::now() >= *deadline_) timed_out_ = true;
    return timed_out_;
}

std::optional<std::size_t> completion_queue::pop_ready_locked() noexcept {
    if (consumed_ < finished_.size()) return finished_[consumed_++];
    return std::nullopt;
}

bool completion_queue::next_awaiter::await_ready() const {
    spin_guard g(q->lock_);
    return q->consumed_ < q->finished_.size() || q->check_deadline_locked();
}

bool completion_queue::next_awaiter::await_suspend(std::coroutine_handle<> h) {
    task_base& t = require_current_task("as_completed");
    // With a deadline the timer is set on this loop for this suspension only
    // (loop_bound), so await_resume removes it on the thread that owns it.
    const bool timed = q->deadline_.has_value();
    std::uint64_t token = t.begin_wait(h, cancel_mode::abandon, nullptr, nullptr, timed);
    {
        spin_guard g(q->lock_);
        if (q->consumed_ < q->finished_.size() || q->check_deadline_locked()) {
            // Ready meanwhile: resume without suspending.
            q->waiter_ = nullptr;
            q->lock_.unlock();
            bool inline_ok = t.try_wake_inline(token);
            q->lock_.lock();
            return !inline_ok;
        }
        q->waiter_ = &t;
        q->token_ = token;
    }
    if (timed) {
        q->when = *q->deadline_;
        q->timer_loop_ = running_loop();
        q->timer_loop_->add_timer(q);
    }
    return t.commit_wait(token);
}

std::size_t completion_queue::next_awaiter::await_resume() {
    task_base& t = *current_task();
    if (q->queued()) q->timer_loop_->remove_timer(q);
    wait_phase p = t.end_wait();
    {
        spin_guard g(q->lock_);
        q->waiter_ = nullptr;
        if (auto i = q->pop_ready_locked()) {
            if (p != wait_phase::cancelled) return *i;
            --q->consumed_;  // not consumed: the awaiter was cancelled
        }
    }
    if (p == wait_phase::cancelled || t.take_pending_cancel()) throw t.make_cancelled_error();
    throw timeout_error("as_completed(): timed out");
}

} // namespace weft::detail
