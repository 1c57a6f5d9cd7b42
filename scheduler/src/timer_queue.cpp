#include <weft/scheduler/detail/timer_queue.hpp>

namespace weft::detail {

// Ties between the lane and the heap are broken by a shared insertion
// number: lane nodes carry lane_seq; heap nodes carry theirs in lane_seq too
// (the heap orders its own ties by its internal sequence, which follows the
// same insertion order).

bool timer_queue::lane_first() const noexcept {
    if (!lane_head_) return false;
    if (heap_.empty()) return true;
    const timer_node* h = heap_.top();
    if (lane_head_->when != h->when) return lane_head_->when < h->when;
    return lane_head_->lane_seq < h->lane_seq;
}

timer_node* timer_queue::top() const noexcept { return lane_first() ? lane_head_ : heap_.top(); }

void timer_queue::push(timer_node* n) {
    n->lane_seq = next_seq_++;
    if (!lane_tail_ || lane_tail_->when <= n->when) {
        n->lane_prev = lane_tail_;
        n->lane_next = nullptr;
        if (lane_tail_)
            lane_tail_->lane_next = n;
        else
            lane_head_ = n;
        lane_tail_ = n;
        n->in_lane = true;
        ++lane_size_;
        return;
    }
    heap_.push(n);
}

void timer_queue::remove(timer_node* n) noexcept {
    if (!n->in_lane) {
        heap_.remove(n);
        return;
    }
    if (n->lane_prev)
        n->lane_prev->lane_next = n->lane_next;
    else
        lane_head_ = n->lane_next;
    if (n->lane_next)
        n->lane_next->lane_prev = n->lane_prev;
    else
        lane_tail_ = n->lane_prev;
    n->lane_prev = n->lane_next = nullptr;
    n->in_lane = false;
    --lane_size_;
}

timer_node* timer_queue::pop() noexcept {
    if (!lane_first()) return heap_.pop();
    timer_node* n = lane_head_;
    remove(n);
    return n;
}

void timer_queue::clear() noexcept {
    for (timer_node* n = lane_head_; n;) {
        timer_node* next = n->lane_next;
        n->lane_prev = n->lane_next = nullptr;
        n->in_lane = false;
        n = next;
    }
    lane_head_ = lane_tail_ = nullptr;
    lane_size_ = 0;
    heap_.clear();
}

} // namespace weft::detail
