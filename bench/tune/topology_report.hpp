// The topology as weft sees it through hwloc, and the worker plan of every
// pinning policy, printed for a user deciding how to run on this machine.
#pragma once

#include <weft/scheduler/topology.hpp>

#include <ostream>
#include <vector>

namespace weft_tune {

/// The CPUs this process may run on (sched_getaffinity), ascending.
std::vector<unsigned> allowed_cpus();

/// "0-3,8,10-11": a cpu list as taskset and WEFT_PIN write it.
std::string cpu_list(std::vector<unsigned> cpus);

/// Packages, NUMA nodes (with distances when known), L3 and L2 groups,
/// cores and PUs, each with the OS cpu numbers it holds, and the allowed
/// cpuset. `is_machine` adds what only the real machine has: the
/// process's affinity mask and the cache sizes the kernel reports.
void print_topology(std::ostream& out, const weft::topology& topo, bool is_machine);

/// plan_workers(topo, workers, policy).describe() for none, compact,
/// scatter and numa.
void print_plans(std::ostream& out, const weft::topology& topo, unsigned workers);

} // namespace weft_tune
