// Awaiting one future or task from inside a task.
#pragma once

#include <weft/scheduler/detail/chaos.hpp>
#include <weft/scheduler/detail/task_state.hpp>

#include <coroutine>

namespace weft::detail {

/// Suspends the current task until `fut` is done.
///
/// mode == forward: cancelling the awaiting task cancels `fut` and keeps
/// waiting for it (asyncio's `await task`); the awaiter then sees fut's
/// outcome. mode == abandon: cancelling the awaiting task stops the wait and
/// throws cancelled_error, leaving `fut` alone (shield). mode ==
/// uncancellable: the wait ignores cancel requests (they stay pending).
class future_wait {
public:
    future_wait(future_state_base* fut, cancel_mode mode) noexcept : fut_(fut), mode_(mode) {}
    future_wait(const future_wait&) = delete;
    future_wait& operator=(const future_wait&) = delete;
    ~future_wait() {
        // Only remove_waiter may read node_.linked (completers write it under
        // the future's lock, possibly on another thread).
        if (suspended_) fut_->remove_waiter(&node_);
    }

    bool await_ready() const noexcept { return fut_->done() && !chaos_active(); }
    bool await_suspend(std::coroutine_handle<> h);
    /// Ends the wait; throws cancelled_error if the wait was abandoned.
    void finish();
    void await_resume() { finish(); }

private:
    struct node_t : waiter_node {
        task_base* task = nullptr;
        std::uint64_t token = 0;
    };
    static void notify(waiter_node* w) noexcept;
    static void forward_cancel(void* ctx) noexcept;

    future_state_base* fut_;
    cancel_mode mode_;
    node_t node_;
    bool suspended_ = false;
};

} // namespace weft::detail
