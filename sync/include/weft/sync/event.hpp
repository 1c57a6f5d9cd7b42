// weft::event: asyncio.Event, safe across workers.
//
// wait() returns at once while the event is set, and otherwise waits until
// set() is called; set() wakes every waiter, clear() makes later waits wait
// again. A waiter cancelled while waiting throws cancelled_error. Woken
// waiters resume on the worker that called set() (or on ones that steal
// them); set() may be called from any task or thread.
#pragma once

#include <weft/sync/detail/batch_semaphore.hpp>

namespace weft {

class event {
public:
    event() noexcept : sem_(0) {}
    event(const event&) = delete;
    event& operator=(const event&) = delete;

    struct wait_awaiter {
        // The event is a semaphore that never has permits: set() closes it,
        // which ends every wait (verdict closed), and clear() reopens it.
        detail::batch_semaphore& s;
        detail::batch_semaphore::acquire_awaiter a;
        bool set_already = false;
        bool await_ready() noexcept {
            set_already = s.is_closed();
            return set_already;
        }
        bool await_suspend(std::coroutine_handle<> h) { return a.await_suspend(h); }
        void await_resume() {
            if (!set_already) (void)a.await_resume();  // closed = set; throws if cancelled
        }
    };
    wait_awaiter wait() noexcept { return {sem_, sem_.acquire(1, "event::wait()"), false}; }
    void set() noexcept { sem_.close(); }
    void clear() noexcept { sem_.reopen(); }
    bool is_set() const noexcept { return sem_.is_closed(); }

private:
    detail::batch_semaphore sem_;
};

} // namespace weft
