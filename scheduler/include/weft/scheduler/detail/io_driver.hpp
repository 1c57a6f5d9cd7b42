// The scheduler's only view of I/O: something an event loop can block in
// instead of its condition variable, and that another thread can interrupt.
//
// weft::io installs a driver (its reactor: epoll or io_uring) on a loop the
// first time a task of that loop uses I/O. From then on the loop parks in
// poll() with the next timer as the timeout, polls without blocking every
// runtime_options::io_poll_interval steps while busy, and wake() (an eventfd
// write) replaces the condition variable's notify. The scheduler knows
// nothing else of what the driver serves.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace weft::detail {

class io_driver {
public:
    io_driver() = default;
    io_driver(const io_driver&) = delete;
    io_driver& operator=(const io_driver&) = delete;
    virtual ~io_driver() = default;

    /// Waits until an I/O event, a wake() or the timeout, and dispatches
    /// what became ready (waking tasks, running fd callbacks). A negative
    /// timeout waits without limit; zero does not block. Loop thread only.
    virtual void poll(std::chrono::nanoseconds timeout) = 0;
    /// Makes a poll() in progress (or the next one) return. Any thread.
    virtual void wake() noexcept = 0;
    /// The loop that owned the driver is gone: stop using the OS resources
    /// (close descriptors); objects that still reference the driver may
    /// release it later. Called once, by the loop's destructor, instead of
    /// deleting the driver.
    virtual void detach() noexcept = 0;
};

} // namespace weft::detail
