// The default oneTBB executors of a runtime: one arena per NUMA node that
// oneTBB reports, made together on first use and shut down with the
// runtime's services (after its tasks, before its workers stop).
#include <weft/executors/run_in_executor.hpp>
#include <weft/executors/tbb_executor.hpp>
#include <weft/scheduler/topology.hpp>

#include "tbb_support.hpp"

#include <cstdio>
#include <memory>
#include <sched.h>
#include <vector>

namespace weft::detail {

namespace {

class default_tbb_service final : public loop_service {
public:
    explicit default_tbb_service(std::chrono::milliseconds shutdown_timeout) {
        for (int id : tbb_numa_nodes()) {
            tbb_executor_options o;
            o.shutdown_timeout = shutdown_timeout;
            o.numa_node = id;  // -1 when oneTBB sees no NUMA nodes: no constraint
            o.name = id < 0 ? std::string("default") : "default, NUMA node " + std::to_string(id);
            arenas_.push_back(std::make_unique<tbb_executor>(std::move(o)));
        }
    }

    /// The arena for the NUMA node with this logical index (hwloc's order,
    /// which is also oneTBB's), or the first one.
    tbb_executor& for_node(int node) noexcept {
        if (node < 0 || static_cast<std::size_t>(node) >= arenas_.size()) return *arenas_.front();
        return *arenas_[static_cast<std::size_t>(node)];
    }

    void shutdown() noexcept override {
        for (auto& a : arenas_) {
            const std::size_t left = a->shutdown();
            if (left > 0)
                std::fprintf(stderr,
                             "weft: runtime shutdown: %zu call(s) on %s still running after %lld ms; "
                             "they are left to finish on their own\n",
                             left, a->describe().c_str(),
                             static_cast<long long>(a->options().shutdown_timeout.count()));
        }
    }

private:
    std::vector<std::unique_ptr<tbb_executor>> arenas_;
};

const char default_tbb_key = 0;

/// The NUMA node of the CPU this thread runs on now, for unpinned workers.
int current_numa_node() noexcept {
    const int cpu = ::sched_getcpu();
    if (cpu < 0) return -1;
    try {
        const pu_info* pu = topology::machine().find_pu(static_cast<unsigned>(cpu));
        return pu ? static_cast<int>(pu->numa) : -1;
    } catch (...) {
        return -1;
    }
}

} // namespace

executor& default_tbb_executor(event_loop& loop, const char* what) {
    auto& service = loop.services().get<default_tbb_service>(
        &default_tbb_key, what,
        [&loop] { return std::make_unique<default_tbb_service>(loop.services().shutdown_timeout); });
    const int node = loop.numa_node() >= 0 ? loop.numa_node() : current_numa_node();
    return service.for_node(node);
}

} // namespace weft::detail
