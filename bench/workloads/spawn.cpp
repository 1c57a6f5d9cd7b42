// spawn: n empty tasks spawned from one task, then all awaited.
//
// weft:          create_task(empty()) n times, keeping the handles, then
//                co_await each; all n tasks are alive at once.
// weft gather:   the same n coros through gather(std::vector<coro>).
// weft batched:  create `batch`, await them, repeat: the live set stays small,
//                which separates the per-task cost from the cost of keeping a
//                million tasks alive.
// oneTBB:        task_group::run of n empty lambdas, then wait().
//
// Every task bumps a counter so the caller can check that each one ran. The
// counters are per thread (padded to a cache line) rather than one shared
// atomic: on two threads a shared counter would add a contended cache-line
// transfer to every task, comparable to the cost being measured.
#include "../workloads.hpp"

#include <oneapi/tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <vector>

namespace weft_bench {
namespace {

struct alignas(64) ran_counter {
    std::atomic<std::int64_t> n{0};
};

constexpr unsigned counter_slots = 64;  // threads beyond this share slots: still correct
ran_counter g_ran[counter_slots];
std::atomic<unsigned> g_next_slot{0};

void count_ran() {
    thread_local ran_counter* mine = nullptr;
    if (!mine) mine = &g_ran[g_next_slot.fetch_add(1, std::memory_order_relaxed) % counter_slots];
    mine->n.fetch_add(1, std::memory_order_relaxed);
}

void reset_ran() {
    for (auto& c : g_ran) c.n.store(0, std::memory_order_relaxed);
}

// Called after the runtime or arena reported completion, which orders every
// task's increment before this read.
std::int64_t total_ran() {
    std::int64_t total = 0;
    for (auto& c : g_ran) total += c.n.load(std::memory_order_relaxed);
    return total;
}

weft::coro<void> empty_task() {
    count_ran();
    co_return;
}

weft::coro<void> spawn_then_await_each(std::int64_t n) {
    std::vector<weft::task<void>> tasks;
    tasks.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) tasks.push_back(weft::create_task(empty_task()));
    for (auto& t : tasks) co_await t;
}

weft::coro<void> spawn_by_gather(std::int64_t n) {
    std::vector<weft::coro<void>> coros;
    coros.reserve(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) coros.push_back(empty_task());
    auto all = weft::gather(std::move(coros));
    co_await std::move(all);
}

weft::coro<void> spawn_in_batches(std::int64_t n, std::int64_t batch) {
    std::vector<weft::task<void>> tasks;
    tasks.reserve(static_cast<std::size_t>(batch));
    for (std::int64_t started = 0; started < n; started += batch) {
        const std::int64_t k = std::min(batch, n - started);
        tasks.clear();
        for (std::int64_t i = 0; i < k; ++i) tasks.push_back(weft::create_task(empty_task()));
        for (auto& t : tasks) co_await t;
    }
}

} // namespace

std::int64_t spawn_weft(weft::runtime& rt, std::int64_t n) {
    reset_ran();
    rt.run(spawn_then_await_each(n));
    return total_ran();
}

std::int64_t spawn_weft_gather(weft::runtime& rt, std::int64_t n) {
    reset_ran();
    rt.run(spawn_by_gather(n));
    return total_ran();
}

std::int64_t spawn_weft_batched(weft::runtime& rt, std::int64_t n, std::int64_t batch) {
    reset_ran();
    rt.run(spawn_in_batches(n, batch));
    return total_ran();
}

std::int64_t spawn_tbb(tbb::task_arena& arena, std::int64_t n) {
    reset_ran();
    arena.execute([n] {
        tbb::task_group g;
        for (std::int64_t i = 0; i < n; ++i) g.run([] { count_ran(); });
        g.wait();
    });
    return total_ran();
}

} // namespace weft_bench
