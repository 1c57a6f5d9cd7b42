// weft/sync.hpp: umbrella header of the sync component (weft::sync).
#pragma once

/// \file
/// asyncio's synchronization primitives for coroutines, all safe to use from
/// tasks on different workers (API contract, section 4):
///
/// - `lock`: `co_await acquire()`, `release()`, `locked()`,
///   `co_await scoped()` returning an RAII guard; FIFO fairness.
/// - `event`: `co_await wait()`, `set()`, `clear()`, `is_set()`.
/// - `condition`: `co_await wait()`, `co_await wait_for(pred)`, `notify(n)`,
///   `notify_all()`, used with its lock.
/// - `semaphore(n)` and `bounded_semaphore(n)`.
/// - `barrier(n)`: `co_await wait()` returns the arrival index; `abort()`,
///   `reset()`.
/// - `queue<T>(maxsize)`, `priority_queue<T, Compare>`, `lifo_queue<T>`:
///   `co_await put(v)`, `co_await get()`, `put_nowait`, `get_nowait`,
///   `task_done()`, `co_await join()`, `qsize()`, `empty()`, `full()`,
///   `shutdown(immediate)`.
///
/// A waiter cancelled while waiting is removed and never consumes an item or
/// a permit.
///
/// The exception types used here (`value_error`, `broken_barrier_error`,
/// `queue_empty`, `queue_full`, `queue_shut_down`, `cancelled_error`) are
/// declared in <weft/errors.hpp>.

#include <weft/scheduler.hpp>
#include <weft/sync/barrier.hpp>
#include <weft/sync/condition.hpp>
#include <weft/sync/event.hpp>
#include <weft/sync/lock.hpp>
#include <weft/sync/queue.hpp>
#include <weft/sync/semaphore.hpp>
