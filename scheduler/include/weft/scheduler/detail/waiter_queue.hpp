// The waiter core of weft::sync's primitives and of weft::io's readiness
// waits: an intrusive FIFO of suspended tasks, guarded by the owner's
// spinlock, each waiting for a verdict (granted, closed, broken...).
//
// Protocol (DESIGN.md, "Cancellation protocol"). A waiter publishes a wait
// token with task_base::begin_wait, links its node under the lock, and then
// commits (commit_wait) outside it. A waker, under the lock, unlinks the
// front node, writes its verdict and calls try_wake(token); a canceller CASes
// the same token to `cancelled`. Exactly one of the two wins:
//   - the waker wins: the task resumes with the verdict; the resource the
//     verdict carries (a permit, an item) is the waiter's;
//   - the canceller wins: try_wake returns false, the waker resets the
//     verdict and offers the resource to the next waiter (wake_front's
//     caller decides what "the next" is), so a cancelled waiter never
//     consumes anything. The cancelled waiter, when it runs, takes the lock
//     and unlinks its node if it is still linked.
// A node lives in its awaiter's frame. A waker touches it only under the
// lock and never after a successful try_wake: from then on the task may run
// on another worker and leave without taking the lock. A cancelled awaiter
// takes the lock before it leaves, so a waker whose try_wake failed may
// still reset the node's verdict.
//
// Woken waiters resume on whichever worker picks them up: a wake from a
// worker puts the task on that worker's queue (normally the worker that
// released the resource); a wake from a foreign thread goes through the
// runtime's injection queue.
#pragma once

#include <weft/scheduler/detail/spinlock.hpp>
#include <weft/scheduler/detail/task_state.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>

namespace weft::detail {

/// What ended a wait (set by the waker under the lock).
enum class verdict : std::uint8_t {
    none,     // still waiting, or the wake lost to a cancel
    granted,  // the resource is the waiter's (permit, item, notification)
    closed,   // the primitive was closed (queue shut down, event set)
    broken,   // barrier aborted or reset
};

/// Only `task` is set before the node is parked (null: never parked); the
/// other fields are written by suspend_locked and push_back_locked, so an
/// acquire that never waits pays for none of them.
struct wait_node {
    wait_node* prev;
    wait_node* next;
    task_base* task = nullptr;
    std::uint64_t token;
    std::size_t needed;  // permits asked for (semaphores)
    verdict result;
    bool linked;
};

/// The FIFO and its lock. Every *_locked member needs lock() held.
class waiter_queue {
public:
    waiter_queue() = default;
    waiter_queue(const waiter_queue&) = delete;
    waiter_queue& operator=(const waiter_queue&) = delete;

    spinlock& lock() const noexcept { return lock_; }

    bool empty_locked() const noexcept { return head_ == nullptr; }
    std::size_t size_locked() const noexcept { return size_; }
    wait_node* front_locked() const noexcept { return head_; }
    void push_back_locked(wait_node* w) noexcept;
    void unlink_locked(wait_node* w) noexcept;

    /// Unlinks w, gives it `v` and wakes its task. False if a cancel won the
    /// race (w's verdict is then reset to none): the caller keeps whatever
    /// it meant to hand over. After true, w must not be touched again.
    bool wake_locked(wait_node* w, verdict v) noexcept;
    /// Wakes every waiter with `v`; returns how many were woken (cancelled
    /// ones are only unlinked).
    std::size_t wake_all_locked(verdict v) noexcept;

private:
    mutable spinlock lock_;
    wait_node* head_ = nullptr;
    wait_node* tail_ = nullptr;
    std::size_t size_ = 0;
};

/// The awaiter side of one wait, shared by every primitive's awaiter.
///
///   suspend: with the lock held, after the primitive decided the task must
///            wait; links the node and publishes the wait token. The caller
///            unlocks, then returns commit() from await_suspend.
///   resume:  in await_resume; returns the verdict, or `none` if the wait
///            was cancelled (the caller then takes the lock, calls
///            leave_locked() and undoes what it counted for this waiter).
class parked_wait {
public:
    parked_wait() = default;
    parked_wait(const parked_wait&) = delete;
    parked_wait& operator=(const parked_wait&) = delete;
    /// A frame destroyed while parked (its loop closed) leaves the queue.
    ~parked_wait();

    /// The current task; throws weft::error naming `what` outside a task.
    static task_base& current(const char* what);

    void suspend_locked(waiter_queue& q, task_base& t, std::coroutine_handle<> h,
                        std::size_t needed = 0) noexcept;
    /// Outside the lock: true to stay suspended.
    bool commit() noexcept { return node_.task->commit_wait(node_.token); }
    /// Ends the wait: the verdict, or none if cancelled (then the node may
    /// still be linked: call leave_locked()).
    verdict resume() noexcept;
    /// With the lock held, after a cancelled resume: unlinks the node if no
    /// waker got to it.
    void leave_locked() noexcept {
        if (node_.linked) q_->unlink_locked(&node_);
        q_ = nullptr;
    }
    bool parked() const noexcept { return q_ != nullptr; }
    task_base* task() const noexcept { return node_.task; }
    wait_node& node() noexcept { return node_; }

private:
    waiter_queue* q_ = nullptr;
    wait_node node_;
};

} // namespace weft::detail
