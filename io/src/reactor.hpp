// The reactor: what a loop parks in once it does I/O (the scheduler's
// io_driver), and where io_sources register. Two backends implement it:
// epoll_reactor (epoll + eventfd) and uring_reactor (io_uring multishot
// polls + eventfd). Both are readiness based and edge-triggered, so every
// operation above them (io_source's sequence protocol) is shared.
//
// Threads. poll() runs on the loop's thread only. add() and remove() may be
// called from any thread (a task may be stolen between creating a socket
// and closing it). wake() from any thread.
//
// References. The loop holds one reference (dropped by detach() when the
// loop is destroyed) and every io_source one (dropped when it dies). While
// an fd is registered the reactor holds a reference on its source; remove()
// hands it back only once no event already fetched from the kernel can name
// the source: the epoll backend at the start of its next poll, the io_uring
// backend when the kernel posts the poll's final completion. detach()
// releases what is still registered.
#pragma once

#include <weft/io/detail/io_source.hpp>
#include <weft/scheduler/detail/io_driver.hpp>
#include <weft/scheduler/io_backend.hpp>

#include <atomic>
#include <functional>
#include <cstdint>
#include <mutex>
#include <string>
#include <memory>
#include <unordered_map>
#include <unordered_set>

namespace weft::detail {

class reactor : public io_driver {
public:
    void add_ref() noexcept {
        // Relaxed: the caller already holds a reference (no free can race);
        // ordering for the free comes from release()'s acq_rel fetch_sub.
        refs_.fetch_add(1, std::memory_order_relaxed);
    }
    void release() noexcept {
        // acq_rel: pairs with the other holders' fetch_sub here, so the last
        // holder sees every other holder's writes before it deletes.
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }

    /// Registers s (edge-triggered, read and write) and takes a reference on
    /// it. Throws std::system_error if the kernel refuses.
    virtual void add(io_source& s) = 0;
    /// Deregisters s; its reference comes back later (see above). Idempotent.
    virtual void remove(io_source& s) noexcept = 0;

    virtual weft::io_backend backend() const noexcept = 0;
    /// Installs a new reactor on `loop` (its own thread): the backend the
    /// loop's runtime asks for, or WEFT_IO_BACKEND. io_uring falls back to
    /// epoll when the kernel refuses it; the reason goes to the loop's
    /// exception handler in debug mode.
    static reactor& install(event_loop& loop);

    /// add_reader / add_writer registrations by fd (loop thread only;
    /// fd_watch.cpp).
    struct fd_watch {
        std::function<void()> reader, writer;
        source_owner src;  // the application's fd: not owned
        bool read_pump = false, write_pump = false;
    };
    std::unordered_map<int, std::unique_ptr<fd_watch>> watches;

protected:
    reactor() = default;
    ~reactor() override = default;

    /// Bookkeeping of what is registered, under lock_ (shared by both
    /// backends so that detach() can hand every reference back).
    std::mutex lock_;
    std::unordered_set<io_source*> registered_;
    bool detached_ = false;

private:
    std::atomic<std::uint32_t> refs_{1};
};

/// Constructors of the two backends (reactor_epoll.cpp, reactor_uring.cpp).
/// make_uring_reactor returns null and fills `why` when the kernel refuses.
reactor* make_epoll_reactor();
reactor* make_uring_reactor(std::string& why);

/// Wakes a reactor's poll through an eventfd at most once per sleep.
///
/// signal() writes the eventfd unless a write is still unconsumed; the
/// poller calls consumed() after it read the eventfd. A signal() racing
/// with consumed() may be dropped, but only after the poll already
/// returned: the loop re-checks its inbox under its lock before it polls
/// again, so the signalled work is not lost.
class wake_fd {
public:
    wake_fd();
    ~wake_fd();
    wake_fd(const wake_fd&) = delete;
    wake_fd& operator=(const wake_fd&) = delete;
    int fd() const noexcept { return fd_; }
    void signal() noexcept;
    /// Reads the eventfd (poller thread) and re-arms signal().
    void consume() noexcept;

private:
    int fd_;
    // exchange in signal() pairs with the store in consume(): one write per
    // consumption.
    std::atomic<bool> pending_{false};
};

} // namespace weft::detail
