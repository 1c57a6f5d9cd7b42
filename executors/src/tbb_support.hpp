// What the oneTBB executors need around oneTBB itself: the NUMA nodes it
// reports (not under sanitizers), enough worker threads for arenas nobody
// joins, and ThreadSanitizer annotations for the hand-off of a job through
// oneTBB, whose own synchronisation TSan cannot see (the library is not
// instrumented).
#pragma once

#include <memory>
#include <vector>

namespace weft::detail {

/// tbb::info::numa_nodes(), or {-1} (one node, no constraint) in sanitizer
/// builds: oneTBB loads its hwloc binding library with RTLD_DEEPBIND,
/// which the sanitizer runtimes refuse (the process aborts).
std::vector<int> tbb_numa_nodes();

/// Held by every tbb_executor: while one exists, oneTBB may run as many
/// worker threads as the machine has cores. By default oneTBB keeps one
/// core for the application thread that joins its arenas (cores - 1
/// workers), but weft's threads only enqueue and never join, so that core
/// would stay idle (one worker in all on a 2-core machine).
std::shared_ptr<void> tbb_worker_allowance();

/// The job hand-off through oneTBB: release before the enqueue, acquire
/// when the job starts (both on `token`). No-ops unless built with TSan.
void tsan_release(void* token) noexcept;
void tsan_acquire(void* token) noexcept;

} // namespace weft::detail
