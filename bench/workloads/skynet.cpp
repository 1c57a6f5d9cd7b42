// skynet: a 10-ary tree of tasks whose leaves return their index, summed on
// the way up (https://github.com/atemerev/skynet). With 1,000,000 leaves the
// root spawns 10 children, each of those 10, and so on for six levels:
// 1,111,110 tasks, sum 499,999,500,000.
//
// weft:    each internal node gathers a std::vector of its 10 child coros
//          (gather makes each a task).
// oneTBB:  each internal node runs its 10 children in a task_group and waits.
#include "../workloads.hpp"

#include <oneapi/tbb/task_group.h>

#include <array>
#include <stdexcept>
#include <vector>

namespace weft_bench {
namespace {

constexpr int fan_out = 10;

weft::coro<std::int64_t> skynet_node(std::int64_t first, std::int64_t leaves) {
    if (leaves == 1) co_return first;
    const std::int64_t child = leaves / fan_out;
    // The vector is built before the co_await expression (a braced list
    // inside it is a g++ 12 trap).
    std::vector<weft::coro<std::int64_t>> children;
    children.reserve(fan_out);
    for (int i = 0; i < fan_out; ++i) children.push_back(skynet_node(first + i * child, child));
    auto all = weft::gather(std::move(children));
    std::vector<std::int64_t> sums = co_await std::move(all);
    std::int64_t total = 0;
    for (std::int64_t s : sums) total += s;
    co_return total;
}

std::int64_t skynet_tbb_node(std::int64_t first, std::int64_t leaves) {
    if (leaves == 1) return first;
    const std::int64_t child = leaves / fan_out;
    std::array<std::int64_t, fan_out> sums{};
    tbb::task_group g;
    for (int i = 0; i < fan_out; ++i)
        g.run([&sums, i, first, child] { sums[i] = skynet_tbb_node(first + i * child, child); });
    g.wait();
    std::int64_t total = 0;
    for (std::int64_t s : sums) total += s;
    return total;
}

// The tree only has the shape the counts below assume when every level
// splits evenly.
void check_leaves(std::int64_t leaves) {
    std::int64_t n = leaves;
    while (n > 1 && n % fan_out == 0) n /= fan_out;
    if (n != 1) throw std::invalid_argument("skynet: leaves must be a power of 10");
}

} // namespace

std::int64_t skynet_weft(weft::runtime& rt, std::int64_t leaves) {
    check_leaves(leaves);
    return rt.run(skynet_node(0, leaves));
}

std::int64_t skynet_tbb(tbb::task_arena& arena, std::int64_t leaves) {
    check_leaves(leaves);
    std::int64_t r = 0;
    arena.execute([&r, leaves] { r = skynet_tbb_node(0, leaves); });
    return r;
}

std::int64_t expected_skynet(std::int64_t leaves) { return leaves * (leaves - 1) / 2; }

std::int64_t skynet_tasks(std::int64_t leaves) {
    std::int64_t tasks = 0;
    for (std::int64_t level = fan_out; level <= leaves; level *= fan_out) tasks += level;
    return tasks;
}

} // namespace weft_bench
