// Per-runtime services: objects that belong to a runtime (or to a standalone
// loop) rather than to one worker, created on first use and shut down when
// the runtime ends, after every task is done and before the workers stop.
// The default executors live here: the thread pool of to_thread and
// getaddrinfo (scheduler), and the oneTBB arenas (weft::executors), which
// the scheduler knows only as a loop_service.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace weft {
class event_loop;
class thread_pool_executor;
} // namespace weft

namespace weft::detail {

class loop_service {
public:
    virtual ~loop_service() = default;
    /// Waits (bounded) for the work the service was given, then takes no
    /// more. Called once, on the thread that ends the runtime.
    virtual void shutdown() noexcept = 0;
};

class loop_services {
public:
    loop_services() = default;
    loop_services(const loop_services&) = delete;
    loop_services& operator=(const loop_services&) = delete;
    ~loop_services();

    /// The service registered under key (the address of a static object of
    /// the caller's), made by make() -> std::unique_ptr<S> the first time.
    /// Any thread. After shutdown_all() throws weft::error saying that
    /// `what` was called while the runtime was shutting down.
    template <class S, class Make>
    S& get(const void* key, const char* what, Make&& make) {
        std::lock_guard<std::mutex> g(m_);
        check_open_locked(what);
        for (auto& [k, s] : list_)
            if (k == key) return static_cast<S&>(*s);
        std::unique_ptr<S> made = make();
        S& ref = *made;
        list_.emplace_back(key, std::move(made));
        return ref;
    }

    /// Shuts every service down, the newest first; later get() calls throw.
    /// Idempotent.
    void shutdown_all() noexcept;

    /// How long each service's shutdown waits for its work (set by the
    /// runtime before any service exists; read when a service is made).
    std::chrono::milliseconds shutdown_timeout{std::chrono::seconds(10)};

private:
    void check_open_locked(const char* what) const;

    std::mutex m_;
    std::vector<std::pair<const void*, std::unique_ptr<loop_service>>> list_;
    bool down_ = false;
};

/// The loop's default pool for blocking calls (to_thread, getaddrinfo): one
/// per runtime, made on first use. Throws weft::error while the runtime
/// shuts down. `what` names the caller for that message.
thread_pool_executor& default_thread_pool(event_loop& loop, const char* what);

} // namespace weft::detail
