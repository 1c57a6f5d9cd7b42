// weft/executors.hpp: umbrella header of the executors component
// (weft::executors).
#pragma once

/// \file
/// Executors for work that must not run on an event loop (API contract,
/// section 6):
///
/// - `tbb_executor`: wraps a `tbb::task_arena` (maximum concurrency, NUMA
///   node constraint, priority).
/// - `run_in_executor(executor, f, args...)`, also available as
///   `loop.run_in_executor`: returns an awaitable whose result is `f`'s;
///   `nullptr` selects the default executor, one TBB arena per NUMA node,
///   chosen by the calling worker's node. Cancelling the awaiting task does
///   not interrupt `f`.
/// - `thread_pool_executor`: the pool for blocking calls behind `to_thread`.
///
/// The exception types used here (`cancelled_error` and the other weft
/// errors) are declared in <weft/errors.hpp>; an exception thrown by `f` is
/// rethrown in the awaiting task.

#include <weft/executors/run_in_executor.hpp>
#include <weft/executors/tbb_executor.hpp>
#include <weft/scheduler.hpp>
#include <weft/scheduler/executor.hpp>
#include <weft/scheduler/thread_pool_executor.hpp>
