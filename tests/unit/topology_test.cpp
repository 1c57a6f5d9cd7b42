// topology discovery (hwloc synthetic topologies and the real machine) and
// the pure worker planner.
#include <weft/errors.hpp>
#include <weft/scheduler/topology.hpp>

#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using weft::pinning;
using weft::pinning_policy;
using weft::plan_workers;
using weft::topology;
using weft::worker_plan;

// Two packages of two NUMA nodes of 8 cores of 2 PUs: PU i is on core i/2,
// node i/16, package i/32; no caches, so l2 = core and l3 = node.
const char* const big = "pack:2 numa:2 core:8 pu:2";
// Four NUMA nodes of two L3 groups of 4 single-PU cores: PU i is core i,
// L3 i/4, node i/8.
const char* const l3s = "numa:4 l3:2 core:4 pu:1";

std::vector<int> pus_of(const worker_plan& plan) {
    std::vector<int> out;
    for (const auto& w : plan.workers) out.push_back(w.pu);
    return out;
}

std::vector<int> nodes_of(const worker_plan& plan) {
    std::vector<int> out;
    for (const auto& w : plan.workers) out.push_back(w.numa);
    return out;
}

/// The entries of worker w's tier t.
std::vector<unsigned> tier(const worker_plan& plan, unsigned w, unsigned t) {
    const auto& p = plan.workers[w];
    unsigned first = 0;
    for (unsigned i = 0; i < t; ++i) first += p.tier_sizes[i];
    return {p.steal_order.begin() + first, p.steal_order.begin() + first + p.tier_sizes[t]};
}

std::set<unsigned> as_set(const std::vector<unsigned>& v) { return {v.begin(), v.end()}; }

/// Every steal order is a permutation of the other workers, with 4 tiers
/// summing to it, and each entry in the nearest tier its PU shares.
void expect_consistent(const topology& topo, const worker_plan& plan, bool tiered) {
    const auto n = static_cast<unsigned>(plan.workers.size());
    for (unsigned w = 0; w < n; ++w) {
        const auto& p = plan.workers[w];
        ASSERT_EQ(p.tier_sizes.size(), 4u);
        std::vector<unsigned> sorted = p.steal_order;
        std::sort(sorted.begin(), sorted.end());
        std::vector<unsigned> others;
        for (unsigned o = 0; o < n; ++o)
            if (o != w) others.push_back(o);
        ASSERT_EQ(sorted, others) << "worker " << w;
        unsigned i = 0;
        for (unsigned t = 0; t < 4; ++t)
            for (unsigned k = 0; k < p.tier_sizes[t]; ++k, ++i) {
                unsigned expected = 3;
                if (tiered) {
                    const auto& a = *topo.find_pu(static_cast<unsigned>(p.pu));
                    const auto& b = *topo.find_pu(static_cast<unsigned>(plan.workers[p.steal_order[i]].pu));
                    expected = a.l2 == b.l2 ? 0 : a.l3 == b.l3 ? 1 : a.numa == b.numa ? 2 : 3;
                }
                EXPECT_EQ(t, expected) << "worker " << w << " steals from " << p.steal_order[i];
            }
    }
}

/// Whether `order` is the others in cyclic order after w (w+1, w+2, ...),
/// started at some position.
bool is_rotation_of_cyclic_order(const std::vector<unsigned>& order, unsigned w, unsigned n) {
    std::vector<unsigned> twice;
    for (unsigned round = 0; round < 2; ++round)
        for (unsigned k = 1; k < n; ++k) twice.push_back((w + k) % n);
    return order.size() == n - 1 &&
           std::search(twice.begin(), twice.end(), order.begin(), order.end()) != twice.end();
}

std::vector<std::vector<unsigned>> steal_orders(const worker_plan& plan) {
    std::vector<std::vector<unsigned>> out;
    for (const auto& w : plan.workers) out.push_back(w.steal_order);
    return out;
}

// ---------------------------------------------------------------------------
// Topology
// ---------------------------------------------------------------------------

TEST(TopologySynthetic, OnePackageTwoCores) {
    const auto topo = topology::from_synthetic("pack:1 core:2 pu:1");
    ASSERT_EQ(topo.pus().size(), 2u);
    EXPECT_EQ(topo.packages(), 1u);
    EXPECT_EQ(topo.numa_nodes(), 1u);
    EXPECT_EQ(topo.cores(), 2u);
    for (unsigned i = 0; i < 2; ++i) {
        const auto& p = topo.pus()[i];
        EXPECT_EQ(p.os_index, i);
        EXPECT_EQ(p.core, i);
        EXPECT_EQ(p.l2, i);  // no L2: the core
        EXPECT_EQ(p.l3, 0u); // no L3: the node
        EXPECT_EQ(p.numa, 0u);
        EXPECT_EQ(p.package, 0u);
    }
    EXPECT_EQ(topo.describe(), "1 package, 1 NUMA node, 2 cores, 2 PUs (allowed: 2 of 2)");
}

TEST(TopologySynthetic, TwoPackagesFourNodes) {
    const auto topo = topology::from_synthetic(big);
    ASSERT_EQ(topo.pus().size(), 64u);
    EXPECT_EQ(topo.packages(), 2u);
    EXPECT_EQ(topo.numa_nodes(), 4u);
    EXPECT_EQ(topo.cores(), 32u);
    for (unsigned i = 0; i < 64; ++i) {
        const auto& p = topo.pus()[i];
        EXPECT_EQ(p.os_index, i);
        EXPECT_EQ(p.core, i / 2);
        EXPECT_EQ(p.l2, i / 2);
        EXPECT_EQ(p.l3, i / 16);
        EXPECT_EQ(p.numa, i / 16);
        EXPECT_EQ(p.package, i / 32);
    }
    EXPECT_TRUE(topo.numa_distance().empty());
    EXPECT_EQ(topo.describe(), "2 packages, 4 NUMA nodes, 32 cores, 64 PUs (allowed: 64 of 64)");
}

TEST(TopologySynthetic, L3GroupsInsideNodes) {
    const auto topo = topology::from_synthetic(l3s);
    ASSERT_EQ(topo.pus().size(), 32u);
    EXPECT_EQ(topo.packages(), 1u);  // no package level: one
    EXPECT_EQ(topo.numa_nodes(), 4u);
    EXPECT_EQ(topo.cores(), 32u);
    for (unsigned i = 0; i < 32; ++i) {
        EXPECT_EQ(topo.pus()[i].l3, i / 4);
        EXPECT_EQ(topo.pus()[i].numa, i / 8);
    }
}

TEST(TopologySynthetic, RestrictedCpuset) {
    const auto topo = topology::from_synthetic(big, {0, 1, 4, 5});
    std::vector<unsigned> os;
    for (const auto& p : topo.pus()) os.push_back(p.os_index);
    EXPECT_EQ(os, (std::vector<unsigned>{0, 1, 4, 5}));
    EXPECT_EQ(topo.cores(), 2u);
    EXPECT_EQ(topo.numa_nodes(), 1u);
    EXPECT_EQ(topo.packages(), 1u);
    EXPECT_EQ(topo.pus()[2].core, 1u);  // dense: core 2 of the machine is our core 1
    EXPECT_EQ(topo.find_pu(4), &topo.pus()[2]);
    EXPECT_EQ(topo.find_pu(2), nullptr);
    EXPECT_EQ(topo.describe(), "1 package, 1 NUMA node, 2 cores, 4 PUs (allowed: 4 of 64)");
}

TEST(TopologySynthetic, RestrictedAcrossNodesIsDense) {
    const auto topo = topology::from_synthetic(big, {0, 1, 16, 17, 40});
    ASSERT_EQ(topo.pus().size(), 5u);
    EXPECT_EQ(topo.packages(), 2u);
    EXPECT_EQ(topo.numa_nodes(), 3u);
    EXPECT_EQ(topo.cores(), 3u);
    const auto& last = topo.pus()[4];
    EXPECT_EQ(last.os_index, 40u);
    EXPECT_EQ(last.core, 2u);
    EXPECT_EQ(last.numa, 2u);
    EXPECT_EQ(last.package, 1u);
}

TEST(TopologySynthetic, Errors) {
    EXPECT_THROW(topology::from_synthetic("pack:2 bogus:3"), weft::value_error);
    EXPECT_THROW(topology::from_synthetic(""), weft::value_error);
    try {
        topology::from_synthetic("pack:1 core:2 pu:1", {200, 300});
        FAIL() << "an allowed set outside the topology must throw";
    } catch (const weft::value_error& e) {
        EXPECT_NE(std::string(e.what()).find("200"), std::string::npos) << e.what();
    }
}

TEST(TopologyMachine, SubsetOfAffinity) {
    const topology& m = topology::machine();
    EXPECT_EQ(&m, &topology::machine());
    ASSERT_FALSE(m.pus().empty());
    cpu_set_t set;
    CPU_ZERO(&set);
    ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
    for (const auto& p : m.pus()) EXPECT_TRUE(CPU_ISSET(p.os_index, &set)) << p.os_index;
    EXPECT_GE(m.cores(), 1u);
    EXPECT_LE(m.cores(), m.pus().size());
    EXPECT_GE(m.machine_pus(), m.pus().size());
    EXPECT_EQ(weft::default_worker_count(), m.cores());
    EXPECT_NE(m.describe().find("PU"), std::string::npos);
}

// ---------------------------------------------------------------------------
// Planner
// ---------------------------------------------------------------------------

TEST(PlanSmall, CompactOnePerCore) {
    const auto topo = topology::from_synthetic("pack:1 core:2 pu:1");
    const auto plan = plan_workers(topo, 2, pinning_policy::compact);
    EXPECT_EQ(pus_of(plan), (std::vector<int>{0, 1}));
    EXPECT_TRUE(plan.warnings.empty());
    EXPECT_EQ(plan.workers[0].steal_order, (std::vector<unsigned>{1}));
    // Different cores (L2 = core here) in the same node (L3 = node here).
    EXPECT_EQ(plan.workers[0].tier_sizes, (std::vector<unsigned>{0, 1, 0, 0}));
    expect_consistent(topo, plan, true);
}

TEST(PlanSmall, MoreWorkersThanPusWrap) {
    const auto topo = topology::from_synthetic("pack:1 core:2 pu:1");
    const auto plan = plan_workers(topo, 5, pinning_policy::compact);
    EXPECT_EQ(pus_of(plan), (std::vector<int>{0, 1, 0, 1, 0}));
    ASSERT_EQ(plan.warnings.size(), 1u);
    EXPECT_EQ(plan.warnings[0], "5 workers on 2 PUs: workers share PUs (wrapped)");
    // Workers on the same PU share its L2: the nearest tier.
    EXPECT_EQ(as_set(tier(plan, 0, 0)), (std::set<unsigned>{2, 4}));
    EXPECT_EQ(as_set(tier(plan, 0, 1)), (std::set<unsigned>{1, 3}));
    expect_consistent(topo, plan, true);
    EXPECT_NE(plan.describe().find("warning: 5 workers on 2 PUs"), std::string::npos);
}

TEST(PlanSmall, ZeroWorkersThrows) {
    const auto topo = topology::from_synthetic("pack:1 core:2 pu:1");
    EXPECT_THROW(plan_workers(topo, 0, pinning_policy::compact), weft::value_error);
    EXPECT_THROW(plan_workers(topo, 0, pinning_policy::none), weft::value_error);
}

TEST(PlanCompact, FirstPusBeforeSiblings) {
    const auto topo = topology::from_synthetic(big);
    const auto plan = plan_workers(topo, 34, pinning_policy::compact);
    for (unsigned w = 0; w < 32; ++w) EXPECT_EQ(plan.workers[w].pu, static_cast<int>(2 * w));
    EXPECT_EQ(plan.workers[32].pu, 1);  // only now the second PU of core 0
    EXPECT_EQ(plan.workers[33].pu, 3);
    EXPECT_TRUE(plan.warnings.empty());
    expect_consistent(topo, plan, true);
}

TEST(PlanCompact, TierSizesOnTwoPackages) {
    const auto topo = topology::from_synthetic(big);
    const auto one_per_core = plan_workers(topo, 32, pinning_policy::compact);
    // Worker 0 on node 0: 7 others on the node (L3 = node here), 24 remote.
    EXPECT_EQ(one_per_core.workers[0].tier_sizes, (std::vector<unsigned>{0, 7, 0, 24}));
    EXPECT_EQ(as_set(tier(one_per_core, 0, 1)), (std::set<unsigned>{1, 2, 3, 4, 5, 6, 7}));
    const auto all = plan_workers(topo, 64, pinning_policy::compact);
    // Worker 32 is worker 0's SMT sibling.
    EXPECT_EQ(all.workers[0].tier_sizes, (std::vector<unsigned>{1, 14, 0, 48}));
    EXPECT_EQ(tier(all, 0, 0), (std::vector<unsigned>{32}));
    expect_consistent(topo, all, true);
}

TEST(PlanCompact, L3TiersInsideNodes) {
    const auto topo = topology::from_synthetic(l3s);
    const auto plan = plan_workers(topo, 32, pinning_policy::compact, 3);
    EXPECT_EQ(plan.workers[0].tier_sizes, (std::vector<unsigned>{0, 3, 4, 24}));
    EXPECT_EQ(as_set(tier(plan, 0, 1)), (std::set<unsigned>{1, 2, 3}));
    EXPECT_EQ(as_set(tier(plan, 0, 2)), (std::set<unsigned>{4, 5, 6, 7}));
    EXPECT_EQ(as_set(tier(plan, 13, 1)), (std::set<unsigned>{12, 14, 15}));
    EXPECT_EQ(as_set(tier(plan, 13, 2)), (std::set<unsigned>{8, 9, 10, 11}));
    expect_consistent(topo, plan, true);
    // Siblings of one L3 do not all start stealing from the same victim.
    std::set<unsigned> first_victims;
    for (unsigned w = 0; w < 4; ++w) first_victims.insert(plan.workers[w].steal_order[0]);
    EXPECT_GT(first_victims.size(), 1u);
}

TEST(PlanScatter, AlternatesPackagesThenNodes) {
    const auto topo = topology::from_synthetic(big);
    const auto plan = plan_workers(topo, 8, pinning_policy::scatter);
    EXPECT_EQ(pus_of(plan), (std::vector<int>{0, 32, 16, 48, 2, 34, 18, 50}));
    EXPECT_EQ(nodes_of(plan), (std::vector<int>{0, 2, 1, 3, 0, 2, 1, 3}));
    // First PUs of all 32 cores before any SMT sibling.
    const auto full = plan_workers(topo, 64, pinning_policy::scatter);
    std::set<int> cores;
    for (unsigned w = 0; w < 32; ++w) {
        EXPECT_EQ(full.workers[w].pu % 2, 0) << w;
        cores.insert(full.workers[w].core);
    }
    EXPECT_EQ(cores.size(), 32u);
    const auto full_pus = pus_of(full);
    EXPECT_EQ(std::set<int>(full_pus.begin(), full_pus.end()).size(), 64u);
    EXPECT_TRUE(full.warnings.empty());
    expect_consistent(topo, full, true);
}

TEST(PlanScatter, SpreadsOverL3GroupsInANode) {
    const auto topo = topology::from_synthetic(l3s);
    const auto plan = plan_workers(topo, 8, pinning_policy::scatter);
    EXPECT_EQ(pus_of(plan), (std::vector<int>{0, 8, 16, 24, 4, 12, 20, 28}));
    expect_consistent(topo, plan, true);
}

TEST(PlanNuma, BalancedContiguousBlocks) {
    const auto topo = topology::from_synthetic(big);
    const auto plan = plan_workers(topo, 6, pinning_policy::numa);
    EXPECT_EQ(pus_of(plan), (std::vector<int>{0, 2, 16, 18, 32, 48}));
    EXPECT_EQ(nodes_of(plan), (std::vector<int>{0, 0, 1, 1, 2, 3}));
    EXPECT_TRUE(plan.warnings.empty());
    expect_consistent(topo, plan, true);
}

TEST(PlanNuma, RemoteTierNearestNodeFirst) {
    const auto topo = topology::from_synthetic(big);
    const auto plan = plan_workers(topo, 8, pinning_policy::numa, 11);
    EXPECT_EQ(nodes_of(plan), (std::vector<int>{0, 0, 1, 1, 2, 2, 3, 3}));
    const auto& w0 = plan.workers[0];
    EXPECT_EQ(w0.tier_sizes, (std::vector<unsigned>{0, 1, 0, 6}));
    auto group = [](const std::vector<unsigned>& v, std::size_t at) {
        return std::set<unsigned>{v[at], v[at + 1]};
    };
    // Node 0 (package 0): node 1 (same package), then nodes 2 and 3.
    EXPECT_EQ(group(w0.steal_order, 1), (std::set<unsigned>{2, 3}));
    EXPECT_EQ(group(w0.steal_order, 3), (std::set<unsigned>{4, 5}));
    EXPECT_EQ(group(w0.steal_order, 5), (std::set<unsigned>{6, 7}));
    // Node 2 (package 1): node 3, then node 0, then node 1 (cyclic).
    const auto& w4 = plan.workers[4];
    EXPECT_EQ(group(w4.steal_order, 1), (std::set<unsigned>{6, 7}));
    EXPECT_EQ(group(w4.steal_order, 3), (std::set<unsigned>{0, 1}));
    EXPECT_EQ(group(w4.steal_order, 5), (std::set<unsigned>{2, 3}));
    expect_consistent(topo, plan, true);
}

TEST(PlanNuma, RemoteTierUsesNumaDistance) {
    // Hand-built: 3 single-PU nodes; node 0 is nearer to node 2 than to node 1.
    std::vector<weft::pu_info> pus{{0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 0}, {2, 2, 2, 2, 2, 0}};
    const topology topo(pus, 3, {{10, 30, 20}, {30, 10, 20}, {20, 20, 10}});
    const auto plan = plan_workers(topo, 3, pinning_policy::numa);
    EXPECT_EQ(plan.workers[0].steal_order, (std::vector<unsigned>{2, 1}));
    EXPECT_EQ(plan.workers[1].steal_order, (std::vector<unsigned>{2, 0}));
    EXPECT_THROW(topology(pus, 3, {{10}}), weft::value_error);
}

TEST(PlanNuma, SmallNodeOverflowsToOthers) {
    // Node 0 keeps 4 PUs (2 cores), node 1 only PU 16.
    const auto topo = topology::from_synthetic(big, {0, 1, 2, 3, 16});
    const auto plan = plan_workers(topo, 4, pinning_policy::numa);
    EXPECT_EQ(pus_of(plan), (std::vector<int>{0, 2, 1, 16}));
    EXPECT_TRUE(plan.warnings.empty());
    const auto wrapped = plan_workers(topo, 7, pinning_policy::numa);
    ASSERT_EQ(wrapped.warnings.size(), 1u);
    EXPECT_EQ(wrapped.warnings[0], "7 workers on 5 PUs: workers share PUs (wrapped)");
}

TEST(PlanRestricted, CompactUsesOnlyAllowedPus) {
    const auto topo = topology::from_synthetic(big, {0, 1, 4, 5});
    EXPECT_EQ(pus_of(plan_workers(topo, 4, pinning_policy::compact)),
              (std::vector<int>{0, 4, 1, 5}));
    EXPECT_EQ(pus_of(plan_workers(topo, 2, pinning_policy::scatter)), (std::vector<int>{0, 4}));
}

TEST(PlanCpuList, InOrderAndWrapping) {
    const auto topo = topology::from_synthetic(big);
    const auto plan = plan_workers(topo, 3, pinning::cpu_list({33, 1}));
    EXPECT_EQ(pus_of(plan), (std::vector<int>{33, 1, 33}));
    EXPECT_EQ(plan.workers[0].core, 16);
    EXPECT_EQ(plan.workers[0].numa, 2);
    ASSERT_EQ(plan.warnings.size(), 1u);
    EXPECT_EQ(plan.warnings[0], "3 workers on 2 PUs: workers share PUs (wrapped)");
    expect_consistent(topo, plan, true);
}

TEST(PlanCpuList, Errors) {
    const auto topo = topology::from_synthetic(big, {0, 1, 4, 5});
    EXPECT_THROW(plan_workers(topo, 2, pinning::cpu_list({})), weft::value_error);
    try {
        plan_workers(topo, 2, pinning::cpu_list({0, 2}));
        FAIL() << "cpu 2 is not allowed";
    } catch (const weft::value_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("cpu 2 "), std::string::npos) << what;
        EXPECT_NE(what.find("allowed: 0-1,4-5"), std::string::npos) << what;
    }
}

TEST(PlanNone, UnpinnedOneTier) {
    const auto topo = topology::from_synthetic("pack:1 core:2 pu:1");
    const auto plan = plan_workers(topo, 5, pinning_policy::none, 42);
    for (unsigned w = 0; w < 5; ++w) {
        const auto& p = plan.workers[w];
        EXPECT_EQ(p.pu, -1);
        EXPECT_EQ(p.core, -1);
        EXPECT_EQ(p.tier_sizes, (std::vector<unsigned>{0, 0, 0, 4}));
        EXPECT_TRUE(is_rotation_of_cyclic_order(p.steal_order, w, 5)) << "worker " << w;
    }
    expect_consistent(topo, plan, false);
    ASSERT_EQ(plan.warnings.size(), 1u);
    EXPECT_EQ(plan.warnings[0], "5 workers on 2 PUs: the PUs are oversubscribed (not pinned)");
}

TEST(PlanStealing, NotNumaAwareIsOneTier) {
    const auto topo = topology::from_synthetic(big);
    const auto plan = plan_workers(topo, 16, pinning_policy::scatter, 5, false);
    EXPECT_EQ(pus_of(plan), pus_of(plan_workers(topo, 16, pinning_policy::scatter, 5)));
    for (unsigned w = 0; w < 16; ++w) {
        EXPECT_EQ(plan.workers[w].tier_sizes, (std::vector<unsigned>{0, 0, 0, 15}));
        EXPECT_TRUE(is_rotation_of_cyclic_order(plan.workers[w].steal_order, w, 16));
    }
    expect_consistent(topo, plan, false);
}

TEST(PlanStealing, DeterministicPerSeed) {
    const auto topo = topology::from_synthetic(big);
    for (auto policy : {pinning_policy::none, pinning_policy::compact, pinning_policy::scatter,
                        pinning_policy::numa}) {
        const auto a = plan_workers(topo, 32, policy, 7);
        const auto b = plan_workers(topo, 32, policy, 7);
        const auto c = plan_workers(topo, 32, policy, 8);
        EXPECT_EQ(pus_of(a), pus_of(b));
        EXPECT_EQ(steal_orders(a), steal_orders(b));
        EXPECT_EQ(a.describe(), b.describe());
        EXPECT_EQ(pus_of(a), pus_of(c));  // the seed never moves a worker
        EXPECT_NE(steal_orders(a), steal_orders(c)) << static_cast<int>(policy);
        for (unsigned w = 0; w < 32; ++w)  // nor changes the tiers
            EXPECT_EQ(a.workers[w].tier_sizes, c.workers[w].tier_sizes);
    }
}

TEST(PlanDescribe, MentionsEveryWorker) {
    const auto topo = topology::from_synthetic(big);
    const auto plan = plan_workers(topo, 12, pinning_policy::numa);
    std::istringstream in(plan.describe());
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    EXPECT_NE(line.find("steal order"), std::string::npos);
    for (unsigned w = 0; w < 12; ++w) {
        ASSERT_TRUE(std::getline(in, line)) << "no line for worker " << w;
        std::istringstream cells(line);
        int worker = -1, pu = -1;
        cells >> worker >> pu;
        EXPECT_EQ(worker, static_cast<int>(w)) << line;
        EXPECT_EQ(pu, plan.workers[w].pu) << line;
        EXPECT_EQ(std::count(line.begin(), line.end(), '|'), 3) << line;
    }
    EXPECT_FALSE(std::getline(in, line)) << "unexpected: " << line;
}

// ---------------------------------------------------------------------------
// parse_pinning
// ---------------------------------------------------------------------------

TEST(TopologyParsePinning, Policies) {
    EXPECT_EQ(weft::parse_pinning("none").policy, pinning_policy::none);
    EXPECT_EQ(weft::parse_pinning("compact").policy, pinning_policy::compact);
    EXPECT_EQ(weft::parse_pinning("scatter").policy, pinning_policy::scatter);
    EXPECT_EQ(weft::parse_pinning("numa").policy, pinning_policy::numa);
}

TEST(TopologyParsePinning, CpuLists) {
    auto p = weft::parse_pinning("0,2,4");
    EXPECT_EQ(p.policy, pinning_policy::cpu_list);
    EXPECT_EQ(p.cpus, (std::vector<unsigned>{0, 2, 4}));
    EXPECT_EQ(weft::parse_pinning("0-3,8").cpus, (std::vector<unsigned>{0, 1, 2, 3, 8}));
    EXPECT_EQ(weft::parse_pinning("7").cpus, (std::vector<unsigned>{7}));
    EXPECT_EQ(weft::parse_pinning("5,1-2").cpus, (std::vector<unsigned>{5, 1, 2}));
}

TEST(TopologyParsePinning, BadInputNamesTheToken) {
    const std::pair<const char*, const char*> cases[] = {
        {"", "''"},          {"fast", "'fast'"},     {"Compact", "'Compact'"},
        {"0,,2", "''"},      {"1-x", "'1-x'"},       {"5-3", "'5-3'"},
        {"0,-1", "'-1'"},    {"3,", "''"},           {"99999999999", "'99999999999'"},
        {"1 ,2", "'1 '"},
    };
    for (const auto& [text, token] : cases) {
        try {
            weft::parse_pinning(text);
            ADD_FAILURE() << "'" << text << "' parsed";
        } catch (const weft::value_error& e) {
            EXPECT_NE(std::string(e.what()).find(token), std::string::npos)
                << text << ": " << e.what();
        }
    }
}

} // namespace
