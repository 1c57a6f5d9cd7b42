// Startup and shutdown of a runtime.
//
// Startup: resolve the worker count, plan placement and steal orders from the
// machine's topology, create one event_loop and one worker per slot, start
// one thread per worker (pinned per the plan), each running run_forever().
//
// Shutdown protocol (runtime::shutdown):
//   1. Refuse new submissions (closed_).
//   2. Cancellation round: cancel every task of every loop that is not done
//      (cancel() acts from any thread). Cancelled tasks run their cleanup
//      (which may await and even create tasks).
//   3. Wait until every loop reports zero pending tasks. Loops report through
//      their idle observer whenever their count drops to zero; a bounded wait
//      starts a new round (2) for tasks that were created during the round or
//      that caught the cancellation and went on waiting.
//   4. Shut the runtime's services down: the default executors finish what
//      they were given (a bounded wait).
//   5. Stop every loop, join every thread, drop queued task steps, close
//      every loop (callbacks still queued are dropped), write WEFT_TRACE.
#include <weft/scheduler/runtime.hpp>
#include <weft/scheduler/task.hpp>

#include "diagnostics.hpp"
#include "trace.hpp"
#include "worker.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <sched.h>
#include <string_view>

namespace weft {

namespace {

unsigned parse_unsigned(std::string_view s, const char* what) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
        throw value_error(std::string(what) + ": expected a non-negative integer, got '" +
                          std::string(s) + "'");
    return v;
}

pinning pinning_from_env(const pinning& fallback) {
    const char* v = std::getenv("WEFT_PIN");
    if (!v || !*v) return fallback;
    return parse_pinning(v);
}

bool chaos_enabled() {
#ifdef WEFT_CHAOS
    return true;
#else
    const char* v = std::getenv("WEFT_CHAOS");
    return v && *v && std::string_view(v) != "0";
#endif
}

std::uint64_t chaos_seed() {
    const char* v = std::getenv("WEFT_CHAOS_SEED");
    if (v && *v) return parse_unsigned(v, "WEFT_CHAOS_SEED");
    return 0;
}

} // namespace

unsigned resolve_worker_count(unsigned requested) {
    if (requested > 0) return requested;
    if (const char* v = std::getenv("WEFT_WORKERS"); v && *v) {
        unsigned n = parse_unsigned(v, "WEFT_WORKERS");
        if (n > 0) return n;
    }
    return default_worker_count();
}

runtime::runtime(runtime_options opts) : opts_(std::move(opts)) {
    opts_.workers = resolve_worker_count(opts_.workers);
    opts_.pinning = pinning_from_env(opts_.pinning);
    if (opts_.local_queue_capacity == 0)
        throw value_error("runtime_options::local_queue_capacity must be positive");
    const bool chaos = chaos_enabled();
    const std::uint64_t seed = chaos ? chaos_seed() : 0;
    plan_ = plan_workers(topology::machine(), opts_.workers, opts_.pinning, seed,
                         opts_.numa_aware_stealing);
    const bool debug = opts_.debug || detail::debug_from_environment();
    if (opts_.executor_shutdown_timeout.count() < 0)
        throw value_error("runtime_options::executor_shutdown_timeout must not be negative");
    services_->shutdown_timeout = opts_.executor_shutdown_timeout;
    std::vector<event_loop*> raw;
    std::vector<std::vector<unsigned>> orders;
    for (unsigned i = 0; i < opts_.workers; ++i) {
        auto loop = std::make_unique<event_loop>();
        loop->set_debug(debug);
        loop->set_preferred_io_backend(opts_.io_backend);
        loop->set_services(services_);
        loop->set_numa_node(plan_.workers[i].numa);
        loop->slow_callback_duration = opts_.slow_callback_duration;
        loop->set_idle_observer([this] {
            std::lock_guard<std::mutex> g(idle_mutex_);
            idle_cv_.notify_all();
        });
        raw.push_back(loop.get());
        orders.push_back(plan_.workers[i].steal_order);
        loops_.push_back(std::move(loop));
    }
    if (debug)
        for (const std::string& w : plan_.warnings)
            event_loop::default_exception_handler({"runtime: " + w, nullptr, {}});
    pool_ = std::make_unique<detail::worker_pool>(opts_, std::move(raw), std::move(orders), seed,
                                                  chaos);
    trace_path_ = detail::trace_path_from_environment();
    if (!trace_path_.empty())
        for (unsigned i = 0; i < opts_.workers; ++i) {
            traces_.push_back(std::make_unique<detail::trace_buffer>(i));
            pool_->at(i).trace = traces_.back().get();
        }
    start_workers();
}

void runtime::start_workers() {
    threads_.reserve(loops_.size());
    for (std::size_t i = 0; i < loops_.size(); ++i) {
        const int cpu = plan_.workers[i].pu;
        threads_.emplace_back([this, i, cpu] {
            if (cpu >= 0) {
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(cpu, &set);
                if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0 &&
                    loops_[i]->get_debug())
                    event_loop::default_exception_handler(
                        {"worker " + std::to_string(i) + ": could not pin to cpu " +
                             std::to_string(cpu),
                         nullptr, {}});
            }
            loops_[i]->run_forever();
        });
    }
}

runtime::~runtime() { shutdown(); }

std::vector<worker_metrics> runtime::metrics() const { return pool_->metrics(); }

void runtime::cancel_round() noexcept {
    // cancel() works from any thread; the snapshot is taken under each
    // loop's registry lock.
    for (auto& l : loops_) {
        for (detail::task_base* t : l->pending_tasks_snapshot()) {
            t->cancel({});
            t->release();
        }
    }
}

void runtime::shutdown() noexcept {
    if (closed_.exchange(true, std::memory_order_acq_rel)) return;
    auto pending = [this] {
        std::size_t n = 0;
        for (auto& l : loops_) n += l->pending_task_count();
        return n;
    };
    while (pending() > 0) {
        try {
            cancel_round();
        } catch (...) {
            // Only a snapshot's allocation can fail; the next round retries.
        }
        std::unique_lock<std::mutex> g(idle_mutex_);
        idle_cv_.wait_for(g, std::chrono::milliseconds(50), [&] { return pending() == 0; });
    }
    // The default executors finish what they were given (bounded; a call
    // still running then is reported and left to finish on its own), while
    // the workers still run: a job may complete a future or post to a loop.
    services_->shutdown_all();
    for (auto& l : loops_) l->stop();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    // A thread outside the runtime that woke the last task (completing a
    // future) may still be inside inject(): let it leave first.
    pool_->wait_for_injectors();
    // Steps still queued belong to tasks that close() destroys below; the
    // queues hold no references.
    pool_->discard_queued();
    for (auto& l : loops_) {
        try {
            l->close();
        } catch (...) {
        }
    }
    write_trace();
}

void runtime::write_trace() noexcept {
    if (trace_path_.empty()) return;
    try {
        std::vector<const detail::trace_buffer*> buffers;
        for (auto& b : traces_) buffers.push_back(b.get());
        detail::write_chrome_trace(trace_path_, buffers);
    } catch (...) {
        std::fputs("weft: WEFT_TRACE: out of memory writing the trace\n", stderr);
    }
}

} // namespace weft
