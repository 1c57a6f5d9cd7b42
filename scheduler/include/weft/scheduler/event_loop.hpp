// weft::event_loop: asyncio's event loop, one per worker (and standalone
// ones from new_event_loop()).
//
// A loop is driven by one thread at a time (run_forever / run_until_complete).
// Each iteration, as asyncio's _run_once: take what other threads posted,
// move expired timers to the ready queue, then run exactly the callbacks and
// task steps that were ready when the iteration began; when nothing is ready,
// sleep until the next timer or a post from another thread.
//
// Thread safety: call_soon_threadsafe(), stop(), time() and the schedule()
// hook may be called from any thread; everything else from the thread running
// the loop (or, before it runs, from the thread that owns it).
#pragma once

#include <weft/errors.hpp>
#include <weft/scheduler/detail/io_driver.hpp>
#include <weft/scheduler/detail/loop_services.hpp>
#include <weft/scheduler/detail/runnable.hpp>
#include <weft/scheduler/detail/spinlock.hpp>
#include <weft/scheduler/detail/timer_queue.hpp>
#include <weft/scheduler/detail/unique_function.hpp>
#include <weft/scheduler/io_backend.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace weft {

using clock = std::chrono::steady_clock;

/// now + d on the loop clock. Negative durations count as zero; durations too
/// long to represent (hours::max()) saturate at clock::time_point::max().
template <class Rep, class Period>
clock::time_point deadline_after(std::chrono::duration<Rep, Period> d) noexcept {
    const auto now = clock::now();
    if (d <= std::chrono::duration<Rep, Period>::zero()) return now;
    using wide = std::chrono::duration<long double, std::nano>;
    if (wide(d) >= wide(clock::time_point::max() - now)) return clock::time_point::max();
    return now + std::chrono::duration_cast<clock::duration>(d);
}

template <class T>
class coro;
template <class T>
class task;
template <class T>
class future;
class event_loop;
class socket_address;
class executor;

namespace detail {
class task_base;
class worker;

/// A callback queued with call_soon / call_later / call_at. Reference counted:
/// the loop holds one reference while it is queued, each handle another.
struct callback_node : runnable, timer_node {
    std::atomic<std::uint32_t> refs{1};
    std::atomic<bool> cancelled{false};
    unique_function<void()> fn;
    event_loop* loop = nullptr;

    static void* operator new(std::size_t n);
    static void operator delete(void* p, std::size_t n) noexcept;
    void add_ref() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept {
        // acq_rel: the last release sees all writes of the other holders.
        if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
};

template <class F, class... Args>
auto bind_callback(F&& f, Args&&... args) {
    if constexpr (sizeof...(Args) == 0) {
        return std::forward<F>(f);
    } else {
        return [f = std::forward<F>(f),
                tup = std::make_tuple(std::forward<Args>(args)...)]() mutable {
            std::apply(f, tup);
        };
    }
}

event_loop* running_loop() noexcept;
} // namespace detail

/// What a loop's exception handler receives (asyncio's context dict).
struct exception_context {
    std::string message;
    std::exception_ptr exception;  // may be null
    std::string task_name;         // empty when no task is involved
};

/// Returned by call_soon / call_soon_threadsafe: cancel() prevents the call
/// if it has not run yet.
class handle {
public:
    handle() noexcept = default;
    explicit handle(detail::callback_node* n) noexcept : n_(n) {
        if (n_) n_->add_ref();
    }
    handle(const handle& o) noexcept : handle(o.n_) {}
    handle(handle&& o) noexcept : n_(std::exchange(o.n_, nullptr)) {}
    handle& operator=(handle o) noexcept {
        std::swap(n_, o.n_);
        return *this;
    }
    ~handle() {
        if (n_) n_->release();
    }
    /// Cancels the call (no effect once it ran). Any thread.
    void cancel() noexcept;
    bool cancelled() const noexcept {
        return n_ && n_->cancelled.load(std::memory_order_acquire);
    }

protected:
    detail::callback_node* n_ = nullptr;
};

/// Returned by call_later / call_at.
class timer_handle : public handle {
public:
    using handle::handle;
    /// The scheduled time, on the loop's clock.
    clock::time_point when() const noexcept { return n_ ? n_->when : clock::time_point{}; }
};

struct task_options {
    std::string name{};
    /// Whether another worker of the runtime may run the task. A task that
    /// is not stealable runs only on the loop that created it, in that
    /// loop's FIFO (call_soon order). Standalone loops ignore it.
    bool stealable = true;
};

class event_loop {
public:
    using exception_handler = std::function<void(event_loop&, const exception_context&)>;

    event_loop();
    ~event_loop();
    event_loop(const event_loop&) = delete;
    event_loop& operator=(const event_loop&) = delete;

    // --- callbacks ---------------------------------------------------------------
    /// Schedules f(args...) to run on this loop, after what is already ready,
    /// in FIFO order. Loop thread only.
    template <class F, class... Args>
    handle call_soon(F&& f, Args&&... args) {
        check_open("call_soon");
        auto* n = make_node(detail::bind_callback(std::forward<F>(f), std::forward<Args>(args)...));
        handle h(n);
        post_ready(n);
        return h;
    }
    /// As call_soon, from any thread; wakes the loop if it sleeps.
    template <class F, class... Args>
    handle call_soon_threadsafe(F&& f, Args&&... args) {
        check_open("call_soon_threadsafe");
        auto* n = make_node(detail::bind_callback(std::forward<F>(f), std::forward<Args>(args)...));
        handle h(n);
        post_remote(n);
        return h;
    }
    /// Schedules f(args...) after `delay` (negative delays count as zero).
    template <class Rep, class Period, class F, class... Args>
    timer_handle call_later(std::chrono::duration<Rep, Period> delay, F&& f, Args&&... args) {
        check_open("call_later");
        return call_at_impl(deadline_after(delay),
                            detail::bind_callback(std::forward<F>(f), std::forward<Args>(args)...));
    }
    /// Schedules f(args...) at `when` on this loop's clock (time()).
    template <class F, class... Args>
    timer_handle call_at(clock::time_point when, F&& f, Args&&... args) {
        check_open("call_at");
        return call_at_impl(when,
                            detail::bind_callback(std::forward<F>(f), std::forward<Args>(args)...));
    }
    /// The loop's monotonic clock.
    clock::time_point time() const noexcept { return clock::now(); }

    // --- futures and tasks (defined in future.hpp / task.hpp) -----------------
    template <class T = void>
    future<T> create_future();
    template <class T>
    task<T> create_task(coro<T> c, const task_options& opts = {});

    // --- running -------------------------------------------------------------------
    /// Runs until stop(). Throws weft::error if the loop is closed or already
    /// running, or if another loop runs on this thread.
    void run_forever();
    /// Runs until the coroutine, task or future completes; returns its result.
    template <class T>
    T run_until_complete(coro<T> c);
    template <class T>
    T run_until_complete(task<T> t);
    template <class T>
    T run_until_complete(future<T> f);
    /// Asks run_forever to return after the current iteration. Any thread.
    void stop() noexcept;
    /// Closes the loop: it must not be running. Pending callbacks are dropped;
    /// pending tasks of this loop are destroyed (they end cancelled). Later
    /// calls on the loop throw weft::error.
    void close();
    bool is_running() const noexcept { return running_.load(std::memory_order_acquire); }
    bool is_closed() const noexcept { return closed_.load(std::memory_order_acquire); }

    // --- file descriptors and sockets ------------------------------------------------
    // Declared here for asyncio's spelling (loop.add_reader, loop.sock_recv);
    // defined by weft::io, which installs the loop's reactor on first use.
    // Loop thread only; fd is the application's (never closed by the loop)
    // and must be non-blocking for the sock_* calls.

    /// Calls f() on this loop while fd is readable (level-triggered, as
    /// asyncio), until remove_reader(fd). Replaces an earlier reader of fd.
    void add_reader(int fd, std::function<void()> f);
    /// True if a reader was registered for fd.
    bool remove_reader(int fd);
    void add_writer(int fd, std::function<void()> f);
    bool remove_writer(int fd);
    /// Receives up to buf.size() bytes from the socket; 0 at end of stream.
    coro<std::size_t> sock_recv(int fd, std::span<std::byte> buf);
    /// Sends every byte of data (MSG_NOSIGNAL: never SIGPIPE).
    coro<void> sock_sendall(int fd, std::span<const std::byte> data);
    /// Accepts a connection on a listening socket: the new non-blocking,
    /// close-on-exec fd (the caller owns it) and the peer's address.
    coro<std::pair<int, socket_address>> sock_accept(int fd);
    /// Connects the socket to `to`, waiting for the handshake.
    coro<void> sock_connect(int fd, socket_address to);
    /// Runs f() on this loop when signal sig arrives (any thread of the
    /// process may receive it), until remove_signal_handler(sig). Throws
    /// value_error for SIGKILL/SIGSTOP or an invalid number.
    void add_signal_handler(int sig, std::function<void()> f);
    /// True if a handler was registered for sig.
    bool remove_signal_handler(int sig);

    // --- executors -------------------------------------------------------------------
    /// Runs f(args...) on ex, away from the event loops, and returns a coro
    /// that waits for its result (or rethrows its exception) without
    /// blocking the worker. f is handed to ex at once, as asyncio's
    /// run_in_executor. nullptr selects the default executor: a oneTBB arena
    /// on the calling worker's NUMA node. Cancelling the awaiting task
    /// raises cancelled_error in it at once and leaves f running; f's
    /// result is then dropped. Defined in <weft/executors.hpp>.
    template <class F, class... Args>
    auto run_in_executor(executor* ex, F&& f, Args&&... args);

    // --- errors and debugging -----------------------------------------------------
    void set_exception_handler(exception_handler h);
    exception_handler get_exception_handler() const;
    /// Passes ctx to the handler (or to default_exception_handler).
    void call_exception_handler(const exception_context& ctx) noexcept;
    /// Writes ctx to stderr.
    static void default_exception_handler(const exception_context& ctx) noexcept;
    void set_debug(bool on) noexcept { debug_.store(on, std::memory_order_relaxed); }
    bool get_debug() const noexcept { return debug_.load(std::memory_order_relaxed); }
    /// In debug mode, callbacks and task steps that run longer are reported.
    std::chrono::nanoseconds slow_callback_duration = std::chrono::milliseconds(100);

    // --- hooks for weft's own awaitables (not for applications) ---------------
    /// Queues r on this loop: directly when called on the loop's thread,
    /// through the inbox otherwise. Any thread.
    void schedule(detail::runnable* r) noexcept;
    /// As call_soon for a runnable: directly on the loop thread or before the
    /// loop runs (the owner's setup), through the inbox otherwise.
    void schedule_soon(detail::runnable* r) noexcept { post_ready(r); }
    /// Queues a stealable task step: on the current worker if this thread is
    /// one of the runtime's workers, else on the runtime's injection queue.
    /// Worker loops only.
    void schedule_stealable(detail::runnable* r) noexcept;
    /// True for a loop driven by a runtime worker (tasks may be stolen).
    bool has_workers() const noexcept { return worker_ != nullptr; }
    /// Binds the loop to its runtime worker (before it runs).
    void set_worker(detail::worker* w) noexcept { worker_ = w; }
    /// The loops of every worker of this loop's runtime (just this loop for
    /// a standalone one).
    std::vector<event_loop*> runtime_loops();
    /// True if both loops are workers of one runtime.
    bool same_runtime(const event_loop& other) const noexcept;
    /// Wakes the loop's thread if it waits for work (any thread).
    void wake() noexcept;
    /// Timers of this loop; loop thread only.
    void add_timer(detail::timer_node* t);
    void remove_timer(detail::timer_node* t) noexcept;
    /// Tasks of this loop that are not done yet (all_tasks(), shutdown).
    void register_task(detail::task_base* t) noexcept;
    void unregister_task(detail::task_base* t) noexcept;
    std::vector<detail::task_base*> pending_tasks_snapshot() const;
    std::size_t pending_task_count() const noexcept {
        return task_count_.load(std::memory_order_acquire);
    }
    /// Throws weft::error("<what>() called on a closed event loop") if closed.
    void check_open(const char* what) const;
    /// True on the thread currently running this loop.
    bool on_loop_thread() const noexcept { return detail::running_loop() == this; }
    /// Number of items in the ready queue (for tests and metrics).
    std::size_t ready_count() const noexcept { return ready_.size(); }
    /// Called with the loop's task count once it drops to zero (runtime shutdown).
    void set_idle_observer(std::function<void()> f) { idle_observer_ = std::move(f); }
    /// The loop's I/O driver, or null until weft::io installs one.
    detail::io_driver* io_driver() const noexcept {
        // Relaxed: only the loop's own thread installs the driver, and other
        // threads read it under inbox_mutex_ (see notify_sleeper).
        return io_driver_.load(std::memory_order_relaxed);
    }
    /// Makes the loop park in d (the loop takes ownership and calls
    /// d->detach() when it is destroyed). Loop thread, or before the loop
    /// runs; throws weft::error if a driver is installed already.
    void install_io_driver(detail::io_driver* d);
    /// The backend asked for by the runtime's options (automatic for a
    /// standalone loop).
    weft::io_backend preferred_io_backend() const noexcept { return io_backend_; }
    void set_preferred_io_backend(weft::io_backend b) noexcept { io_backend_ = b; }
    /// The runtime's services (default executors), shared by its loops; a
    /// standalone loop has its own. Any thread.
    detail::loop_services& services() const noexcept { return *services_; }
    void set_services(std::shared_ptr<detail::loop_services> s) noexcept { services_ = std::move(s); }
    /// The NUMA node of the processing unit the loop's worker is pinned to,
    /// or -1 when it is not pinned (standalone loops, pinning none).
    int numa_node() const noexcept { return numa_node_; }
    void set_numa_node(int node) noexcept { numa_node_ = node; }
    /// Polls the I/O driver without blocking, if there is one. Loop thread.
    void poll_io() {
        if (detail::io_driver* d = io_driver()) d->poll(std::chrono::nanoseconds(0));
    }

private:
    friend class detail::worker;

    template <class F>
    detail::callback_node* make_node(F&& f) {
        auto* n = new detail::callback_node;
        n->fn = std::forward<F>(f);
        n->loop = this;
        n->run = &run_callback_node;
        n->fire = &fire_callback_node;
        return n;
    }
    template <class F>
    timer_handle call_at_impl(clock::time_point when, F&& f) {
        auto* n = make_node(std::forward<F>(f));
        n->when = when;
        timer_handle h(n);
        add_timer(n);
        return h;
    }
    void post_ready(detail::runnable* r) noexcept;
    void post_remote(detail::runnable* r) noexcept;
    static void run_callback_node(detail::runnable* r) noexcept;
    static void fire_callback_node(detail::timer_node* t) noexcept;
    void run_once();
    void drain_inbox() noexcept;
    void drop_ready() noexcept;
    void run_ready_item(detail::runnable* r);
    /// Fires the timers that are due; returns how many fired.
    std::size_t fire_due_timers();
    /// Runs the items of the ready FIFO that were queued when called.
    std::size_t run_ready_snapshot();
    /// Waits until the inbox has items, wake() or stop() is called, or the
    /// next timer is due; then moves the inbox to the ready FIFO.
    void wait_for_work();
    /// Blocks (inbox_mutex_ held in g, sleeping_ set) until `woken()` or the
    /// next timer: in the I/O driver if there is one, else on inbox_cv_.
    template <class Pred>
    void sleep_locked(std::unique_lock<std::mutex>& g, Pred woken);
    /// Interrupts the sleep of the loop thread (after sleeping_ was seen true
    /// under inbox_mutex_).
    void notify_sleeper() noexcept;

    // Owned by the running thread.
    detail::runnable_fifo ready_;
    detail::timer_queue timers_;

    // Posted from other threads (call_soon_threadsafe, remote wakes).
    // Invariant: sleeping_ is true only while the loop thread waits on
    // inbox_cv_ with inbox_mutex_ held around its checks; a poster that finds
    // it true after appending notifies the condition variable.
    mutable std::mutex inbox_mutex_;
    std::condition_variable inbox_cv_;
    detail::runnable_fifo inbox_;
    bool sleeping_ = false;
    bool wake_pending_ = false;
    // A hint that inbox_ is not empty, read without the lock by a busy worker
    // (relaxed: a missed post is seen on the next tick or before parking).
    std::atomic<bool> inbox_hint_{false};
    detail::worker* worker_ = nullptr;
    std::atomic<detail::io_driver*> io_driver_{nullptr};
    // post_remote() / wake() calls in progress: the destructor waits for
    // them, because a poster may still be notifying after the item it
    // posted ran and the loop's owner went on to destroy the loop.
    std::atomic<unsigned> remote_callers_{0};
    weft::io_backend io_backend_ = weft::io_backend::automatic;
    std::shared_ptr<detail::loop_services> services_ = std::make_shared<detail::loop_services>();
    int numa_node_ = -1;

    std::atomic<bool> running_{false};
    std::atomic<bool> closed_{false};
    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> debug_{false};

    mutable detail::spinlock handler_lock_;
    exception_handler handler_;

    mutable detail::spinlock registry_lock_;
    detail::task_base* registry_head_ = nullptr;
    std::atomic<std::size_t> task_count_{0};
    std::function<void()> idle_observer_;
};

/// The loop running on this thread; throws weft::error outside a loop.
event_loop& get_running_loop();
/// The running loop, else the loop set for this thread with set_event_loop();
/// throws weft::error if neither exists.
event_loop& get_event_loop();
/// Sets (or with nullptr clears) this thread's current loop for get_event_loop().
void set_event_loop(event_loop* loop) noexcept;
/// A standalone loop driven by run_forever()/run_until_complete() on the
/// thread that calls them.
std::unique_ptr<event_loop> new_event_loop();

} // namespace weft
