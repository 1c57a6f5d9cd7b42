// fib(n), task-parallel, as in the libfork and oneTBB fib benchmarks: no
// sequential cutoff, every call with n >= 2 spawns its children as tasks and
// waits for them.
//
// weft:         co_await gather(fib(n-1), fib(n-2)); gather wraps each child
//               in a task, so two tasks per internal node.
// weft spawn1:  fib(n-1) as a task, fib(n-2) awaited inline, then the task
//               (one task per internal node; kept from the earlier set).
// oneTBB:       task_group::run twice, then wait(): also two spawned tasks per
//               internal node. (run_and_wait would execute its functor on the
//               calling thread without spawning it, which is not the same work.)
#include "../workloads.hpp"

#include <oneapi/tbb/task_group.h>

namespace weft_bench {
namespace {

weft::coro<std::int64_t> fib_gather(int n) {
    if (n < 2) co_return n;
    // Named first: a gather temporary inside the co_await expression is one
    // of the g++ 12 coroutine traps (docs/api.md).
    auto both = weft::gather(fib_gather(n - 1), fib_gather(n - 2));
    auto [x, y] = co_await std::move(both);
    co_return x + y;
}

weft::coro<std::int64_t> fib_spawn1(int n) {
    if (n < 2) co_return n;
    weft::task<std::int64_t> left = weft::create_task(fib_spawn1(n - 1));
    std::int64_t y = co_await fib_spawn1(n - 2);
    std::int64_t x = co_await left;
    co_return x + y;
}

std::int64_t fib_tbb_node(int n) {
    if (n < 2) return n;
    std::int64_t x = 0, y = 0;
    tbb::task_group g;
    g.run([&x, n] { x = fib_tbb_node(n - 1); });
    g.run([&y, n] { y = fib_tbb_node(n - 2); });
    g.wait();
    return x + y;
}

} // namespace

std::int64_t fib_weft(weft::runtime& rt, int n) { return rt.run(fib_gather(n)); }

std::int64_t fib_weft_spawn1(weft::runtime& rt, int n) { return rt.run(fib_spawn1(n)); }

std::int64_t fib_tbb(tbb::task_arena& arena, int n) {
    std::int64_t r = 0;
    arena.execute([&r, n] { r = fib_tbb_node(n); });
    return r;
}

std::int64_t expected_fib(int n) {
    std::int64_t a = 0, b = 1;  // fib(0), fib(1)
    for (int i = 0; i < n; ++i) {
        const std::int64_t c = a + b;
        a = b;
        b = c;
    }
    return a;
}

// The call tree of fib(n) has fib(n+1) - 1 internal nodes (n >= 2), each
// spawning two children.
std::int64_t fib_tasks(int n) { return 2 * (expected_fib(n + 1) - 1); }

} // namespace weft_bench
