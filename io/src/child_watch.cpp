// Reaping children: the pidfd watch on the loop, the timer fallback and the
// background reaper for children whose loop went away (child_watch.hpp).
#include "child_watch.hpp"

#include <weft/scheduler/event_loop.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include <sys/wait.h>
#include <unistd.h>

namespace weft::detail {

namespace {

using namespace std::chrono_literals;

/// What asyncio reports when the status is lost (another part of the
/// program reaped the child).
constexpr int unknown_status = 255;

int status_of(const siginfo_t& info) noexcept {
    if (info.si_code == CLD_EXITED) return info.si_status;
    return -info.si_status;  // CLD_KILLED, CLD_DUMPED
}

future<int> unbound_future() {
    using state = result_holder<int, future_state_base>;
    return future<int>(state_ref<state>::adopt(new state(nullptr)));
}

/// Hands a child whose loop can no longer watch it to a thread of its own.
void reap_in_background(const std::shared_ptr<child_state>& st) noexcept {
    if (st->reaped()) return;
    try {
        std::thread([st] { st->reap_blocking(); }).detach();
    } catch (...) {
        // No thread to be had: the child stays a zombie until this process
        // exits. Nothing better is possible here.
    }
}

/// Owned by the loop's callback (reader or timer). Destroyed with it: after
/// the reap in the normal case, or by the loop going away before the child
/// exited, which passes the child on to a background thread.
struct watch_guard {
    std::shared_ptr<child_state> st;
    explicit watch_guard(std::shared_ptr<child_state> s) noexcept : st(std::move(s)) {}
    watch_guard(const watch_guard&) = delete;
    watch_guard& operator=(const watch_guard&) = delete;
    ~watch_guard() { reap_in_background(st); }
};

/// Fallback without pidfds: poll with waitid(WNOHANG), backing off from
/// 1 ms to 100 ms.
void poll_later(event_loop* loop, std::shared_ptr<watch_guard> g, std::chrono::milliseconds delay) {
    if (g->st->try_reap()) return;
    const auto next = std::min<std::chrono::milliseconds>(delay * 2, 100ms);
    auto again = [loop, g, next] { poll_later(loop, g, next); };
    loop->call_later(delay, std::move(again));  // throws if the loop is closed: g then reaps
}

} // namespace

child_state::child_state(pid_t pid, int pidfd) : pid_(pid), pidfd_(pidfd), exited_(unbound_future()) {}

child_state::~child_state() { close_pidfd(); }

std::optional<int> child_state::returncode() const {
    std::lock_guard<std::mutex> g(mutex_);
    return returncode_;
}

bool child_state::reaped() const {
    std::lock_guard<std::mutex> g(mutex_);
    return returncode_.has_value();
}

bool child_state::try_reap() noexcept {
    int rc;
    {
        std::lock_guard<std::mutex> g(mutex_);
        if (returncode_) return true;
        siginfo_t info{};
        int r;
        do {
            r = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG);
        } while (r < 0 && errno == EINTR);
        if (r == 0 && info.si_pid == 0) return false;  // still running
        // r < 0 is ECHILD: someone else reaped it and its status is lost.
        rc = r == 0 ? status_of(info) : unknown_status;
        returncode_ = rc;
    }
    // Outside the lock: completing wakes the waiters, on their loops.
    (void)exited_.raw_state()->try_set_value(rc);
    return true;
}

void child_state::reap_blocking() noexcept {
    // Wait without reaping (WNOWAIT) and without the lock, so send_signal
    // still works meanwhile; then reap under the lock.
    siginfo_t info{};
    int r;
    do {
        r = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT);
    } while (r < 0 && errno == EINTR);
    (void)try_reap();
}

bool child_state::send_signal(int sig) {
    std::lock_guard<std::mutex> g(mutex_);
    if (returncode_) return false;
    if (::kill(pid_, sig) != 0)
        throw std::system_error(errno, std::system_category(),
                                "send_signal " + std::to_string(sig) + " to pid " + std::to_string(pid_));
    return true;
}

void child_state::close_pidfd() noexcept {
    if (pidfd_ >= 0) {
        ::close(pidfd_);
        pidfd_ = -1;
    }
}

void watch_child(event_loop& loop, std::shared_ptr<child_state> st) noexcept {
    std::shared_ptr<watch_guard> g;
    try {
        g = std::make_shared<watch_guard>(st);
    } catch (...) {
        reap_in_background(st);
        return;
    }
    const int fd = st->pidfd();
    if (fd >= 0) {
        try {
            event_loop* l = &loop;
            // Runs on the loop while the pidfd is readable, i.e. once the
            // child exited; the reap removes the watch, which drops g.
            auto on_exit = [l, g, fd] {
                if (!g->st->try_reap()) return;
                l->remove_reader(fd);
                g->st->close_pidfd();
            };
            loop.add_reader(fd, std::move(on_exit));
            return;
        } catch (...) {
            // The reactor refused the pidfd: poll instead.
        }
    }
    try {
        poll_later(&loop, std::move(g), 1ms);
    } catch (...) {
        // g went with the exception: the background thread has the child.
    }
}

} // namespace weft::detail
