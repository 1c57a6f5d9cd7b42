// The timers of one event loop: a FIFO lane for timers that arrive in
// deadline order plus a timer_heap for the others.
//
// Most timers arrive in deadline order: many tasks sleeping or timing out
// with the same duration. Those go to the back of an intrusive list in O(1)
// and leave from its front in O(1); only a timer earlier than the lane's last
// one goes to the heap. The next timer is the earlier of the lane's front and
// the heap's top, ties broken by insertion order, so the whole queue behaves
// as one priority queue ordered by (deadline, insertion).
#pragma once

#include <weft/scheduler/detail/timer_heap.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace weft::detail {

class timer_queue {
public:
    bool empty() const noexcept { return lane_head_ == nullptr && heap_.empty(); }
    std::size_t size() const noexcept { return lane_size_ + heap_.size(); }
    timer_node* top() const noexcept;
    std::chrono::steady_clock::time_point next_deadline() const noexcept { return top()->when; }

    void push(timer_node* n);
    timer_node* pop() noexcept;
    /// Removes n, which must be queued here.
    void remove(timer_node* n) noexcept;
    void clear() noexcept;

private:
    bool lane_first() const noexcept;

    timer_node* lane_head_ = nullptr;
    timer_node* lane_tail_ = nullptr;
    std::size_t lane_size_ = 0;
    std::uint64_t next_seq_ = 0;
    timer_heap heap_;  // its own sequence numbers order ties inside the heap
};

} // namespace weft::detail
