// The shared state behind weft::future<T> and weft::task<T>.
//
// State machine: pending -> value | exception | cancelled, exactly once.
// The transition happens under `lock_`, which also guards the waiter list and
// the done-callbacks. `status_` is written under the lock with release order
// and may be read without it (done(), result()) with acquire order, so a
// reader that sees a final status also sees the result written before it.
//
// Waiters are intrusive nodes owned by suspended awaiters (they live in
// coroutine frames). The completer calls each node's notify under the lock;
// an awaiter that leaves early unlinks its node under the same lock, so a
// node is never touched after its owner has moved on.
//
// Done-callbacks never run inline in the completing call: they are posted to
// the state's event loop (asyncio's call_soon semantics).
#pragma once

#include <weft/errors.hpp>
#include <weft/scheduler/detail/frame_alloc.hpp>
#include <weft/scheduler/detail/spinlock.hpp>
#include <weft/scheduler/detail/unique_function.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace weft {
class event_loop;
}

namespace weft::detail {

enum class status : std::uint8_t { pending, value, exception, cancelled };

/// A suspended awaiter's registration with a future.
struct waiter_node {
    waiter_node* prev = nullptr;
    waiter_node* next = nullptr;
    /// Called once, under the future's lock, when the future completes.
    /// Must be short and must not take the same future's lock.
    void (*notify)(waiter_node*) noexcept = nullptr;
    bool linked = false;
};

template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

class future_state_base {
public:
    explicit future_state_base(event_loop* loop) noexcept : loop_(loop) {}
    future_state_base(const future_state_base&) = delete;
    future_state_base& operator=(const future_state_base&) = delete;
    virtual ~future_state_base();

    static void* operator new(std::size_t n) { return frame_allocate(n, block_kind::state); }
    static void operator delete(void* p, std::size_t n) noexcept {
        frame_deallocate(p, n, block_kind::state);
    }

    void add_ref() noexcept {
        // Relaxed: a new reference is made from an existing one, which
        // already keeps the object alive.
        refs_.fetch_add(1, std::memory_order_relaxed);
    }
    void release() noexcept {
        // acq_rel: the release publishes this holder's writes; the acquire on
        // the last decrement makes them visible to the destructor.
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }

    status state() const noexcept {
        // Pairs with the release store in finish_locked().
        return status_.load(std::memory_order_acquire);
    }
    bool done() const noexcept { return state() != status::pending; }
    bool cancelled() const noexcept { return state() == status::cancelled; }
    event_loop* loop() const noexcept { return loop_; }

    /// Requests cancellation. A plain future completes as cancelled at once;
    /// a task overrides this to deliver cancelled_error inside its coroutine.
    virtual bool cancel(std::string message);

    /// Throws invalid_state_error if pending, cancelled_error if cancelled,
    /// the stored exception if failed; returns normally if a value is stored.
    void check_result(const char* what) const;
    /// The stored exception (null for a value); throws like check_result for
    /// pending or cancelled states.
    std::exception_ptr exception(const char* what) const;
    /// The message of the cancellation (empty if none).
    std::string cancel_message() const;
    void mark_retrieved() noexcept { retrieved_.store(true, std::memory_order_relaxed); }
    /// Reports an exception nobody retrieved (once); called by destructors,
    /// the most derived first so that the report names what it was.
    void report_if_unretrieved() noexcept;

    /// Links w unless the future is already done; returns false in that case.
    bool add_waiter(waiter_node* w) noexcept;
    /// Unlinks w if it is still linked (an awaiter leaving early).
    void remove_waiter(waiter_node* w) noexcept;

    using callback_fn = unique_function<void(future_state_base&)>;
    /// Registers f to run on the loop once done (at once, via the loop, if done).
    std::size_t add_callback(callback_fn f);
    /// Removes the callback registered under id; returns how many were removed.
    std::size_t remove_callback(std::size_t id);

    /// Completion with an exception; false if already done.
    bool try_set_exception(std::exception_ptr e);
    /// Completion as cancelled; false if already done.
    bool try_set_cancelled(std::string message);

    /// Name shown in diagnostics (tasks have user-visible names).
    virtual std::string describe() const;

protected:
    /// Publishes `s`, wakes the waiters and posts the callbacks. Called with
    /// lock_ held; releases it.
    void finish_locked(status s) noexcept;
    /// Sets the exception or the cancelled state from an exception that
    /// escaped a coroutine or a setter: cancelled_error means cancelled.
    void finish_with_exception_locked(std::exception_ptr e) noexcept;
    struct callback_entry {
        std::size_t id;
        callback_fn fn;
    };
    /// What most states never need, allocated on first use; guarded by lock_.
    struct extras {
        std::vector<callback_entry> callbacks;
        std::size_t next_callback_id = 1;
        std::string cancel_message;  // of a completed cancellation
        std::string name;            // tasks: set_name()
        std::string cancel_request;  // tasks: the message given to cancel()
    };
    /// With lock_ held.
    extras& ensure_extras() {
        if (!extras_) extras_ = std::make_unique<extras>();
        return *extras_;
    }

    bool begin_completion() noexcept {
        lock_.lock();
        if (status_.load(std::memory_order_relaxed) != status::pending) {
            lock_.unlock();
            return false;
        }
        return true;
    }

    mutable spinlock lock_;
    event_loop* loop_;
    std::unique_ptr<extras> extras_;

private:
    void post_callbacks(std::vector<callback_entry>& cbs) noexcept;

    std::atomic<std::uint32_t> refs_{1};
    std::atomic<status> status_{status::pending};
    std::atomic<bool> retrieved_{false};
    waiter_node* waiters_head_ = nullptr;
    waiter_node* waiters_tail_ = nullptr;
    std::exception_ptr error_;
};

/// Adds the typed result slot to a state (future or task).
template <class T, class Base>
class result_holder : public Base {
    static_assert(!std::is_reference_v<T>, "weft futures and tasks hold values, not references");

public:
    using Base::Base;

    template <class... A>
    bool try_set_value(A&&... a) {
        if (!this->begin_completion()) return false;
        try {
            value_.emplace(std::forward<A>(a)...);
        } catch (...) {
            this->finish_with_exception_locked(std::current_exception());
            return true;
        }
        this->finish_locked(status::value);
        return true;
    }
    /// Completes from what a finished coroutine left: its value or exception.
    void set_from(std::optional<stored_t<T>>& v, std::exception_ptr e) noexcept {
        this->lock_.lock();
        if (e) {
            this->finish_with_exception_locked(std::move(e));
        } else {
            value_.emplace(std::move(*v));
            this->finish_locked(status::value);
        }
    }
    /// The stored value; throws per check_result for any other state.
    stored_t<T>& value_ref(const char* what) {
        this->check_result(what);
        return *value_;
    }

private:
    std::optional<stored_t<T>> value_;
};

/// Intrusive reference to a state.
template <class S>
class state_ref {
public:
    state_ref() noexcept = default;
    /// Adopts one reference already counted.
    static state_ref adopt(S* s) noexcept {
        state_ref r;
        r.p_ = s;
        return r;
    }
    explicit state_ref(S* s) noexcept : p_(s) {
        if (p_) p_->add_ref();
    }
    state_ref(const state_ref& o) noexcept : p_(o.p_) {
        if (p_) p_->add_ref();
    }
    state_ref(state_ref&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
    state_ref& operator=(state_ref o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }
    ~state_ref() {
        if (p_) p_->release();
    }
    S* get() const noexcept { return p_; }
    S* operator->() const noexcept { return p_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }
    S* detach() noexcept {
        S* p = p_;
        p_ = nullptr;
        return p;
    }

private:
    S* p_ = nullptr;
};

} // namespace weft::detail
