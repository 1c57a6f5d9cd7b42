// weft::as_completed: asyncio.as_completed.
//
//   for (auto next : weft::as_completed(std::move(tasks))) {
//       auto v = co_await next;   // the value of the next task to finish
//   }
//
// Coroutines are wrapped in tasks at once. Each `next` awaits the next
// completion (in completion order) and returns its value or rethrows its
// exception. With a timeout, completions after the deadline are no longer
// taken: awaits first yield what finished in time, then throw timeout_error,
// as asyncio's as_completed does. Cancelling the awaiting task throws cancelled_error
// in it and leaves the tasks running.
#pragma once

#include <weft/scheduler/detail/spinlock.hpp>
#include <weft/scheduler/detail/task_state.hpp>
#include <weft/scheduler/detail/timer_heap.hpp>
#include <weft/scheduler/gather.hpp>
#include <weft/scheduler/task.hpp>

#include <coroutine>
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

namespace weft {

namespace detail {

/// The untyped part: completion order and the one waiting consumer.
class completion_queue : timer_node {
public:
    explicit completion_queue(std::vector<future_state_base*> states,
                              std::optional<clock::time_point> deadline);
    ~completion_queue();
    completion_queue(const completion_queue&) = delete;
    completion_queue& operator=(const completion_queue&) = delete;

    std::size_t size() const noexcept { return states_.size(); }
    /// Suspends until the next completion; returns the index of the
    /// finished state. Throws timeout_error / cancelled_error.
    struct next_awaiter {
        completion_queue* q;
        bool await_ready() const;
        bool await_suspend(std::coroutine_handle<> h);
        std::size_t await_resume();
    };
    next_awaiter next() noexcept { return next_awaiter{this}; }

private:
    struct node_t : waiter_node {
        completion_queue* owner = nullptr;
        std::size_t index = 0;
    };
    static void notify(waiter_node* w) noexcept;
    static void on_timer(timer_node* t) noexcept;
    std::optional<std::size_t> pop_ready_locked() noexcept;
    /// With lock_ held: marks the queue timed out once the deadline passed.
    bool check_deadline_locked() noexcept;

    std::vector<future_state_base*> states_;
    std::vector<node_t> nodes_;
    std::optional<clock::time_point> deadline_;

    spinlock lock_;  // guards everything below
    std::vector<std::size_t> finished_;
    std::size_t consumed_ = 0;
    task_base* waiter_ = nullptr;
    std::uint64_t token_ = 0;
    bool timed_out_ = false;
    event_loop* timer_loop_ = nullptr;
};

} // namespace detail

template <class H>
class as_completed_range {
    using T = typename H::value_type;

public:
    explicit as_completed_range(std::vector<H> hs, bool owned,
                                std::optional<clock::time_point> deadline)
        : hs_(std::move(hs)), owned_(owned) {
        std::vector<detail::future_state_base*> states;
        states.reserve(hs_.size());
        for (auto& h : hs_) states.push_back(h.raw_state());
        q_ = std::make_unique<detail::completion_queue>(std::move(states), deadline);
    }

    /// One awaitable per input; awaiting it yields the next result.
    class next_result {
    public:
        next_result(as_completed_range* r) noexcept : r_(r), a_{r->q_.get()} {}
        bool await_ready() const { return a_.await_ready(); }
        bool await_suspend(std::coroutine_handle<> h) { return a_.await_suspend(h); }
        detail::stored_t<T> await_resume() {
            std::size_t i = a_.await_resume();
            H& h = r_->hs_[i];
            return detail::take_value(h, r_->owned_);
        }

    private:
        as_completed_range* r_;
        detail::completion_queue::next_awaiter a_;
    };

    class iterator {
    public:
        using value_type = next_result;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        iterator(as_completed_range* r, std::size_t i) : r_(r), i_(i) {}
        next_result operator*() const { return next_result(r_); }
        iterator& operator++() {
            ++i_;
            return *this;
        }
        iterator operator++(int) {
            auto c = *this;
            ++i_;
            return c;
        }
        bool operator==(const iterator& o) const { return i_ == o.i_; }

    private:
        as_completed_range* r_ = nullptr;
        std::size_t i_ = 0;
    };

    iterator begin() { return iterator(this, 0); }
    iterator end() { return iterator(this, hs_.size()); }
    std::size_t size() const noexcept { return hs_.size(); }

private:
    std::vector<H> hs_;
    bool owned_;
    std::unique_ptr<detail::completion_queue> q_;
};

/// Yields awaitables for the inputs (coros, tasks or futures) in completion
/// order; see the header comment.
template <class A>
auto as_completed(std::vector<A> aws, std::optional<clock::duration> timeout = std::nullopt) {
    using traits = detail::awaitable_traits<A>;
    std::vector<typename traits::handle> hs;
    hs.reserve(aws.size());
    for (auto& a : aws) hs.push_back(traits::to_handle(std::move(a)));
    std::optional<clock::time_point> deadline;
    if (timeout) deadline = deadline_after(*timeout);
    return as_completed_range<typename traits::handle>(std::move(hs), traits::owned, deadline);
}

} // namespace weft
