// Waiting on several futures at once: the engine of gather, wait, wait_for
// and task_group::join.
#pragma once

#include <weft/scheduler/detail/task_state.hpp>
#include <weft/scheduler/detail/timer_heap.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <optional>
#include <span>

namespace weft::detail {

enum class wake_rule : std::uint8_t {
    all_completed,    // every future is done
    first_completed,  // any future is done
    first_exception,  // any future failed with an exception (asyncio.wait)
    first_failure,    // any future failed or was cancelled (gather)
};

/// Suspends the current task until `rule` holds for `futs`, or until the
/// optional deadline passes (then timed_out() is true). Cancel handling per
/// `mode`: forward cancels every future and then waits until all of them
/// are done (asyncio's gather: the cancelled children finish their cleanup
/// before the awaiting task resumes); abandon throws cancelled_error at once;
/// uncancellable ignores cancel requests.
///
/// Each future gets a waiter node; the notify of a node decides under that
/// future's lock whether the rule now holds. `remaining_` counts futures not
/// yet seen done and `triggered_` makes sure only one party (a notify, the
/// timer, or the registration in await_suspend) attempts the wake.
class wait_many : timer_node {
public:
    wait_many(std::span<future_state_base* const> futs, wake_rule rule, cancel_mode mode,
              std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);
    wait_many(const wait_many&) = delete;
    wait_many& operator=(const wait_many&) = delete;
    ~wait_many();

    bool await_ready() const noexcept;
    bool await_suspend(std::coroutine_handle<> h);
    void await_resume();

    /// The deadline passed before the rule held.
    bool timed_out() const noexcept { return timed_out_; }
    /// A cancel request was passed on to the futures (forward mode).
    bool forwarded_cancel() const noexcept { return forwarded_.load(std::memory_order_acquire); }
    /// Index of the first future seen failing (first_failure / first_exception),
    /// or npos.
    std::size_t first_failed() const noexcept {
        return first_failed_.load(std::memory_order_acquire);
    }
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

private:
    struct node_t : waiter_node {
        wait_many* owner = nullptr;
        std::size_t index = 0;
    };
    static void notify(waiter_node* w) noexcept;
    static void on_timer(timer_node* t) noexcept;
    static void forward_cancel(void* ctx) noexcept;
    /// Accounts for futs_[i] being done; true if the rule now holds.
    bool account(std::size_t i) noexcept;
    bool claim_trigger() noexcept {
        // acq_rel: one claimant among notifies on other threads, the timer
        // and the registering thread; pairs with the other exchanges.
        return !triggered_.exchange(true, std::memory_order_acq_rel);
    }
    void unregister_all() noexcept;

    std::span<future_state_base* const> futs_;
    wake_rule rule_;
    cancel_mode mode_;
    bool has_deadline_;
    bool suspended_ = false;
    bool timed_out_ = false;
    // Set by the canceller (any thread) before it cancels the futures; read
    // by their notifies (release/acquire).
    std::atomic<bool> forwarded_{false};
    task_base* task_ = nullptr;
    event_loop* loop_ = nullptr;
    std::uint64_t token_ = 0;
    std::size_t registered_ = 0;  // futs_[0, registered_) got add_waiter calls
    std::atomic<std::size_t> remaining_;
    std::atomic<bool> triggered_{false};
    std::atomic<std::size_t> first_failed_{npos};
    // Room for a few nodes in place (gather of a handful of children needs
    // no allocation); only the nodes in use are constructed.
    static constexpr std::size_t inline_count = 4;
    alignas(node_t) unsigned char inline_nodes_[inline_count * sizeof(node_t)];
    std::unique_ptr<node_t[]> heap_nodes_;
    node_t* nodes_;
};

} // namespace weft::detail
