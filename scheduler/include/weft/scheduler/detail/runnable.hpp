// The unit of work in an event loop's ready queue.
#pragma once

#include <cstddef>

namespace weft::detail {

/// An intrusive node of a ready queue. Whatever sits in a queue (a task step,
/// a callback, a cancellation delivery) embeds one and says how to run it.
/// A node is in at most one queue at a time; its owner guarantees that.
struct runnable {
    runnable* next_runnable = nullptr;
    void (*run)(runnable*) noexcept = nullptr;
};

/// A FIFO of runnables owned by one thread.
class runnable_fifo {
public:
    bool empty() const noexcept { return head_ == nullptr; }
    std::size_t size() const noexcept { return size_; }
    void push(runnable* r) noexcept { append_chain(r, r, 1); }
    runnable* pop() noexcept {
        runnable* r = head_;
        if (r) {
            head_ = r->next_runnable;
            if (!head_) tail_ = nullptr;
            r->next_runnable = nullptr;
            --size_;
        }
        return r;
    }
    /// Unlinks every node; returns the first (the rest follow by next_runnable).
    runnable* take_all() noexcept {
        runnable* h = head_;
        head_ = tail_ = nullptr;
        size_ = 0;
        return h;
    }
    /// Appends a linked chain [head .. tail] of `count` nodes in O(1).
    void append_chain(runnable* head, runnable* tail, std::size_t count) noexcept {
        if (!head) return;
        tail->next_runnable = nullptr;
        if (tail_)
            tail_->next_runnable = head;
        else
            head_ = head;
        tail_ = tail;
        size_ += count;
    }
    /// The last node (null when empty).
    runnable* back() const noexcept { return tail_; }
    /// Moves every node of other to the back of this queue.
    void splice(runnable_fifo& other) noexcept {
        if (other.empty()) return;
        if (tail_)
            tail_->next_runnable = other.head_;
        else
            head_ = other.head_;
        tail_ = other.tail_;
        size_ += other.size_;
        other.head_ = other.tail_ = nullptr;
        other.size_ = 0;
    }

private:
    runnable* head_ = nullptr;
    runnable* tail_ = nullptr;
    std::size_t size_ = 0;
};

} // namespace weft::detail
