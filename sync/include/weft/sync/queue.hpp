// weft::queue<T>, weft::priority_queue<T, Compare>, weft::lifo_queue<T>:
// asyncio.Queue, PriorityQueue and LifoQueue, safe across workers.
//
//   weft::queue<int> q(10);           // maxsize 10; 0 (default) = unbounded
//   co_await q.put(1);                 // waits while full
//   int v = co_await q.get();          // waits while empty
//   q.task_done();  co_await q.join(); // as asyncio
//   q.shutdown();                      // put -> queue_shut_down; get drains, then throws
//
// Items are counted by a FIFO-fair semaphore (and free slots by another when
// bounded): a get() that returns owns the item its permit stands for, and a
// getter (or putter) cancelled while waiting takes no permit, so it never
// consumes an item (or a slot): the next waiter gets it. Waiters are served
// in arrival order. A woken waiter resumes on the worker that made the item
// (or slot) available, or on one that steals it. Move-only T works.
#pragma once

#include <weft/errors.hpp>
#include <weft/sync/detail/batch_semaphore.hpp>
#include <weft/sync/event.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace weft {

namespace detail {

/// First in, first out (asyncio.Queue).
template <class T>
struct fifo_buffer {
    std::deque<T> items;
    void push(T v) { items.push_back(std::move(v)); }
    T pop() {
        T v = std::move(items.front());
        items.pop_front();
        return v;
    }
    std::size_t size() const noexcept { return items.size(); }
    void clear() noexcept { items.clear(); }
};

/// Last in, first out (asyncio.LifoQueue).
template <class T>
struct lifo_buffer {
    std::vector<T> items;
    void push(T v) { items.push_back(std::move(v)); }
    T pop() {
        T v = std::move(items.back());
        items.pop_back();
        return v;
    }
    std::size_t size() const noexcept { return items.size(); }
    void clear() noexcept { items.clear(); }
};

/// Smallest first by Compare (asyncio.PriorityQueue with std::less); a heap
/// kept by hand so that move-only items can be moved out of it.
template <class T, class Compare>
struct heap_buffer {
    std::vector<T> items;
    Compare comp;
    // std::*_heap keep the largest first; reverse the comparison.
    auto greater() const {
        return [this](const T& a, const T& b) { return comp(b, a); };
    }
    void push(T v) {
        items.push_back(std::move(v));
        std::push_heap(items.begin(), items.end(), greater());
    }
    T pop() {
        std::pop_heap(items.begin(), items.end(), greater());
        T v = std::move(items.back());
        items.pop_back();
        return v;
    }
    std::size_t size() const noexcept { return items.size(); }
    void clear() noexcept { items.clear(); }
};

} // namespace detail

template <class T, class Buffer>
class basic_queue {
public:
    /// maxsize <= 0: unbounded.
    explicit basic_queue(std::int64_t maxsize = 0)
        : maxsize_(maxsize > 0 ? static_cast<std::size_t>(maxsize) : 0), items_(0), slots_(maxsize_) {
        join_done_.set();  // nothing unfinished yet
    }
    basic_queue(const basic_queue&) = delete;
    basic_queue& operator=(const basic_queue&) = delete;

    struct put_awaiter {
        basic_queue& q;
        T value;
        detail::batch_semaphore::acquire_awaiter a;
        bool waited = false;
        bool await_ready() noexcept { return q.maxsize_ == 0 || a.await_ready(); }
        bool await_suspend(std::coroutine_handle<> h) {
            waited = true;
            return a.await_suspend(h);
        }
        void await_resume() {
            if (waited && a.await_resume() == detail::verdict::closed)
                throw queue_shut_down("queue::put(): the queue is shut down");
            q.push_with_slot(std::move(value));
        }
    };
    struct get_awaiter {
        basic_queue& q;
        detail::batch_semaphore::acquire_awaiter a;
        bool await_ready() noexcept { return a.await_ready(); }
        bool await_suspend(std::coroutine_handle<> h) { return a.await_suspend(h); }
        T await_resume() {
            if (a.await_resume() == detail::verdict::closed)
                throw queue_shut_down("queue::get(): the queue is shut down and empty");
            return q.pop_with_item();
        }
    };

    /// Waits for a free slot (bounded queues), then adds v. Throws
    /// queue_shut_down after shutdown(), cancelled_error if cancelled while
    /// waiting (nothing added).
    put_awaiter put(T v) { return {*this, std::move(v), slots_.acquire(1, "queue::put()")}; }
    /// Waits for an item and removes it. Throws queue_shut_down once the
    /// queue is shut down and empty, cancelled_error if cancelled while
    /// waiting (no item taken).
    get_awaiter get() { return {*this, items_.acquire(1, "queue::get()")}; }

    /// Adds v at once; throws queue_full if there is no free slot,
    /// queue_shut_down after shutdown().
    void put_nowait(T v) {
        if (shut_down_.load(std::memory_order_acquire))
            throw queue_shut_down("queue::put_nowait(): the queue is shut down");
        if (maxsize_ != 0 && !slots_.try_acquire(1))
            throw queue_full("queue::put_nowait(): the queue is full (maxsize " + std::to_string(maxsize_) +
                             ")");
        push_with_slot(std::move(v));
    }
    /// Removes an item at once; throws queue_empty if there is none (or
    /// queue_shut_down if shut down and empty).
    T get_nowait() {
        if (!items_.try_acquire(1)) {
            if (shut_down_.load(std::memory_order_acquire))
                throw queue_shut_down("queue::get_nowait(): the queue is shut down and empty");
            throw queue_empty("queue::get_nowait(): the queue is empty");
        }
        return pop_with_item();
    }

    /// One put item is processed; wakes join() when none is left. Throws
    /// value_error if called more times than items were put.
    void task_done() {
        detail::spin_guard g(buf_lock_);
        if (unfinished_ == 0) throw value_error("queue::task_done(): called more times than items were put");
        if (--unfinished_ == 0) join_done_.set();
    }
    /// Waits until every item put has been marked task_done().
    auto join() { return join_done_.wait(); }

    /// Items in the queue.
    std::size_t qsize() const {
        detail::spin_guard g(buf_lock_);
        return buf_.size();
    }
    bool empty() const { return qsize() == 0; }
    bool full() const { return maxsize_ != 0 && qsize() >= maxsize_; }
    std::size_t maxsize() const noexcept { return maxsize_; }

    /// Puts fail from now on (queue_shut_down) and waiting putters are woken
    /// with it; gets drain what is left, then fail too (waiting getters are
    /// woken at once). immediate: the items left are dropped as well (each
    /// counted as task_done), so gets fail at once.
    void shutdown(bool immediate = false) {
        // Release: pairs with the acquire loads in push_with_slot,
        // put_nowait, get_nowait and is_shut_down.
        shut_down_.store(true, std::memory_order_release);
        if (immediate) {
            // Only items nobody holds a permit for can go: a getter that was
            // granted one is about to take its item.
            while (items_.try_acquire(1)) {
                {
                    detail::spin_guard g(buf_lock_);
                    (void)buf_.pop();
                    if (unfinished_ > 0 && --unfinished_ == 0) join_done_.set();
                }
                if (maxsize_ != 0) slots_.release(1);
            }
        }
        items_.close();
        slots_.close();
    }
    bool is_shut_down() const noexcept { return shut_down_.load(std::memory_order_acquire); }

private:
    void push_with_slot(T v) {
        if (shut_down_.load(std::memory_order_acquire)) {
            if (maxsize_ != 0) slots_.release(1);  // the slot goes back
            throw queue_shut_down("queue::put(): the queue is shut down");
        }
        {
            detail::spin_guard g(buf_lock_);
            buf_.push(std::move(v));
            if (unfinished_++ == 0) join_done_.clear();
        }
        items_.release(1);
    }
    T pop_with_item() {
        T v = [this] {
            detail::spin_guard g(buf_lock_);
            return buf_.pop();
        }();
        if (maxsize_ != 0) slots_.release(1);
        return v;
    }

    const std::size_t maxsize_;
    detail::batch_semaphore items_;  // one permit per item in buf_
    detail::batch_semaphore slots_;  // free slots (bounded queues)
    mutable detail::spinlock buf_lock_;
    Buffer buf_;
    std::size_t unfinished_ = 0;  // under buf_lock_
    event join_done_;
    std::atomic<bool> shut_down_{false};  // set once by shutdown() (release)
};

template <class T>
using queue = basic_queue<T, detail::fifo_buffer<T>>;
template <class T, class Compare = std::less<T>>
using priority_queue = basic_queue<T, detail::heap_buffer<T, Compare>>;
template <class T>
using lifo_queue = basic_queue<T, detail::lifo_buffer<T>>;

} // namespace weft
