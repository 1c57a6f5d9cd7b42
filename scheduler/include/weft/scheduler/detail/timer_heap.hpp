// A per-loop 4-ary min-heap of timers: O(log n) insert, pop and remove, and
// O(1) insert when deadlines arrive in increasing order (the common case of
// many equal sleeps). Entries carry their deadline inline so that sifting
// touches only the heap array, not the nodes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace weft::detail {

/// A timer registered with one event loop. Lives wherever its owner puts it
/// (a callback node, a sleeping coroutine's frame); the heap only points to it.
/// Touched only by the thread running the loop that owns the heap.
struct timer_node {
    static constexpr std::size_t not_queued = static_cast<std::size_t>(-1);
    std::chrono::steady_clock::time_point when{};
    std::size_t heap_index = not_queued;
    /// Called by the loop once the deadline has passed, after the node left the heap.
    void (*fire)(timer_node*) noexcept = nullptr;
    /// timer_queue's in-order lane (see timer_queue.hpp).
    timer_node* lane_prev = nullptr;
    timer_node* lane_next = nullptr;
    std::uint64_t lane_seq = 0;
    bool in_lane = false;

    bool queued() const noexcept { return heap_index != not_queued || in_lane; }
};

class timer_heap {
public:
    bool empty() const noexcept { return slots_.empty(); }
    std::size_t size() const noexcept { return slots_.size(); }
    timer_node* top() const noexcept { return slots_.front().node; }
    std::chrono::steady_clock::time_point next_deadline() const noexcept {
        return slots_.front().node->when;
    }

    void push(timer_node* n);
    timer_node* pop() noexcept;
    /// Removes n, which must be queued in this heap.
    void remove(timer_node* n) noexcept;
    /// Drops every node without firing it (loop close).
    void clear() noexcept;

private:
    struct slot {
        std::int64_t when;  // deadline, ns since the clock's epoch
        std::uint64_t seq;  // insertion order: equal deadlines fire FIFO
        timer_node* node;
    };
    static bool before(const slot& a, const slot& b) noexcept {
        return a.when < b.when || (a.when == b.when && a.seq < b.seq);
    }
    void place(std::size_t i, const slot& s) noexcept {
        slots_[i] = s;
        s.node->heap_index = i;
    }
    void sift_up(std::size_t i, slot s) noexcept;
    void sift_down(std::size_t i, slot s) noexcept;

    std::vector<slot> slots_;
    std::uint64_t next_seq_ = 0;
};

} // namespace weft::detail
