// loop.add_signal_handler / remove_signal_handler.
//
// A signal's disposition belongs to the whole process, so the registry is
// process-wide: for each signal at most one handler, (loop, callback). A
// later add_signal_handler for the same signal replaces it, from whichever
// loop; remove_signal_handler(sig) on the loop that holds it removes it.
//
// Delivery. The C-level handler (installed with sigaction, SA_RESTART) does
// only async-signal-safe things: it marks the signal pending (a lock-free
// atomic) and writes one byte to a process-wide self-pipe (non-blocking,
// errno preserved). Every loop that holds at least one handler watches the
// pipe's read end with add_reader; whichever of them wakes first drains the
// pipe, takes the pending marks and queues each signal's callback on the
// loop that registered it (call_soon there, call_soon_threadsafe from
// another loop). Bursts of one signal may coalesce into one call, as with
// asyncio. A byte written while no loop watches stays in the pipe until a
// watch starts; marks of a signal are cleared when its handler is first
// installed, so nothing that arrived before add_signal_handler is
// delivered.
//
// The previous disposition of a signal is saved when weft installs its
// handler and restored when the signal's handler is removed, and when the
// loop that registered it is destroyed (runtime shutdown): the loop's watch
// callback owns a guard whose destruction, with the loop's reactor,
// removes that loop's handlers. So no signal is ever routed to a dead loop.
//
// Threads. add_signal_handler is called on the loop's thread (as
// add_reader, which it uses); remove_signal_handler from any thread. A
// loop's pipe watch is added and removed on that loop's thread only: when
// the last handler of a loop goes from another thread, the watch's removal
// is posted to the loop with call_soon_threadsafe.
#include <weft/errors.hpp>
#include <weft/scheduler/event_loop.hpp>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace weft::detail {

namespace {

// --- what the C handler touches: lock-free atomics only ----------------------

static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "the signal handler needs lock-free atomics");

// Set by the handler, exchanged to false by dispatch(). seq_cst on both
// sides: the mark is stored before the byte is written, and read after the
// byte was read, so a byte always finds its mark (or an earlier dispatch
// took the mark, and the byte only causes an empty pass).
std::atomic<bool> pending[NSIG];
// The pipe's write end, published once the pipe exists (never closed).
std::atomic<int> wake_write_fd{-1};

void on_signal(int sig) {
    const int saved = errno;
    if (sig > 0 && sig < NSIG) pending[sig].store(true);
    const int fd = wake_write_fd.load();
    if (fd >= 0) {
        const unsigned char b = static_cast<unsigned char>(sig);
        // A full pipe (EAGAIN) already guarantees a wake-up.
        [[maybe_unused]] const ssize_t n = ::write(fd, &b, 1);
    }
    errno = saved;
}

// --- the registry -------------------------------------------------------------

struct signal_slot {
    bool installed = false;        // our handler is the disposition
    struct sigaction previous {};  // restored when the handler goes
    event_loop* loop = nullptr;    // null: no handler
    std::shared_ptr<std::function<void()>> callback;
};

struct loop_guard;

struct loop_info {
    std::size_t handlers = 0;     // signals whose handler runs on this loop
    loop_guard* watch = nullptr;  // the guard of the loop's pipe watch, if any
};

/// Invariant: a loop with handlers > 0 has a watch, whose guard removes
/// the loop's handlers when the loop is destroyed; so every loop named by
/// a slot is alive while the mutex is held.
struct registry {
    std::mutex mutex;
    signal_slot slots[NSIG];
    std::unordered_map<event_loop*, loop_info> loops;
    int pipe_read = -1;
};

/// Never destroyed: a signal may arrive, and a loop may be destroyed, while
/// static destructors run at exit.
registry& reg() {
    static registry* r = new registry;
    return *r;
}

/// Creates the self-pipe once (mutex held). Throws std::system_error.
void ensure_pipe_locked(registry& r) {
    if (r.pipe_read >= 0) return;
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
        throw std::system_error(errno, std::system_category(), "add_signal_handler: pipe2 for signal wake-ups");
    r.pipe_read = fds[0];
    wake_write_fd.store(fds[1]);
}

/// Restores sig's previous disposition and forgets its handler (mutex held).
void clear_slot_locked(registry& r, int sig) noexcept {
    signal_slot& s = r.slots[sig];
    if (s.installed) ::sigaction(sig, &s.previous, nullptr);
    s.installed = false;
    s.loop = nullptr;
    s.callback.reset();
}

/// Owned by a loop's pipe-watch callback (copies of it live only on the
/// loop's thread). Destroyed when the watch is removed (retiring: nothing
/// to do) or when the loop's reactor goes with the loop (not retiring):
/// then every handler of that loop is removed, before the loop is freed.
struct loop_guard {
    event_loop* loop;
    bool retiring = false;  // under the registry mutex
    explicit loop_guard(event_loop* l) noexcept : loop(l) {}
    loop_guard(const loop_guard&) = delete;
    loop_guard& operator=(const loop_guard&) = delete;
    ~loop_guard() {
        registry& r = reg();
        std::lock_guard<std::mutex> g(r.mutex);
        if (retiring) return;
        for (int sig = 1; sig < NSIG; ++sig)
            if (r.slots[sig].loop == loop) clear_slot_locked(r, sig);
        r.loops.erase(loop);
    }
};

/// The pipe watch's callback: drain the pipe, then queue the callback of
/// every pending signal on its loop.
void dispatch() {
    registry& r = reg();
    unsigned char buf[256];
    while (::read(r.pipe_read, buf, sizeof buf) > 0) {
    }
    event_loop* here = running_loop();
    for (int sig = 1; sig < NSIG; ++sig) {
        if (!pending[sig].exchange(false)) continue;
        std::lock_guard<std::mutex> g(r.mutex);
        const signal_slot& s = r.slots[sig];
        if (!s.loop) continue;  // removed since it arrived
        auto run = [cb = s.callback] { (*cb)(); };
        // Under the mutex, s.loop is alive (see registry).
        try {
            if (s.loop == here)
                s.loop->call_soon(std::move(run));
            else
                s.loop->call_soon_threadsafe(std::move(run));
        } catch (const error&) {
            // That loop was closed: its handlers go when it is destroyed.
        }
    }
}

/// On loop's thread: removes its pipe watch if it has no handler left.
void retire_watch_if_idle(event_loop& loop) noexcept {
    registry& r = reg();
    int fd;
    {
        std::lock_guard<std::mutex> g(r.mutex);
        auto it = r.loops.find(&loop);
        if (it == r.loops.end() || it->second.handlers > 0) return;
        if (it->second.watch) it->second.watch->retiring = true;
        r.loops.erase(it);
        fd = r.pipe_read;
    }
    try {
        loop.remove_reader(fd);  // destroys the guard (retiring: no-op)
    } catch (...) {
        // Closed loop: the watch goes with the loop.
    }
}

/// After loop lost its last handler (mutex held): retire its watch on its
/// own thread, now (returns true: the caller calls retire_watch_if_idle
/// after unlocking) or posted.
bool retire_later_locked(event_loop& loop) noexcept {
    if (loop.on_loop_thread()) return true;
    event_loop* l = &loop;
    auto later = [l] { retire_watch_if_idle(*l); };
    try {
        loop.call_soon_threadsafe(std::move(later));
    } catch (...) {
        // Closed loop (or no memory): the watch goes with the loop.
    }
    return false;
}

void check_signal(int sig, const char* what) {
    if (sig <= 0 || sig >= NSIG)
        throw value_error(std::string(what) + "(): invalid signal number " + std::to_string(sig));
    if (sig == SIGKILL || sig == SIGSTOP)
        throw value_error(std::string(what) + "(): signal " + std::to_string(sig) + " (" +
                          (sig == SIGKILL ? "SIGKILL" : "SIGSTOP") + ") cannot be caught");
    struct sigaction current {};
    if (::sigaction(sig, nullptr, &current) != 0)  // glibc refuses the signals it reserves
        throw value_error(std::string(what) + "(): signal " + std::to_string(sig) +
                          " is reserved by the C library");
}

} // namespace

} // namespace weft::detail

namespace weft {

void event_loop::add_signal_handler(int sig, std::function<void()> f) {
    using namespace detail;
    check_open("add_signal_handler");
    if (!on_loop_thread())
        throw error("add_signal_handler(): call it from the thread running the loop "
                    "(use call_soon_threadsafe)");
    check_signal(sig, "add_signal_handler");
    if (!f) throw value_error("add_signal_handler(): empty callback");
    auto cb = std::make_shared<std::function<void()>>(std::move(f));

    registry& r = reg();
    int fd;
    bool watching;
    {
        std::lock_guard<std::mutex> g(r.mutex);
        ensure_pipe_locked(r);
        fd = r.pipe_read;
        auto it = r.loops.find(this);
        watching = it != r.loops.end() && it->second.watch;
    }
    // The watch first (on this thread, outside the mutex: add_reader may
    // fail, and a failed guard takes the mutex in its destructor).
    if (!watching) {
        auto guard = std::make_shared<loop_guard>(this);
        loop_guard* raw = guard.get();
        auto on_readable = [guard = std::move(guard)] { dispatch(); };
        add_reader(fd, std::move(on_readable));
        std::lock_guard<std::mutex> g(r.mutex);
        r.loops[this].watch = raw;
    }

    int failed = 0;
    bool retire_here = false;
    {
        std::lock_guard<std::mutex> g(r.mutex);
        signal_slot& s = r.slots[sig];
        if (!s.installed) {
            struct sigaction act {};
            act.sa_handler = &on_signal;
            act.sa_flags = SA_RESTART;
            sigemptyset(&act.sa_mask);
            pending[sig].store(false);  // nothing from before this call
            if (::sigaction(sig, &act, &s.previous) == 0)
                s.installed = true;
            else
                failed = errno;
        }
        if (!failed) {
            if (s.loop != this) {
                if (s.loop) {
                    // The signal moves here from another loop, which drops
                    // its watch if that was its last handler.
                    if (--r.loops[s.loop].handlers == 0) (void)retire_later_locked(*s.loop);
                }
                ++r.loops[this].handlers;
            }
            s.loop = this;
            s.callback = std::move(cb);
        } else {
            retire_here = r.loops[this].handlers == 0;
        }
    }
    if (failed) {
        if (retire_here) retire_watch_if_idle(*this);
        throw std::system_error(failed, std::system_category(),
                                "add_signal_handler: sigaction(" + std::to_string(sig) + ")");
    }
}

bool event_loop::remove_signal_handler(int sig) {
    using namespace detail;
    check_signal(sig, "remove_signal_handler");
    registry& r = reg();
    bool retire_here = false;
    {
        std::lock_guard<std::mutex> g(r.mutex);
        if (r.slots[sig].loop != this) return false;
        clear_slot_locked(r, sig);
        if (--r.loops[this].handlers == 0) retire_here = retire_later_locked(*this);
    }
    if (retire_here) retire_watch_if_idle(*this);
    return true;
}

} // namespace weft
