// Startup and shutdown of a runtime.
//
// Startup: resolve the worker count, create one event_loop per worker, start
// one thread per loop (pinned per the options), each running run_forever().
//
// Shutdown protocol (runtime::shutdown):
//   1. Refuse new submissions (closed_).
//   2. Cancellation round: on every worker, through its inbox, cancel every
//      task of that loop that is not done. Cancelled tasks run their cleanup
//      (which may await and even create tasks).
//   3. Wait until every loop reports zero pending tasks. Loops report through
//      their idle observer whenever their count drops to zero; a bounded wait
//      starts a new round (2) for tasks that were created during the round or
//      that caught the cancellation and went on waiting.
//   4. Stop every loop, join every thread, close every loop. Callbacks still
//      queued are dropped by close().
#include <weft/scheduler/runtime.hpp>
#include <weft/scheduler/task.hpp>

#include "diagnostics.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <sched.h>
#include <string_view>

namespace weft {

namespace {

unsigned allowed_cpu_count() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return static_cast<unsigned>(n);
    }
    unsigned hc = std::thread::hardware_concurrency();
    return hc ? hc : 1;
}

std::vector<unsigned> allowed_cpus() {
    std::vector<unsigned> out;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (unsigned c = 0; c < CPU_SETSIZE; ++c)
            if (CPU_ISSET(c, &set)) out.push_back(c);
    return out;
}

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
    std::string_view s(v);
    if (s == "none") return pinning_policy::none;
    if (s == "compact") return pinning_policy::compact;
    if (s == "scatter") return pinning_policy::scatter;
    if (s == "numa") return pinning_policy::numa;
    std::vector<unsigned> cpus;
    while (!s.empty()) {
        auto comma = s.find(',');
        cpus.push_back(parse_unsigned(s.substr(0, comma), "WEFT_PIN"));
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return pinning::cpu_list(std::move(cpus));
}

/// The cpu worker i pins to, or -1 for no pinning. Without the topology
/// (the hwloc planner) compact, scatter and numa all use the allowed cpus in
/// order; an explicit list is used as given.
int cpu_for_worker(const pinning& p, const std::vector<unsigned>& allowed, std::size_t i) {
    if (p.policy == pinning_policy::none) return -1;
    if (p.policy == pinning_policy::cpu_list) {
        if (p.cpus.empty()) throw value_error("runtime_options::pinning: the cpu list is empty");
        return static_cast<int>(p.cpus[i % p.cpus.size()]);
    }
    if (allowed.empty()) return -1;
    return static_cast<int>(allowed[i % allowed.size()]);
}

} // namespace

unsigned resolve_worker_count(unsigned requested) {
    if (requested > 0) return requested;
    if (const char* v = std::getenv("WEFT_WORKERS"); v && *v) {
        unsigned n = parse_unsigned(v, "WEFT_WORKERS");
        if (n > 0) return n;
    }
    return allowed_cpu_count();
}

runtime::runtime(runtime_options opts) : opts_(std::move(opts)) {
    opts_.workers = resolve_worker_count(opts_.workers);
    opts_.pinning = pinning_from_env(opts_.pinning);
    if (opts_.local_queue_capacity == 0)
        throw value_error("runtime_options::local_queue_capacity must be positive");
    const bool debug = opts_.debug || detail::debug_from_environment();
    for (unsigned i = 0; i < opts_.workers; ++i) {
        auto loop = std::make_unique<event_loop>();
        loop->set_debug(debug);
        loop->slow_callback_duration = opts_.slow_callback_duration;
        loop->set_idle_observer([this] {
            std::lock_guard<std::mutex> g(idle_mutex_);
            idle_cv_.notify_all();
        });
        loops_.push_back(std::move(loop));
    }
    start_workers();
}

void runtime::start_workers() {
    const std::vector<unsigned> allowed = allowed_cpus();
    threads_.reserve(loops_.size());
    for (std::size_t i = 0; i < loops_.size(); ++i) {
        int cpu = cpu_for_worker(opts_.pinning, allowed, i);
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

void runtime::cancel_round() noexcept {
    for (auto& l : loops_) {
        event_loop* loop = l.get();
        try {
            loop->call_soon_threadsafe([loop] {
                for (detail::task_base* t : loop->pending_tasks_snapshot()) {
                    t->cancel({});
                    t->release();
                }
            });
        } catch (...) {
            // The loop is closed: nothing of it is left to cancel.
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
        cancel_round();
        std::unique_lock<std::mutex> g(idle_mutex_);
        idle_cv_.wait_for(g, std::chrono::milliseconds(50), [&] { return pending() == 0; });
    }
    for (auto& l : loops_) l->stop();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    for (auto& l : loops_) {
        try {
            l->close();
        } catch (...) {
        }
    }
}

} // namespace weft
