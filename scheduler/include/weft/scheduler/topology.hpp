// The machine's topology (hwloc) and the pure worker planner that turns a
// topology and a pinning policy into a worker plan: the PU each worker pins
// to and the order in which it steals from its siblings. The planner only
// reads a `topology`, so tests drive it with hwloc synthetic topologies.
#pragma once

#include <weft/scheduler/pinning.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weft {

/// One allowed processing unit. Indexes are dense (0..n-1, in topology
/// order) over the allowed PUs, so two PUs share a core, cache or node
/// exactly when the indexes are equal.
struct pu_info {
    unsigned os_index = 0;  ///< the cpu number the OS uses (sched_setaffinity)
    unsigned core = 0;      ///< its core (the PU itself when hwloc knows no cores)
    unsigned l2 = 0;        ///< its L2 group; its core's index when there is no L2
    unsigned l3 = 0;        ///< its L3 group; its NUMA node's index when there is no L3
    unsigned numa = 0;      ///< its NUMA node; 0 when there is none
    unsigned package = 0;   ///< its package; 0 when there is none
};

class topology {
public:
    /// A topology from already discovered PUs (topology order). numa_distance,
    /// when not empty, is a numa_nodes() x numa_nodes() matrix of relative
    /// latencies (hwloc/ACPI SLIT style: smaller is nearer). For tests and
    /// tools; most code wants machine().
    explicit topology(std::vector<pu_info> pus, unsigned machine_pus = 0,
                      std::vector<std::vector<unsigned>> numa_distance = {});

    /// The machine, discovered once with hwloc (thread-safe lazy init),
    /// restricted to the process's allowed cpuset (sched_getaffinity) as it
    /// was at that first call. If hwloc fails, a flat topology of the
    /// allowed cpus (each its own core, one NUMA node).
    static const topology& machine();

    /// An hwloc synthetic topology, e.g. "pack:2 numa:2 core:8 pu:2" or
    /// "numa:4 l3:2 core:4 pu:1"; if `allowed` is not empty the topology is
    /// restricted to those PU os indexes (indexes the topology lacks are
    /// ignored). Throws value_error on a description hwloc rejects or an
    /// allowed set that leaves no PU.
    static topology from_synthetic(const std::string& description,
                                   const std::vector<unsigned>& allowed = {});

    /// Allowed PUs in topology (depth-first) order.
    const std::vector<pu_info>& pus() const noexcept { return pus_; }
    /// Counts of packages, NUMA nodes and cores with at least one allowed PU.
    unsigned packages() const noexcept { return packages_; }
    unsigned numa_nodes() const noexcept { return numa_nodes_; }
    unsigned cores() const noexcept { return cores_; }
    /// PUs of the whole machine, allowed or not.
    unsigned machine_pus() const noexcept { return machine_pus_; }
    /// NUMA latency matrix indexed by pu_info::numa; empty when unknown
    /// (synthetic topologies, firmware without a SLIT).
    const std::vector<std::vector<unsigned>>& numa_distance() const noexcept {
        return numa_distance_;
    }
    /// The allowed PU with this OS index, or nullptr.
    const pu_info* find_pu(unsigned os_index) const noexcept;
    /// One line, e.g. "2 packages, 4 NUMA nodes, 32 cores, 64 PUs (allowed: 64 of 64)".
    std::string describe() const;

private:
    std::vector<pu_info> pus_;
    unsigned packages_ = 0, numa_nodes_ = 0, cores_ = 0, machine_pus_ = 0;
    std::vector<std::vector<unsigned>> numa_distance_;
};

struct worker_placement {
    int pu = -1;    ///< OS index to pin to, -1 = not pinned
    int core = -1;  ///< pu's pu_info::core, -1 when not pinned (for describe())
    int numa = -1;  ///< pu's pu_info::numa, -1 when not pinned
    /// The other workers' indices, nearest first.
    std::vector<unsigned> steal_order;
    /// How many entries of steal_order are in each tier: same L2, same L3,
    /// same NUMA node, remote (always 4 entries; tiers are disjoint, each
    /// worker lands in the nearest one that applies).
    std::vector<unsigned> tier_sizes;
};

struct worker_plan {
    std::vector<worker_placement> workers;
    /// Things worth telling the user, e.g. "8 workers on 4 PUs: workers share PUs (wrapped)".
    std::vector<std::string> warnings;
    /// Multi-line table: worker, pu, core, numa, steal order (tiers split by '|'),
    /// then the warnings.
    std::string describe() const;
};

/// Plans `workers` workers on `topo`. Pure: the same inputs give the same
/// plan (the seed only drives the rotations below, with a fixed generator).
///
/// Placement (worker i -> PU; every policy wraps when there are more workers
/// than PUs to use, and says so in warnings):
/// - compact: cores in topology order, first PU of each core first, so
///   workers get a core of their own before any shares one with an SMT
///   sibling; neighbouring workers share caches.
/// - scatter: round-robin over packages, then NUMA nodes within a package,
///   then L3 and L2 groups, then cores (first PUs before SMT siblings), to
///   spread workers over as many caches and memory controllers as possible.
/// - numa: workers split evenly over NUMA nodes in contiguous blocks
///   (node 0 gets workers 0..k-1, ...; a node with fewer PUs than its share
///   hands the excess to the others while any has room), compact within a
///   node, so a node's workers share its memory and caches.
/// - cpu_list: worker i -> cpus[i % size]. Throws value_error when the list
///   is empty or names a cpu that is not an allowed PU of topo.
/// - none: not pinned.
///
/// Steal order: the other workers, in tiers by the PUs they are pinned to
/// (same L2, same L3, same NUMA node, remote), each tier rotated by a
/// random offset drawn from (seed, worker, tier) so siblings do not all
/// start stealing from the same victim. With policy numa the remote tier is
/// further grouped by node, nearest node first (NUMA distance when known,
/// then same package, then the next node index cyclically, so node k's
/// workers first overflow onto node k+1 rather than all onto node 0); each
/// group is rotated. With policy none or numa_aware_stealing == false there
/// is one tier, counted as remote: the others in cyclic order after the
/// worker, rotated.
///
/// Throws value_error when workers == 0.
worker_plan plan_workers(const topology& topo, unsigned workers, const pinning& pin,
                         std::uint64_t seed = 0, bool numa_aware_stealing = true);

/// One worker per allowed core of the machine (what runtime_options::workers
/// = 0 means when WEFT_WORKERS is unset); at least 1.
unsigned default_worker_count();

/// Parses a WEFT_PIN value: "none" | "compact" | "scatter" | "numa" | a cpu
/// list such as "0,2,4" or "0-3,8" (in the given order, ranges ascending).
/// Throws value_error naming the bad token.
pinning parse_pinning(std::string_view text);

} // namespace weft
