#include "topology_report.hpp"

#include "sweep.hpp"

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <string>

#include <sched.h>

namespace weft_tune {

std::vector<unsigned> allowed_cpus() {
    std::vector<unsigned> cpus;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
    for (unsigned c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) cpus.push_back(c);
    return cpus;
}

std::string cpu_list(std::vector<unsigned> cpus) {
    std::sort(cpus.begin(), cpus.end());
    cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
    std::string s;
    for (std::size_t i = 0; i < cpus.size();) {
        std::size_t j = i;
        while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
        if (!s.empty()) s += ',';
        s += std::to_string(cpus[i]);
        if (j > i) {
            s += j == i + 1 ? ',' : '-';
            s += std::to_string(cpus[j]);
        }
        i = j + 1;
    }
    return s;
}

namespace {

/// One level of the hierarchy: its groups (by dense index) and the OS cpu
/// numbers of each, e.g. "L2 groups   2   [0] [1]".
template <class Key>
void print_level(std::ostream& out, const char* label, const weft::topology& topo, Key key) {
    std::map<unsigned, std::vector<unsigned>> groups;
    for (const weft::pu_info& p : topo.pus()) groups[key(p)].push_back(p.os_index);
    out << "  " << std::left << std::setw(12) << label << std::right << std::setw(4)
        << groups.size() << "  ";
    constexpr std::size_t shown = 16;  // a 256-PU machine needs no 256 brackets
    std::size_t i = 0;
    for (const auto& [k, cpus] : groups) {
        if (i++ == shown) {
            out << " ... (" << groups.size() - shown << " more)";
            break;
        }
        out << " [" << cpu_list(cpus) << "]";
    }
    out << '\n';
}

std::string read_line(const std::string& path) {
    std::ifstream in(path);
    std::string s;
    std::getline(in, s);
    return s;
}

/// "L1d 32K, L1i 32K, L2 512K, L3 32768K" for one cpu, from the kernel's
/// cache description (hwloc reads the same files; topology exposes which
/// PUs share a cache, not its size).
std::string cache_sizes(unsigned cpu) {
    std::string s;
    for (int i = 0; i < 16; ++i) {
        const std::string dir =
            "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cache/index" + std::to_string(i);
        const std::string level = read_line(dir + "/level");
        if (level.empty()) break;
        const std::string type = read_line(dir + "/type");
        const std::string suffix = type == "Data" ? "d" : type == "Instruction" ? "i" : "";
        if (!s.empty()) s += ", ";
        s += "L" + level + suffix + " " + read_line(dir + "/size");
    }
    return s;
}

bool same_plan(const weft::worker_plan& a, const weft::worker_plan& b) {
    if (a.workers.size() != b.workers.size()) return false;
    for (std::size_t i = 0; i < a.workers.size(); ++i)
        if (a.workers[i].pu != b.workers[i].pu || a.workers[i].steal_order != b.workers[i].steal_order ||
            a.workers[i].tier_sizes != b.workers[i].tier_sizes)
            return false;
    return true;
}

} // namespace

void print_topology(std::ostream& out, const weft::topology& topo, bool is_machine) {
    out << "topology (hwloc): " << topo.describe() << '\n';
    std::vector<unsigned> pus;
    for (const weft::pu_info& p : topo.pus()) pus.push_back(p.os_index);
    if (is_machine)
        out << "  allowed cpuset   " << cpu_list(allowed_cpus())
            << "  (this process's affinity mask, sched_getaffinity)\n";
    else
        out << "  allowed cpuset   " << cpu_list(pus) << "  (synthetic: every PU)\n";
    out << "  level      groups  cpus of each group\n";
    print_level(out, "packages", topo, [](const weft::pu_info& p) { return p.package; });
    print_level(out, "NUMA nodes", topo, [](const weft::pu_info& p) { return p.numa; });
    print_level(out, "L3 groups", topo, [](const weft::pu_info& p) { return p.l3; });
    print_level(out, "L2 groups", topo, [](const weft::pu_info& p) { return p.l2; });
    print_level(out, "cores", topo, [](const weft::pu_info& p) { return p.core; });
    out << "  " << std::left << std::setw(12) << "PUs" << std::right << std::setw(4) << pus.size()
        << "   " << cpu_list(pus) << '\n';
    out << "  (where hwloc reports no L2 cache each core is its own L2 group, and where it\n"
           "   reports no L3 each NUMA node is one L3 group)\n";
    if (is_machine && !pus.empty()) {
        const std::string sizes = cache_sizes(pus.front());
        if (!sizes.empty())
            out << "  caches of cpu " << pus.front() << ": " << sizes << "  (sizes from /sys)\n";
    }
    const auto& dist = topo.numa_distance();
    if (!dist.empty()) {
        out << "  NUMA distances (relative latency, row = from node):\n";
        for (std::size_t i = 0; i < dist.size(); ++i) {
            out << "    node " << std::setw(2) << i << ":";
            for (unsigned d : dist[i]) out << std::setw(5) << d;
            out << '\n';
        }
    } else if (topo.numa_nodes() > 1) {
        out << "  NUMA distances: unknown\n";
    }
}

void print_plans(std::ostream& out, const weft::topology& topo, unsigned workers) {
    const weft::pinning_policy policies[] = {weft::pinning_policy::none, weft::pinning_policy::compact,
                                             weft::pinning_policy::scatter, weft::pinning_policy::numa};
    std::vector<std::pair<weft::pinning_policy, weft::worker_plan>> plans;
    for (weft::pinning_policy p : policies) {
        plans.emplace_back(p, weft::plan_workers(topo, workers, p));
        out << "\nworker plan: WEFT_PIN=" << policy_name(p) << ", " << workers
            << (workers == 1 ? " worker" : " workers") << '\n';
        std::istringstream lines(plans.back().second.describe());
        for (std::string line; std::getline(lines, line);) out << "  " << line << '\n';
    }
    // On small machines several policies come to the same plan; saying so
    // tells the user that their measured differences can only be noise.
    std::vector<bool> reported(plans.size());
    for (std::size_t i = 0; i < plans.size(); ++i) {
        std::string same;
        for (std::size_t j = i + 1; j < plans.size(); ++j)
            if (!reported[j] && same_plan(plans[i].second, plans[j].second)) {
                same += ", " + policy_name(plans[j].first);
                reported[j] = true;
            }
        if (!same.empty())
            out << "\nsame plan on this topology: " << policy_name(plans[i].first) << same
                << " (any difference measured between them is noise)\n";
    }
}

} // namespace weft_tune
