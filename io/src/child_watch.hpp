// The exit of one child process: who reaps it and how waiters learn of it.
//
// A child_state is shared by the process handles and by whatever watches
// the child. The event loop that started the child watches its pidfd (a
// reader on the loop: the pidfd turns readable when the child exits) and
// reaps it with waitid(WNOHANG) from that callback; the watch keeps the
// state alive, so the child is reaped even when every process handle is
// gone. Without pidfds (kernels before 5.3) the loop polls with a timer
// instead. If the loop goes away while the child runs (its reader or
// timer callbacks are destroyed with it), a background thread waits for
// the child and reaps it.
//
// Reaping and signalling exclude each other (mutex_): kill() is only ever
// sent to a pid that has not been reaped, so never to a recycled pid.
#pragma once

#include <weft/scheduler/future.hpp>

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <optional>

namespace weft {
class event_loop;
}

namespace weft::detail {

class child_state {
public:
    /// Takes ownership of pidfd (-1: none, the loop polls instead).
    child_state(pid_t pid, int pidfd);
    ~child_state();
    child_state(const child_state&) = delete;
    child_state& operator=(const child_state&) = delete;

    pid_t pid() const noexcept { return pid_; }
    std::optional<int> returncode() const;
    bool reaped() const;

    /// Reaps the child if it exited (never blocks); true once reaped.
    bool try_reap() noexcept;
    /// Blocks until the child exits, then reaps it (background thread).
    void reap_blocking() noexcept;
    /// kill(pid, sig) unless the child was reaped already (then false).
    /// Throws std::system_error if kill fails.
    bool send_signal(int sig);

    /// Completes with the return code once the child is reaped. Bound to
    /// no loop: it may be completed by the background reaper thread.
    future<int> exited() const { return exited_; }

    /// The pidfd, or -1; it is closed once the child is reaped.
    int pidfd() const noexcept { return pidfd_; }
    /// Closes the pidfd (after its watch was removed).
    void close_pidfd() noexcept;

private:
    mutable std::mutex mutex_;
    const pid_t pid_;
    int pidfd_;
    std::optional<int> returncode_;  // under mutex_
    future<int> exited_;
};

/// Makes `loop` (the running loop, called on its thread) reap st's child
/// when it exits. Never throws: if the loop cannot watch the child, a
/// background thread reaps it.
void watch_child(event_loop& loop, std::shared_ptr<child_state> st) noexcept;

} // namespace weft::detail
