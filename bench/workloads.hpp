// The issue-3 workloads, shared by weft_bench (timing) and weft_bench_rss
// (peak memory), so both measure exactly the same code.
//
// Every workload runs once per call, on a weft::runtime or inside a
// tbb::task_arena the caller owns (created once, outside any timing), and
// returns a value the caller checks against the expected_* helpers: a wrong
// result means the workload is broken, and its time is meaningless.
//
// The weft and oneTBB versions do the same work: the same tree, every
// internal node spawning each of its children as a task (no sequential
// cutoff, no child run inline) and then waiting for them.
#pragma once

#include <weft/weft.hpp>

#include <oneapi/tbb/task_arena.h>

#include <cstdint>
#include <string>

namespace weft_bench {

/// Problem sizes. full() is the set; small() is for the ctest smoke
/// runs, which check that everything works, not how fast.
struct sizes {
    int fib_n;
    std::int64_t skynet_leaves;  // a power of 10
    std::int64_t spawn_tasks;
    std::int64_t ping_pong_rounds;

    static sizes full() { return {30, 1'000'000, 1'000'000, 100'000}; }
    static sizes small() { return {20, 10'000, 10'000, 1'000}; }
};

/// "1M", "100k", "10k", "123": a count as it appears in benchmark names.
std::string short_count(std::int64_t n);

// --- fib(n): each node with n >= 2 spawns fib(n-1) and fib(n-2) ----------
std::int64_t fib_weft(weft::runtime& rt, int n);  // co_await gather(a, b)
std::int64_t fib_weft_spawn1(weft::runtime& rt, int n);  // one task + one inline await
std::int64_t fib_tbb(tbb::task_arena& arena, int n);     // task_group: run x2 + wait
std::int64_t expected_fib(int n);
/// Tasks spawned by fib_weft and fib_tbb: two per internal node.
std::int64_t fib_tasks(int n);

// --- skynet: a 10-ary tree down to `leaves` leaves; leaf i returns i ------
std::int64_t skynet_weft(weft::runtime& rt, std::int64_t leaves);  // gather(vector of 10)
std::int64_t skynet_tbb(tbb::task_arena& arena, std::int64_t leaves);
std::int64_t expected_skynet(std::int64_t leaves);  // 0 + 1 + ... + (leaves - 1)
/// Tasks spawned: every node but the root (10 + 100 + ... + leaves).
std::int64_t skynet_tasks(std::int64_t leaves);

// --- spawn: n empty tasks spawned from one task, then all awaited ---------
// Each returns how many of the n tasks ran (expected: n).
std::int64_t spawn_weft(weft::runtime& rt, std::int64_t n);  // create_task x n, await each
std::int64_t spawn_weft_gather(weft::runtime& rt, std::int64_t n);  // gather(vector of n coros)
std::int64_t spawn_weft_batched(weft::runtime& rt, std::int64_t n, std::int64_t batch);
std::int64_t spawn_tbb(tbb::task_arena& arena, std::int64_t n);  // task_group::run x n + wait

// --- ping-pong: two tasks, a fresh weft::future per hop --------------------
/// Returns the token after `rounds` round trips (expected: 2 * rounds).
std::int64_t ping_pong_weft(weft::runtime& rt, std::int64_t rounds);

} // namespace weft_bench
