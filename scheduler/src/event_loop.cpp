#include <weft/scheduler/detail/task_state.hpp>
#include <weft/scheduler/event_loop.hpp>
#include <weft/scheduler/task.hpp>

#include "diagnostics.hpp"
#include "worker.hpp"

#include <algorithm>
#include <cstdio>

namespace weft {

namespace detail {

namespace {
thread_local event_loop* tls_running_loop = nullptr;
thread_local event_loop* tls_set_loop = nullptr;
} // namespace

event_loop* running_loop() noexcept { return tls_running_loop; }

void* callback_node::operator new(std::size_t n) { return frame_allocate(n, block_kind::state); }
void callback_node::operator delete(void* p, std::size_t n) noexcept {
    frame_deallocate(p, n, block_kind::state);
}

void run_loop_until_done(event_loop& loop, future_state_base* s) {
    if (loop.is_running()) throw error("run_until_complete(): this event loop is already running");
    if (!s->done()) {
        s->add_callback([&loop](future_state_base&) { loop.stop(); });
        loop.run_forever();
    }
    if (!s->done())
        throw error("run_until_complete(): the event loop stopped before the future completed");
}

} // namespace detail

event_loop::event_loop() { debug_.store(detail::debug_from_environment(), std::memory_order_relaxed); }

event_loop::~event_loop() {
    if (!is_closed() && !is_running()) {
        try {
            close();
        } catch (...) {
        }
    }
    while (remote_callers_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
    // After close(): the frames it destroyed may have deregistered from the
    // driver. Objects that outlive the loop keep the driver itself alive.
    if (detail::io_driver* d = io_driver()) d->detach();
}

void event_loop::install_io_driver(detail::io_driver* d) {
    if (!d) throw value_error("install_io_driver(): null driver");
    if (is_running() && !on_loop_thread())
        throw error("install_io_driver(): only the thread running the loop may install its driver");
    if (io_driver()) throw error("install_io_driver(): the loop has an I/O driver already");
    // Taken under the inbox lock, so a thread that sees sleeping_ under the
    // same lock sees the driver too (notify_sleeper).
    std::lock_guard<std::mutex> g(inbox_mutex_);
    io_driver_.store(d, std::memory_order_relaxed);
}

void event_loop::notify_sleeper() noexcept {
    // The caller saw sleeping_ under inbox_mutex_; the driver, if any, was
    // installed before the loop thread set sleeping_ under the same lock.
    if (detail::io_driver* d = io_driver())
        d->wake();
    else
        inbox_cv_.notify_one();
}

template <class Pred>
void event_loop::sleep_locked(std::unique_lock<std::mutex>& g, Pred woken) {
    if (woken()) return;
    if (detail::io_driver* d = io_driver()) {
        // Wakers that see sleeping_ write the driver's eventfd, which makes
        // this poll (or the next one) return at once: no wake is lost
        // between the unlock and the poll.
        std::chrono::nanoseconds timeout(-1);
        if (!timers_.empty())
            timeout = std::max(std::chrono::nanoseconds(0),
                               std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   timers_.next_deadline() - clock::now()));
        g.unlock();
        try {
            d->poll(timeout);
        } catch (...) {
            g.lock();
            call_exception_handler({"I/O driver poll failed", std::current_exception(), {}});
            return;
        }
        g.lock();
        return;
    }
    if (timers_.empty())
        inbox_cv_.wait(g, woken);
    else
        inbox_cv_.wait_until(g, timers_.next_deadline(), woken);
}

void event_loop::check_open(const char* what) const {
    if (is_closed()) throw error(std::string(what) + "() called on a closed event loop");
}

void handle::cancel() noexcept {
    if (!n_) return;
    // Release pairs with the acquire load in run_callback_node / fire.
    n_->cancelled.store(true, std::memory_order_release);
    event_loop* l = n_->loop;
    if (n_->queued() && l->on_loop_thread()) {
        // Timer still waiting: take it out now rather than when it expires.
        l->remove_timer(n_);
        n_->release();  // the heap's reference
    }
}

void event_loop::run_callback_node(detail::runnable* r) noexcept {
    auto* n = static_cast<detail::callback_node*>(r);
    if (!n->cancelled.load(std::memory_order_acquire)) {
        try {
            n->fn();
        } catch (...) {
            n->loop->call_exception_handler({"Exception in callback", std::current_exception(), {}});
        }
    }
    n->fn.reset();  // release captures now, not when the last handle goes
    n->release();   // the queue's reference
}

void event_loop::fire_callback_node(detail::timer_node* t) noexcept {
    auto* n = static_cast<detail::callback_node*>(t);
    if (n->cancelled.load(std::memory_order_acquire)) {
        n->release();
        return;
    }
    n->loop->post_ready(n);  // the heap's reference moves to the ready queue
}

void event_loop::post_ready(detail::runnable* r) noexcept {
    // Before the loop runs, its owner may queue directly (asyncio allows
    // call_soon before run_forever); once it runs, only its thread may.
    if (on_loop_thread() || !is_running())
        ready_.push(r);
    else
        post_remote(r);
}

namespace {
/// Counts a post_remote() / wake() call in progress (see remote_callers_).
struct remote_call {
    std::atomic<unsigned>& n;
    explicit remote_call(std::atomic<unsigned>& c) noexcept : n(c) {
        // Relaxed: what is posted is published after this (inbox_mutex_),
        // and the destructor runs only after that was consumed.
        n.fetch_add(1, std::memory_order_relaxed);
    }
    ~remote_call() {
        // Release: pairs with the destructor's acquire load.
        n.fetch_sub(1, std::memory_order_release);
    }
};
} // namespace

void event_loop::post_remote(detail::runnable* r) noexcept {
    remote_call busy(remote_callers_);
    bool wake;
    {
        std::lock_guard<std::mutex> g(inbox_mutex_);
        inbox_.push(r);
        inbox_hint_.store(true, std::memory_order_relaxed);
        wake = sleeping_;
    }
    if (wake) notify_sleeper();
}

void event_loop::wake() noexcept {
    remote_call busy(remote_callers_);
    bool wake;
    {
        std::lock_guard<std::mutex> g(inbox_mutex_);
        wake_pending_ = true;
        wake = sleeping_;
    }
    if (wake) notify_sleeper();
}

void event_loop::schedule(detail::runnable* r) noexcept {
    if (on_loop_thread())
        ready_.push(r);
    else
        post_remote(r);
}

void event_loop::add_timer(detail::timer_node* t) {
    if (!on_loop_thread() && is_running())
        throw error("timers of an event loop can only be set from the thread running it "
                    "(use call_soon_threadsafe)");
    timers_.push(t);
}

void event_loop::remove_timer(detail::timer_node* t) noexcept {
    if (t->queued()) timers_.remove(t);
}

void event_loop::register_task(detail::task_base* t) noexcept {
    detail::spin_guard g(registry_lock_);
    t->reg_prev = nullptr;
    t->reg_next = registry_head_;
    if (registry_head_) registry_head_->reg_prev = t;
    registry_head_ = t;
    t->registered = true;
    // A plain increment under the lock (one writer at a time); release pairs
    // with the acquire load in pending_task_count().
    task_count_.store(task_count_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void event_loop::unregister_task(detail::task_base* t) noexcept {
    bool idle = false;
    {
        detail::spin_guard g(registry_lock_);
        if (!t->registered) return;
        if (t->reg_prev)
            t->reg_prev->reg_next = t->reg_next;
        else
            registry_head_ = t->reg_next;
        if (t->reg_next) t->reg_next->reg_prev = t->reg_prev;
        t->reg_prev = t->reg_next = nullptr;
        t->registered = false;
        // A plain decrement under the lock (one writer at a time); release
        // pairs with the acquire load in pending_task_count().
        const std::size_t left = task_count_.load(std::memory_order_relaxed) - 1;
        task_count_.store(left, std::memory_order_release);
        idle = left == 0;
    }
    if (idle && idle_observer_) idle_observer_();
}

std::vector<detail::task_base*> event_loop::pending_tasks_snapshot() const {
    std::vector<detail::task_base*> out;
    detail::spin_guard g(registry_lock_);
    out.reserve(task_count_.load(std::memory_order_relaxed));
    for (detail::task_base* t = registry_head_; t; t = t->reg_next) {
        if (t->done()) continue;
        t->add_ref();
        out.push_back(t);
    }
    return out;
}

void event_loop::set_exception_handler(exception_handler h) {
    detail::spin_guard g(handler_lock_);
    handler_ = std::move(h);
}

event_loop::exception_handler event_loop::get_exception_handler() const {
    detail::spin_guard g(handler_lock_);
    return handler_;
}

void event_loop::call_exception_handler(const exception_context& ctx) noexcept {
    exception_handler h;
    {
        detail::spin_guard g(handler_lock_);
        h = handler_;
    }
    if (!h) {
        default_exception_handler(ctx);
        return;
    }
    try {
        h(*this, ctx);
    } catch (...) {
        default_exception_handler({"Unhandled error in the exception handler",
                                   std::current_exception(), {}});
        default_exception_handler(ctx);
    }
}

void event_loop::default_exception_handler(const exception_context& ctx) noexcept {
    std::string text = "weft: " + ctx.message;
    if (!ctx.task_name.empty()) text += " [" + ctx.task_name + "]";
    if (ctx.exception) {
        try {
            std::rethrow_exception(ctx.exception);
        } catch (const std::exception& e) {
            text += ": ";
            text += e.what();
        } catch (const cancelled_error& e) {
            text += ": cancelled_error: ";
            text += e.what();
        } catch (...) {
            text += ": (non-standard exception)";
        }
    }
    text += "\n";
    std::fputs(text.c_str(), stderr);
}

void event_loop::stop() noexcept {
    stop_requested_.store(true, std::memory_order_release);
    bool wake;
    {
        std::lock_guard<std::mutex> g(inbox_mutex_);
        wake = sleeping_;
    }
    if (wake) notify_sleeper();
}

void event_loop::run_forever() {
    check_open("run_forever");
    if (is_running()) throw error("run_forever(): this event loop is already running");
    if (detail::tls_running_loop)
        throw error("run_forever(): another event loop is already running on this thread");
    running_.store(true, std::memory_order_release);
    detail::tls_running_loop = this;
    struct reset {
        event_loop* l;
        ~reset() {
            detail::tls_running_loop = nullptr;
            l->stop_requested_.store(false, std::memory_order_relaxed);
            l->running_.store(false, std::memory_order_release);
        }
    } r{this};
    if (worker_) {
        detail::worker_run(*worker_);
        return;
    }
    for (;;) {
        run_once();
        if (stop_requested_.load(std::memory_order_acquire)) break;
    }
}

void event_loop::wait_for_work() {
    std::unique_lock<std::mutex> g(inbox_mutex_);
    sleeping_ = true;
    auto woken = [this] {
        return !inbox_.empty() || wake_pending_ || stop_requested_.load(std::memory_order_acquire);
    };
    sleep_locked(g, woken);
    sleeping_ = false;
    wake_pending_ = false;
    ready_.splice(inbox_);
    inbox_hint_.store(false, std::memory_order_relaxed);
}

void event_loop::drain_inbox() noexcept {
    // Relaxed hint: see inbox_hint_.
    if (!inbox_hint_.load(std::memory_order_relaxed)) return;
    std::lock_guard<std::mutex> g(inbox_mutex_);
    ready_.splice(inbox_);
    inbox_hint_.store(false, std::memory_order_relaxed);
}

std::size_t event_loop::fire_due_timers() {
    if (timers_.empty()) return 0;
    std::size_t fired = 0;
    const auto now = clock::now();
    while (!timers_.empty() && timers_.next_deadline() <= now) {
        detail::timer_node* t = timers_.pop();
        t->fire(t);
        ++fired;
    }
    return fired;
}

std::size_t event_loop::run_ready_snapshot() {
    std::size_t n = ready_.size();
    const std::size_t ran = n;
    const bool debug = get_debug();
    while (n-- > 0) {
        detail::runnable* r = ready_.pop();
        if (!r) break;
        if (worker_ && r->run == &detail::task_base::run_step) detail::worker_count_step(*worker_);
        if (debug)
            run_ready_item(r);
        else
            r->run(r);
        if (worker_) detail::worker_flush(*worker_);
    }
    return ran;
}

void event_loop::run_once() {
    // Sleep only when nothing is ready and no stop is pending; wake for the
    // next timer, a post from another thread, or stop().
    if (ready_.empty() && !stop_requested_.load(std::memory_order_acquire)) {
        std::unique_lock<std::mutex> g(inbox_mutex_);
        if (inbox_.empty()) {
            sleeping_ = true;
            auto quiet = [this] {
                return !inbox_.empty() || stop_requested_.load(std::memory_order_acquire);
            };
            sleep_locked(g, quiet);
            sleeping_ = false;
        }
        ready_.splice(inbox_);
        inbox_hint_.store(false, std::memory_order_relaxed);
    } else {
        drain_inbox();
        // Busy: look at I/O without blocking, as asyncio's select(0).
        poll_io();
    }
    fire_due_timers();
    // Run what was ready when this iteration began; what those items make
    // ready runs in the next iteration (asyncio's ntodo rule).
    run_ready_snapshot();
}

void event_loop::run_ready_item(detail::runnable* r) {
    const auto start = clock::now();
    std::string who;
    if (r->run == &detail::task_base::run_step)
        who = static_cast<detail::task_base*>(static_cast<detail::task_run_link*>(r))->describe();
    r->run(r);
    const auto took = clock::now() - start;
    if (took > slow_callback_duration) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.3f",
                      std::chrono::duration<double>(took).count());
        call_exception_handler({"Executing " + (who.empty() ? std::string("callback") : who) +
                                    " took " + buf + " seconds",
                                nullptr, who});
    }
}

void event_loop::close() {
    if (is_running()) throw error("close(): cannot close a running event loop");
    if (closed_.exchange(true, std::memory_order_acq_rel)) return;
    // Pending tasks of a closed loop will never run: destroy their frames so
    // that their locals are released, and end them as cancelled. Their
    // timers go first, because a frame's destructor may look at its timer.
    while (!timers_.empty()) {
        detail::timer_node* t = timers_.pop();
        if (t->fire == &fire_callback_node) static_cast<detail::callback_node*>(t)->release();
    }
    drain_inbox();
    std::vector<detail::task_base*> tasks = pending_tasks_snapshot();
    drop_ready();
    event_loop* prev = detail::tls_running_loop;
    detail::tls_running_loop = this;  // reports from destructors go to this loop's handler
    for (detail::task_base* t : tasks) {
        if (!t->done()) t->abandon_frame();
        t->release();
    }
    // Callbacks posted by the abandoned tasks' completion are dropped too.
    drain_inbox();
    drop_ready();
    detail::tls_running_loop = prev;
    // A standalone loop's default executors finish what they were given
    // (bounded); a runtime's loops share services the runtime shut down
    // already, and this is a no-op.
    services_->shutdown_all();
}

void event_loop::drop_ready() noexcept {
    // Callback nodes and cancel deliveries hold references; task steps do not
    // (the task's coroutine holds the task's reference).
    while (detail::runnable* r = ready_.pop()) {
        if (r->run == &run_callback_node)
            static_cast<detail::callback_node*>(r)->release();
    }
}

event_loop& get_running_loop() {
    if (!detail::tls_running_loop) throw error("get_running_loop(): no running event loop");
    return *detail::tls_running_loop;
}

event_loop& get_event_loop() {
    if (detail::tls_running_loop) return *detail::tls_running_loop;
    if (detail::tls_set_loop) return *detail::tls_set_loop;
    throw error("get_event_loop(): no running event loop and none set with set_event_loop()");
}

void set_event_loop(event_loop* loop) noexcept { detail::tls_set_loop = loop; }

std::unique_ptr<event_loop> new_event_loop() { return std::make_unique<event_loop>(); }

} // namespace weft
