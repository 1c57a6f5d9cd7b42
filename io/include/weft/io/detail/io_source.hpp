// One file descriptor registered with the reactor of one event loop: the
// unit every weft::io object (socket, pipe, signal fd) waits on.
//
// Readiness is edge-triggered. For each direction (read, write) the source
// keeps a sequence number that the reactor bumps, under the direction's
// waiter lock, every time the kernel reports the fd ready that way. An
// operation reads the number, tries its system call, and only on EAGAIN
// waits for the number to move past what it read:
//
//     for (;;) {
//         auto seen = src.seq(io_dir::read);
//         n = ::recv(...);                       // non-blocking
//         if (n >= 0 || errno != EAGAIN) break;
//         co_await src.ready(io_dir::read, seen);
//     }
//
// An edge reported after the load is seen by the wait (the bump and the
// check before parking take the same lock); an edge before it made the data
// available before the system call, which then succeeds. So no wake-up is
// lost and no level is ever re-armed.
//
// Waiters park in a waiter_queue (scheduler/detail/waiter_queue.hpp): a
// cancel ends the wait at once and consumes nothing. A woken task resumes on
// the worker that owns the reactor (it polled the event), unless stolen.
//
// Lifetime. A source is reference counted: its owner (a stream, a socket),
// each operation in flight, and the reactor while the fd is registered. The
// descriptor is closed when the last reference goes, so a system call in
// flight on another worker never sees its fd number reused. shutdown() marks
// the source closed (operations then fail with EBADF, naming what they did),
// wakes every waiter and deregisters from the reactor.
#pragma once

#include <weft/scheduler/detail/spinlock.hpp>
#include <weft/scheduler/detail/task_state.hpp>
#include <weft/scheduler/detail/waiter_queue.hpp>
#include <weft/scheduler/io_backend.hpp>

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <utility>

namespace weft {
class event_loop;
}

namespace weft::detail {

class reactor;

enum class io_dir : std::uint8_t { read = 0, write = 1 };

class io_source {
public:
    /// owns_fd: the descriptor is closed with the last reference (false for
    /// descriptors the application owns: add_reader, loop.sock_*).
    io_source(int fd, reactor& r, bool owns_fd = true) noexcept;
    io_source(const io_source&) = delete;
    io_source& operator=(const io_source&) = delete;

    int fd() const noexcept { return fd_; }
    reactor& owner() const noexcept { return *reactor_; }

    /// The readiness sequence of d (acquire: pairs with the release bump in
    /// notify, so what the kernel made ready is visible to the caller).
    std::uint32_t seq(io_dir d) const noexcept {
        return seq_[index(d)].load(std::memory_order_acquire);
    }
    /// Acquire: pairs with the acq_rel exchange in shutdown().
    bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }

    class ready_awaiter {
    public:
        ready_awaiter(io_source& s, io_dir d, std::uint32_t seen) noexcept
            : s_(s), d_(d), seen_(seen) {}
        bool await_ready() const noexcept { return s_.seq(d_) != seen_ || s_.closed(); }
        bool await_suspend(std::coroutine_handle<> h);
        /// Throws cancelled_error if the task was cancelled while waiting.
        void await_resume();

    private:
        io_source& s_;
        io_dir d_;
        std::uint32_t seen_;
        parked_wait wait_;
    };
    /// Waits until the readiness of d moves past `seen` or the source is
    /// shut down. Inside a task only.
    ready_awaiter ready(io_dir d, std::uint32_t seen) noexcept { return {*this, d, seen}; }

    /// Reactor side: the kernel reported the fd ready for reading and/or
    /// writing (errors and hang-ups count as both). hangup: the report
    /// included a peer hang-up or an error (EPOLLRDHUP, EPOLLHUP, EPOLLERR),
    /// which stays in the queue after the data before it is read. Any thread.
    void notify(bool readable, bool writable, bool hangup = false) noexcept;

    /// Whether any report so far included a hang-up or an error. Acquire:
    /// pairs with the release store in notify(); a caller that saw the
    /// sequence number of that report (seq() is acquire too) sees it set.
    bool hung_up() const noexcept { return hung_up_.load(std::memory_order_acquire); }

    /// Marks the source closed, wakes every waiter and deregisters it from
    /// its reactor. Idempotent; any thread. The descriptor stays open until
    /// the last reference goes.
    void shutdown() noexcept;

    void add_ref() noexcept {
        // Relaxed: the caller already holds a reference; the free is ordered
        // by release()'s acq_rel fetch_sub.
        refs_.fetch_add(1, std::memory_order_relaxed);
    }
    void release() noexcept {
        // acq_rel: pairs with the other holders' fetch_sub here, so the last
        // release sees every other holder's writes before it closes the
        // descriptor and frees the source.
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
    }

    /// Called by notify() after the waiters were woken, on the reactor's
    /// thread (add_reader / add_writer callbacks). Set before registration.
    void (*on_notify)(io_source&, bool readable, bool writable) noexcept = nullptr;
    void* context = nullptr;

    // Reactor bookkeeping (under the reactor's lock).
    std::uint32_t reactor_flags = 0;

private:
    ~io_source();
    void destroy() noexcept { delete this; }
    static constexpr unsigned index(io_dir d) noexcept { return static_cast<unsigned>(d); }

    const int fd_;
    const bool owns_fd_;
    reactor* const reactor_;  // holds a reference (reactors are counted too)
    std::atomic<std::uint32_t> refs_{1};
    std::atomic<bool> closed_{false};
    std::atomic<bool> hung_up_{false};
    std::atomic<std::uint32_t> seq_[2] = {0, 0};
    waiter_queue waiters_[2];
};

/// An owning reference to a source.
class source_ref {
public:
    source_ref() noexcept = default;
    /// Adopts one reference (does not add one).
    explicit source_ref(io_source* s) noexcept : s_(s) {}
    source_ref(const source_ref& o) noexcept : s_(o.s_) {
        if (s_) s_->add_ref();
    }
    source_ref(source_ref&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    source_ref& operator=(source_ref o) noexcept {
        std::swap(s_, o.s_);
        return *this;
    }
    ~source_ref() {
        if (s_) s_->release();
    }
    io_source* get() const noexcept { return s_; }
    io_source* operator->() const noexcept { return s_; }
    io_source& operator*() const noexcept { return *s_; }
    explicit operator bool() const noexcept { return s_ != nullptr; }
    void reset() noexcept { source_ref().swap(*this); }
    void swap(source_ref& o) noexcept { std::swap(s_, o.s_); }

private:
    io_source* s_ = nullptr;
};

/// The owner's reference: shuts the source down (deregistering it) when it
/// goes, so that the reactor's reference comes back too.
class source_owner {
public:
    source_owner() noexcept = default;
    explicit source_owner(source_ref r) noexcept : r_(std::move(r)) {}
    source_owner(source_owner&&) noexcept = default;
    source_owner& operator=(source_owner&& o) noexcept {
        if (this != &o) {
            close();
            r_ = std::move(o.r_);
        }
        return *this;
    }
    ~source_owner() { close(); }
    /// Shuts the source down and drops the owner's reference.
    void close() noexcept {
        if (r_) {
            r_->shutdown();
            r_.reset();
        }
    }
    io_source* get() const noexcept { return r_.get(); }
    io_source* operator->() const noexcept { return r_.get(); }
    explicit operator bool() const noexcept { return static_cast<bool>(r_); }
    /// Another reference, for an operation in flight.
    source_ref ref() const noexcept { return r_; }

private:
    source_ref r_;
};

/// Registers fd (which must be non-blocking) with the reactor of the loop
/// running the caller, installing the reactor on first use. With owns_fd,
/// the source owns fd, and on failure fd is closed. Throws
/// std::system_error naming `what` if the kernel refuses, weft::error
/// outside a running loop.
/// on_notify and context, if given, are set on the source before it is
/// registered (see io_source::on_notify).
source_owner register_fd(int fd, const char* what, bool owns_fd = true,
                         void (*on_notify)(io_source&, bool, bool) noexcept = nullptr,
                         void* context = nullptr);

/// The reactor of `loop`, installed on first use (loop thread only).
reactor& reactor_of(event_loop& loop);

/// The backend `loop` polls with, installing its reactor on first use
/// (loop thread only): tells whether io_uring was refused.
weft::io_backend loop_io_backend(event_loop& loop);

} // namespace weft::detail
