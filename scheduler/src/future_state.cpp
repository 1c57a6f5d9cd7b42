#include <weft/scheduler/detail/future_state.hpp>
#include <weft/scheduler/event_loop.hpp>

#include "diagnostics.hpp"

namespace weft::detail {

future_state_base::~future_state_base() { report_if_unretrieved(); }

void future_state_base::report_if_unretrieved() noexcept {
    if (status_.load(std::memory_order_relaxed) != status::exception ||
        retrieved_.exchange(true, std::memory_order_relaxed))
        return;
    try {
        report_unretrieved(describe(), error_);
    } catch (...) {
    }
}

std::string future_state_base::describe() const { return "Future"; }

std::string future_state_base::cancel_message() const {
    spin_guard g(lock_);
    return extras_ ? extras_->cancel_message : std::string();
}

bool future_state_base::cancel(std::string message) { return try_set_cancelled(std::move(message)); }

void future_state_base::check_result(const char* what) const {
    switch (state()) {
    case status::pending:
        throw invalid_state_error(std::string(what) + ": the result is not set yet");
    case status::cancelled:
        throw cancelled_error(cancel_message());
    case status::exception:
        std::rethrow_exception(error_);
    case status::value:
        return;
    }
}

std::exception_ptr future_state_base::exception(const char* what) const {
    switch (state()) {
    case status::pending:
        throw invalid_state_error(std::string(what) + ": the exception is not set yet");
    case status::cancelled:
        throw cancelled_error(cancel_message());
    case status::exception:
        return error_;
    case status::value:
        return nullptr;
    }
    return nullptr;
}

bool future_state_base::add_waiter(waiter_node* w) noexcept {
    spin_guard g(lock_);
    if (status_.load(std::memory_order_relaxed) != status::pending) return false;
    w->next = nullptr;
    w->prev = waiters_tail_;
    if (waiters_tail_)
        waiters_tail_->next = w;
    else
        waiters_head_ = w;
    waiters_tail_ = w;
    w->linked = true;
    return true;
}

void future_state_base::remove_waiter(waiter_node* w) noexcept {
    spin_guard g(lock_);
    if (!w->linked) return;
    if (w->prev)
        w->prev->next = w->next;
    else
        waiters_head_ = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        waiters_tail_ = w->prev;
    w->prev = w->next = nullptr;
    w->linked = false;
}

std::size_t future_state_base::add_callback(callback_fn f) {
    lock_.lock();
    std::size_t id;
    try {
        extras& x = ensure_extras();
        id = x.next_callback_id++;
        if (status_.load(std::memory_order_relaxed) == status::pending) {
            x.callbacks.push_back(callback_entry{id, std::move(f)});
            lock_.unlock();
            return id;
        }
    } catch (...) {
        lock_.unlock();
        throw;
    }
    lock_.unlock();
    std::vector<callback_entry> one;
    one.push_back(callback_entry{id, std::move(f)});
    post_callbacks(one);
    return id;
}

std::size_t future_state_base::remove_callback(std::size_t id) {
    spin_guard g(lock_);
    if (!extras_) return 0;
    auto& cbs = extras_->callbacks;
    for (auto it = cbs.begin(); it != cbs.end(); ++it) {
        if (it->id == id) {
            cbs.erase(it);
            return 1;
        }
    }
    return 0;
}

bool future_state_base::try_set_exception(std::exception_ptr e) {
    if (!begin_completion()) return false;
    finish_with_exception_locked(std::move(e));
    return true;
}

bool future_state_base::try_set_cancelled(std::string message) {
    if (!begin_completion()) return false;
    if (!message.empty() || extras_) {
        try {
            ensure_extras().cancel_message = std::move(message);
        } catch (...) {  // out of memory: the cancellation still happens, without its message
        }
    }
    finish_locked(status::cancelled);
    return true;
}

void future_state_base::finish_with_exception_locked(std::exception_ptr e) noexcept {
    try {
        std::rethrow_exception(e);
    } catch (const cancelled_error& c) {
        if (!c.message().empty() || extras_) {
            try {
                ensure_extras().cancel_message = c.message();
            } catch (...) {
            }
        }
        finish_locked(status::cancelled);
        return;
    } catch (...) {
    }
    error_ = std::move(e);
    finish_locked(status::exception);
}

void future_state_base::finish_locked(status s) noexcept {
    // Pairs with the acquire load in state(): readers that see the final
    // status see the value or exception stored above.
    status_.store(s, std::memory_order_release);
    waiter_node* w = waiters_head_;
    waiters_head_ = waiters_tail_ = nullptr;
    while (w) {
        waiter_node* next = w->next;
        w->prev = w->next = nullptr;
        w->linked = false;
        w->notify(w);  // the node stays valid: its owner unlinks under lock_
        w = next;
    }
    std::vector<callback_entry> cbs;
    if (extras_) cbs.swap(extras_->callbacks);
    // Keep the state alive while its callbacks are posted: a woken waiter may
    // drop the last handle as soon as the lock is released.
    bool have_callbacks = !cbs.empty();
    if (have_callbacks) add_ref();
    lock_.unlock();
    if (have_callbacks) {
        post_callbacks(cbs);
        release();
    }
}

void future_state_base::post_callbacks(std::vector<callback_entry>& cbs) noexcept {
    event_loop* target = loop_ ? loop_ : running_loop();
    // Within a runtime the workers act as one loop: run the callbacks on the
    // worker that completed the state, behind what it already queued, so a
    // task that completes a future and then yields sees its callbacks ran.
    if (event_loop* here = running_loop(); here && target && here != target &&
                                           here->same_runtime(*target))
        target = here;
    for (auto& cb : cbs) {
        // The reference travels with the callback, so the state outlives it
        // even if the callback is dropped without running.
        auto call = [self = state_ref<future_state_base>(this), fn = std::move(cb.fn)]() mutable {
            fn(*self.get());
        };
        if (!target || target->is_closed()) {
            // No loop to run it on: run it here rather than lose it.
            try {
                call();
            } catch (...) {
                report_callback_exception(std::current_exception());
            }
            continue;
        }
        try {
            if (target->on_loop_thread())
                target->call_soon(std::move(call));
            else
                target->call_soon_threadsafe(std::move(call));
        } catch (...) {
            report_callback_exception(std::current_exception());
        }
    }
}

} // namespace weft::detail
