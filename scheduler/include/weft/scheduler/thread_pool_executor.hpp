// weft::thread_pool_executor: an elastic pool of threads for blocking calls
// (to_thread, getaddrinfo): a call that sleeps in the kernel holds a thread
// of its own, never a worker or a oneTBB arena slot.
//
// Threads start on demand, up to max_threads, and a thread idle for
// idle_timeout retires. Jobs start in submission order. shutdown() stops
// taking work, lets the queued and running jobs finish, and joins the
// threads, waiting at most shutdown_timeout: a call stuck in the kernel
// must not hang the program, so threads still busy then are detached and
// finish on their own (they keep the pool's shared state alive).
#pragma once

#include <weft/scheduler/executor.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace weft {

struct thread_pool_options {
    /// 0: min(32, hardware threads + 4), as Python's ThreadPoolExecutor.
    unsigned max_threads = 0;
    std::chrono::milliseconds idle_timeout{10'000};
    std::chrono::milliseconds shutdown_timeout{10'000};
    std::string name = "blocking";
};

class thread_pool_executor final : public executor {
public:
    explicit thread_pool_executor(thread_pool_options opts = {});
    /// shutdown(), unless it was called already.
    ~thread_pool_executor() override;

    /// Throws weft::error after shutdown(), std::system_error if no thread
    /// runs and none can be started.
    void execute(detail::unique_function<void()> job) override;
    std::string describe() const override;

    /// Stops taking work and waits, at most shutdown_timeout, until the
    /// queued and running jobs are done. Returns how many jobs were still
    /// running or queued when the wait ended (0: all done, every thread
    /// joined). Idempotent; not from a job of this pool.
    std::size_t shutdown() noexcept;

    struct counts {
        std::size_t threads = 0;  ///< started and not retired
        std::size_t idle = 0;     ///< of those, waiting for a job
        std::size_t queued = 0;   ///< jobs not started yet
        std::size_t running = 0;  ///< jobs started and not finished
    };
    counts snapshot() const;
    const thread_pool_options& options() const noexcept { return opts_; }

    struct shared;

private:
    thread_pool_options opts_;
    std::shared_ptr<shared> s_;
};

} // namespace weft
