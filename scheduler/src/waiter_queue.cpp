#include <weft/scheduler/detail/waiter_queue.hpp>

namespace weft::detail {

void waiter_queue::push_back_locked(wait_node* w) noexcept {
    w->prev = tail_;
    w->next = nullptr;
    if (tail_)
        tail_->next = w;
    else
        head_ = w;
    tail_ = w;
    w->linked = true;
    ++size_;
}

void waiter_queue::unlink_locked(wait_node* w) noexcept {
    if (w->prev)
        w->prev->next = w->next;
    else
        head_ = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        tail_ = w->prev;
    w->prev = w->next = nullptr;
    w->linked = false;
    --size_;
}

bool waiter_queue::wake_locked(wait_node* w, verdict v) noexcept {
    unlink_locked(w);
    // The verdict is written before the wake: try_wake's release CAS
    // publishes it to end_wait's acquire load on the resuming thread.
    w->result = v;
    if (w->task->try_wake(w->token)) return true;
    // A cancel won: the task resumes cancelled and will find its node
    // unlinked with no verdict; what it was to get stays with the caller.
    w->result = verdict::none;
    return false;
}

std::size_t waiter_queue::wake_all_locked(verdict v) noexcept {
    std::size_t woken = 0;
    while (head_)
        if (wake_locked(head_, v)) ++woken;
    return woken;
}

parked_wait::~parked_wait() {
    if (!q_) return;
    spin_guard g(q_->lock());
    leave_locked();
}

task_base& parked_wait::current(const char* what) { return require_current_task(what); }

void parked_wait::suspend_locked(waiter_queue& q, task_base& t, std::coroutine_handle<> h,
                                 std::size_t needed) noexcept {
    q_ = &q;
    node_.task = &t;
    node_.needed = needed;
    node_.result = verdict::none;
    // Abandon: a cancel ends the wait at once (the awaiter then leaves the
    // queue); nothing is forwarded anywhere.
    node_.token = t.begin_wait(h, cancel_mode::abandon);
    q.push_back_locked(&node_);
}

verdict parked_wait::resume() noexcept {
    const wait_phase p = node_.task->end_wait();
    if (p == wait_phase::cancelled) return verdict::none;
    q_ = nullptr;
    // Woken: the waker unlinked the node and wrote the verdict before its
    // CAS, which end_wait's acquire load paired with.
    return node_.result;
}

} // namespace weft::detail
