// hwloc topology discovery and the worker planner (see topology.hpp). This is
// the only translation unit that includes <hwloc.h>.
#include <weft/errors.hpp>
#include <weft/scheduler/topology.hpp>

#include <hwloc.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <iomanip>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

namespace weft {

namespace {

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

std::string plural(unsigned n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

/// "0-3,8": a cpu set as the ranges a user would type.
std::string format_cpus(std::vector<unsigned> cpus) {
    std::sort(cpus.begin(), cpus.end());
    cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
    std::string s;
    for (std::size_t i = 0; i < cpus.size();) {
        std::size_t j = i;
        while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
        if (!s.empty()) s += ',';
        s += std::to_string(cpus[i]);
        if (j > i) s += "-" + std::to_string(cpus[j]);
        i = j + 1;
    }
    return s;
}

/// Dense 0..n-1 indexes for keys in order of first appearance.
template <class Key>
class dense_index {
public:
    unsigned operator()(const Key& k) {
        return map_.try_emplace(k, static_cast<unsigned>(map_.size())).first->second;
    }
    const std::map<Key, unsigned>& map() const { return map_; }

private:
    std::map<Key, unsigned> map_;
};

/// The cpus this process may run on (sched_getaffinity), ascending.
std::vector<unsigned> affinity_cpus() {
    for (int n = 1024; n <= (1 << 20); n *= 2) {
        cpu_set_t* set = CPU_ALLOC(n);
        if (!set) break;
        const std::size_t size = CPU_ALLOC_SIZE(n);
        CPU_ZERO_S(size, set);
        if (sched_getaffinity(0, size, set) == 0) {
            std::vector<unsigned> cpus;
            for (int i = 0; i < n; ++i)
                if (CPU_ISSET_S(i, size, set)) cpus.push_back(static_cast<unsigned>(i));
            CPU_FREE(set);
            return cpus;
        }
        CPU_FREE(set);
        if (errno != EINVAL) break;  // EINVAL: the kernel's mask is larger, retry
    }
    return {};
}

/// Each cpu its own core, one node: what we know without hwloc.
topology flat_topology(std::vector<unsigned> cpus) {
    if (cpus.empty())
        for (unsigned i = 0; i < std::max(1u, std::thread::hardware_concurrency()); ++i)
            cpus.push_back(i);
    std::vector<pu_info> pus;
    for (unsigned i = 0; i < cpus.size(); ++i) pus.push_back({cpus[i], i, i, 0, 0, 0});
    return topology(std::move(pus));
}

// ---------------------------------------------------------------------------
// hwloc
// ---------------------------------------------------------------------------

struct hwloc_deleter {
    void operator()(hwloc_topology* t) const noexcept { hwloc_topology_destroy(t); }
};
using hwloc_ptr = std::unique_ptr<hwloc_topology, hwloc_deleter>;

struct bitmap_deleter {
    void operator()(hwloc_bitmap_s* b) const noexcept { hwloc_bitmap_free(b); }
};
using bitmap_ptr = std::unique_ptr<hwloc_bitmap_s, bitmap_deleter>;

hwloc_ptr new_hwloc() {
    hwloc_topology_t t = nullptr;
    if (hwloc_topology_init(&t) != 0) return nullptr;
    return hwloc_ptr(t);
}

/// The NUMA node a PU's memory is local to: hwloc 2 attaches NUMA nodes as
/// memory children (possibly behind memory-side caches) of an ancestor.
hwloc_obj_t numa_of(hwloc_obj_t pu) {
    for (hwloc_obj_t o = pu->parent; o; o = o->parent) {
        for (hwloc_obj_t m = o->memory_first_child; m; m = m->memory_first_child)
            if (m->type == HWLOC_OBJ_NUMANODE) return m;
    }
    return nullptr;
}

/// The PUs of a loaded topology that `keep` accepts, with dense indexes.
template <class Keep>
topology from_hwloc(hwloc_topology_t t, unsigned machine_pus, Keep keep) {
    dense_index<hwloc_obj_t> core_ix, l2_ix, l3_ix, numa_ix, pkg_ix;
    std::vector<pu_info> pus;
    const int n = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
    for (int i = 0; i < n; ++i) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, static_cast<unsigned>(i));
        if (!pu || !keep(pu->os_index)) continue;
        hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_CORE, pu);
        if (!core) core = pu;
        hwloc_obj_t l2 = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_L2CACHE, pu);
        hwloc_obj_t l3 = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_L3CACHE, pu);
        hwloc_obj_t numa = numa_of(pu);
        pus.push_back({pu->os_index, core_ix(core), l2 ? l2_ix(l2) : l2_ix(core),
                       l3 ? l3_ix(l3) : l3_ix(numa), numa_ix(numa),
                       pkg_ix(hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_PACKAGE, pu))});
    }

    // NUMA latencies (the SLIT on Linux), remapped to our node indexes; kept
    // only when they cover every node we use.
    std::vector<std::vector<unsigned>> dist;
    const unsigned nodes = static_cast<unsigned>(numa_ix.map().size());
    unsigned nr = 1;
    hwloc_distances_s* d = nullptr;
    if (nodes > 1 &&
        hwloc_distances_get_by_type(t, HWLOC_OBJ_NUMANODE, &nr, &d,
                                    HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0) == 0 &&
        nr >= 1 && d) {
        dist.assign(nodes, std::vector<unsigned>(nodes, 0));
        unsigned filled = 0;
        for (unsigned i = 0; i < d->nbobjs; ++i)
            for (unsigned j = 0; j < d->nbobjs; ++j) {
                auto a = numa_ix.map().find(d->objs[i]), b = numa_ix.map().find(d->objs[j]);
                if (a == numa_ix.map().end() || b == numa_ix.map().end()) continue;
                dist[a->second][b->second] = static_cast<unsigned>(d->values[i * d->nbobjs + j]);
                ++filled;
            }
        hwloc_distances_release(t, d);
        if (filled != nodes * nodes) dist.clear();
    }
    return topology(std::move(pus), machine_pus, std::move(dist));
}

topology discover_machine() {
    const std::vector<unsigned> allowed = affinity_cpus();
    hwloc_ptr t = new_hwloc();
    // Include disallowed PUs so machine_pus() is the whole machine; we filter
    // by our own affinity below (a subset of hwloc's cgroup-allowed set).
    if (!t || hwloc_topology_set_flags(t.get(), HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED) != 0 ||
        hwloc_topology_load(t.get()) != 0)
        return flat_topology(allowed);
    const int n = hwloc_get_nbobjs_by_type(t.get(), HWLOC_OBJ_PU);
    topology topo = from_hwloc(t.get(), static_cast<unsigned>(std::max(n, 0)), [&](unsigned os) {
        return allowed.empty() || std::binary_search(allowed.begin(), allowed.end(), os);
    });
    return topo.pus().empty() ? flat_topology(allowed) : topo;
}

// ---------------------------------------------------------------------------
// Planner helpers (pure)
// ---------------------------------------------------------------------------

/// splitmix64: a fixed generator, so plans are the same on every platform.
struct rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    void rotate(std::vector<unsigned>::iterator first, std::vector<unsigned>::iterator last) {
        const auto n = static_cast<std::uint64_t>(last - first);
        if (n > 1) std::rotate(first, first + static_cast<std::ptrdiff_t>(next() % n), last);
    }
};

/// Splits `items` into groups by key, groups and members in order of first appearance.
template <class Key>
std::vector<std::vector<unsigned>> group_by(const std::vector<unsigned>& items, Key key) {
    dense_index<unsigned> ix;
    std::vector<std::vector<unsigned>> groups;
    for (unsigned i : items) {
        unsigned g = ix(key(i));
        if (g == groups.size()) groups.emplace_back();
        groups[g].push_back(i);
    }
    return groups;
}

/// First element of every group, then the second of every group, ...
std::vector<unsigned> interleave(const std::vector<std::vector<unsigned>>& groups) {
    std::vector<unsigned> out;
    for (std::size_t round = 0;; ++round) {
        bool any = false;
        for (const auto& g : groups)
            if (round < g.size()) out.push_back(g[round]), any = true;
        if (!any) return out;
    }
}

/// PU positions (into topo.pus()) one per core first, then the SMT siblings.
std::vector<unsigned> by_cores(const topology& topo, const std::vector<unsigned>& pus) {
    return interleave(group_by(pus, [&](unsigned i) { return topo.pus()[i].core; }));
}

/// scatter's order: round-robin over packages, then NUMA nodes, L3 and L2
/// groups within them, then cores (first PUs before SMT siblings).
std::vector<unsigned> spread(const topology& topo, const std::vector<unsigned>& pus,
                             unsigned level) {
    if (level == 4) return by_cores(topo, pus);
    const auto key = [&](unsigned i) {
        const pu_info& p = topo.pus()[i];
        const unsigned keys[] = {p.package, p.numa, p.l3, p.l2};
        return keys[level];
    };
    std::vector<std::vector<unsigned>> parts;
    for (const auto& g : group_by(pus, key)) parts.push_back(spread(topo, g, level + 1));
    return interleave(parts);
}

/// The PU position (into topo.pus()) of every worker, for the pinned policies.
std::vector<unsigned> place(const topology& topo, unsigned workers, const pinning& pin) {
    const auto& pus = topo.pus();
    std::vector<unsigned> all(pus.size());
    for (unsigned i = 0; i < all.size(); ++i) all[i] = i;
    std::vector<unsigned> out(workers);

    switch (pin.policy) {
    case pinning_policy::cpu_list: {
        if (pin.cpus.empty()) throw value_error("pinning cpu_list: the cpu list is empty");
        for (unsigned w = 0; w < workers; ++w) {
            unsigned cpu = pin.cpus[w % pin.cpus.size()];
            const pu_info* p = topo.find_pu(cpu);
            if (!p) {
                std::vector<unsigned> allowed;
                for (const auto& q : pus) allowed.push_back(q.os_index);
                throw value_error("pinning cpu_list: cpu " + std::to_string(cpu) +
                                  " is not an allowed PU (allowed: " + format_cpus(allowed) + ")");
            }
            out[w] = static_cast<unsigned>(p - pus.data());
        }
        return out;
    }
    case pinning_policy::scatter: {
        const auto seq = spread(topo, all, 0);
        for (unsigned w = 0; w < workers; ++w) out[w] = seq[w % seq.size()];
        return out;
    }
    case pinning_policy::numa: {
        std::vector<std::vector<unsigned>> nodes;
        for (const auto& node : group_by(all, [&](unsigned i) { return pus[i].numa; }))
            nodes.push_back(by_cores(topo, node));
        // Round-robin shares, skipping full nodes while any node has room.
        std::vector<unsigned> share(nodes.size(), 0);
        for (unsigned w = 0, r = 0; w < workers; ++w) {
            const bool room = w < pus.size();
            std::size_t j;
            do j = r++ % nodes.size();
            while (room && share[j] >= nodes[j].size());
            ++share[j];
        }
        unsigned w = 0;
        for (std::size_t j = 0; j < nodes.size(); ++j)
            for (unsigned k = 0; k < share[j]; ++k) out[w++] = nodes[j][k % nodes[j].size()];
        return out;
    }
    default: {  // compact
        const auto seq = by_cores(topo, all);
        for (unsigned w = 0; w < workers; ++w) out[w] = seq[w % seq.size()];
        return out;
    }
    }
}

/// Orders the remote tier of a numa plan by node: nearest first, each node's
/// workers rotated.
void order_remote_by_node(const topology& topo, const std::vector<const pu_info*>& at,
                          unsigned self, std::vector<unsigned>& remote, rng& r) {
    const pu_info& me = *at[self];
    const auto& dist = topo.numa_distance();
    const unsigned nodes = std::max(1u, topo.numa_nodes());
    auto key = [&](unsigned w) {
        const pu_info& p = *at[w];
        unsigned d = dist.empty() ? 0 : dist[me.numa][p.numa];
        return std::make_tuple(d, p.package != me.package, (p.numa + nodes - me.numa) % nodes);
    };
    std::stable_sort(remote.begin(), remote.end(),
                     [&](unsigned a, unsigned b) { return key(a) < key(b); });
    for (auto first = remote.begin(); first != remote.end();) {
        auto last = std::find_if(first, remote.end(),
                                 [&](unsigned w) { return at[w]->numa != at[*first]->numa; });
        r.rotate(first, last);
        first = last;
    }
}

} // namespace

// ---------------------------------------------------------------------------
// topology
// ---------------------------------------------------------------------------

topology::topology(std::vector<pu_info> pus, unsigned machine_pus,
                   std::vector<std::vector<unsigned>> numa_distance)
    : pus_(std::move(pus)), numa_distance_(std::move(numa_distance)) {
    std::set<unsigned> packages, nodes, cores;
    for (const auto& p : pus_) {
        packages.insert(p.package);
        nodes.insert(p.numa);
        cores.insert(p.core);
    }
    packages_ = static_cast<unsigned>(packages.size());
    numa_nodes_ = static_cast<unsigned>(nodes.size());
    cores_ = static_cast<unsigned>(cores.size());
    machine_pus_ = std::max(machine_pus, static_cast<unsigned>(pus_.size()));
    for (const auto& p : pus_)
        if (!numa_distance_.empty() &&
            (p.numa >= numa_distance_.size() || p.numa >= numa_distance_[p.numa].size()))
            throw value_error("topology: numa_distance does not cover NUMA node " +
                              std::to_string(p.numa));
}

const topology& topology::machine() {
    static const topology m = discover_machine();
    return m;
}

topology topology::from_synthetic(const std::string& description,
                                  const std::vector<unsigned>& allowed) {
    hwloc_ptr t = new_hwloc();
    if (!t) throw value_error("topology: hwloc could not initialise");
    if (hwloc_topology_set_synthetic(t.get(), description.c_str()) != 0 ||
        hwloc_topology_load(t.get()) != 0)
        throw value_error("topology: hwloc rejects the synthetic description '" + description +
                          "'");
    const unsigned machine_pus =
        static_cast<unsigned>(std::max(hwloc_get_nbobjs_by_type(t.get(), HWLOC_OBJ_PU), 0));
    if (!allowed.empty()) {
        bitmap_ptr set(hwloc_bitmap_alloc());
        if (!set) throw std::bad_alloc();
        for (unsigned cpu : allowed) hwloc_bitmap_set(set.get(), cpu);
        hwloc_bitmap_and(set.get(), set.get(), hwloc_topology_get_topology_cpuset(t.get()));
        if (hwloc_bitmap_iszero(set.get()) ||
            hwloc_topology_restrict(t.get(), set.get(), HWLOC_RESTRICT_FLAG_REMOVE_CPULESS) != 0)
            throw value_error("topology: the allowed cpus " + format_cpus(allowed) +
                              " leave no PU of '" + description + "'");
    }
    return from_hwloc(t.get(), machine_pus, [](unsigned) { return true; });
}

const pu_info* topology::find_pu(unsigned os_index) const noexcept {
    for (const auto& p : pus_)
        if (p.os_index == os_index) return &p;
    return nullptr;
}

std::string topology::describe() const {
    const auto n = static_cast<unsigned>(pus_.size());
    return plural(packages_, "package", "packages") + ", " +
           plural(numa_nodes_, "NUMA node", "NUMA nodes") + ", " +
           plural(cores_, "core", "cores") + ", " + plural(n, "PU", "PUs") +
           " (allowed: " + std::to_string(n) + " of " + std::to_string(machine_pus_) + ")";
}

// ---------------------------------------------------------------------------
// planner
// ---------------------------------------------------------------------------

worker_plan plan_workers(const topology& topo, unsigned workers, const pinning& pin,
                         std::uint64_t seed, bool numa_aware_stealing) {
    if (workers == 0) throw value_error("plan_workers: workers must be positive, got 0");
    if (topo.pus().empty()) throw value_error("plan_workers: the topology has no PU");
    const bool pinned = pin.policy != pinning_policy::none;

    worker_plan plan;
    plan.workers.resize(workers);
    std::vector<const pu_info*> at(workers, nullptr);
    if (pinned) {
        const auto pos = place(topo, workers, pin);
        std::set<unsigned> distinct;
        for (unsigned w = 0; w < workers; ++w) {
            at[w] = &topo.pus()[pos[w]];
            plan.workers[w].pu = static_cast<int>(at[w]->os_index);
            plan.workers[w].core = static_cast<int>(at[w]->core);
            plan.workers[w].numa = static_cast<int>(at[w]->numa);
            distinct.insert(at[w]->os_index);
        }
        if (distinct.size() < workers)
            plan.warnings.push_back(std::to_string(workers) + " workers on " +
                                    plural(static_cast<unsigned>(distinct.size()), "PU", "PUs") +
                                    ": workers share PUs (wrapped)");
    } else if (workers > topo.pus().size()) {
        plan.warnings.push_back(std::to_string(workers) + " workers on " +
                                plural(static_cast<unsigned>(topo.pus().size()), "PU", "PUs") +
                                ": the PUs are oversubscribed (not pinned)");
    }

    for (unsigned w = 0; w < workers; ++w) {
        rng r{seed ^ (0xD1B54A32D192ED03ull * (w + 1ull))};
        std::vector<unsigned> tiers[4];
        for (unsigned k = 1; k < workers; ++k) {  // cyclic order after w
            const unsigned o = (w + k) % workers;
            unsigned tier = 3;
            if (pinned && numa_aware_stealing) {
                const pu_info &a = *at[w], &b = *at[o];
                tier = a.l2 == b.l2 ? 0 : a.l3 == b.l3 ? 1 : a.numa == b.numa ? 2 : 3;
            }
            tiers[tier].push_back(o);
        }
        auto& out = plan.workers[w];
        for (unsigned t = 0; t < 4; ++t) {
            if (t == 3 && pinned && numa_aware_stealing && pin.policy == pinning_policy::numa)
                order_remote_by_node(topo, at, w, tiers[3], r);
            else
                r.rotate(tiers[t].begin(), tiers[t].end());
            out.tier_sizes.push_back(static_cast<unsigned>(tiers[t].size()));
            out.steal_order.insert(out.steal_order.end(), tiers[t].begin(), tiers[t].end());
        }
    }
    return plan;
}

std::string worker_plan::describe() const {
    std::ostringstream s;
    s << "worker    pu  core  numa  steal order (same L2 | same L3 | same NUMA | remote)\n";
    auto cell = [](int v) { return v < 0 ? std::string("-") : std::to_string(v); };
    for (std::size_t w = 0; w < workers.size(); ++w) {
        const auto& p = workers[w];
        s << std::setw(6) << w << std::setw(6) << cell(p.pu) << std::setw(6) << cell(p.core)
          << std::setw(6) << cell(p.numa) << " ";
        std::size_t i = 0;
        for (std::size_t t = 0; t < p.tier_sizes.size(); ++t) {
            s << (t ? " |" : "");
            if (p.tier_sizes[t] == 0) s << " -";
            for (unsigned k = 0; k < p.tier_sizes[t] && i < p.steal_order.size(); ++k)
                s << ' ' << p.steal_order[i++];
        }
        s << '\n';
    }
    for (const auto& w : warnings) s << "warning: " << w << '\n';
    return s.str();
}

unsigned default_worker_count() { return std::max(1u, topology::machine().cores()); }

pinning parse_pinning(std::string_view text) {
    auto bad = [&](std::string_view token, const std::string& why) {
        return value_error("WEFT_PIN: " + why + " '" + std::string(token) + "' in '" +
                           std::string(text) +
                           "' (expected none, compact, scatter, numa or a cpu list such as "
                           "0,2,4-7)");
    };
    if (text == "none") return pinning_policy::none;
    if (text == "compact") return pinning_policy::compact;
    if (text == "scatter") return pinning_policy::scatter;
    if (text == "numa") return pinning_policy::numa;
    if (text.empty()) throw bad(text, "empty value");

    constexpr unsigned max_cpu = 1u << 16;  // far beyond any machine; bounds ranges
    auto number = [&](std::string_view s, std::string_view token) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || p != s.data() + s.size())
            throw bad(token, "bad token");
        if (v >= max_cpu) throw bad(token, "cpu number out of range in");
        return v;
    };
    std::vector<unsigned> cpus;
    for (std::string_view rest = text;;) {
        const auto comma = rest.find(',');
        const std::string_view token = rest.substr(0, comma);
        if (const auto dash = token.find('-'); dash != std::string_view::npos) {
            const unsigned lo = number(token.substr(0, dash), token);
            const unsigned hi = number(token.substr(dash + 1), token);
            if (lo > hi) throw bad(token, "descending range");
            for (unsigned c = lo; c <= hi; ++c) cpus.push_back(c);
        } else {
            cpus.push_back(number(token, token));
        }
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return pinning::cpu_list(std::move(cpus));
}

} // namespace weft
