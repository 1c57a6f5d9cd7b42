// weft's scheduler component: coroutines, tasks, futures, event loops, the
// runtime and the combinators of API.md §1–§3.
#pragma once

#include <weft/errors.hpp>
#include <weft/scheduler/as_completed.hpp>
#include <weft/scheduler/concurrent_future.hpp>
#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/event_loop.hpp>
#include <weft/scheduler/future.hpp>
#include <weft/scheduler/gather.hpp>
#include <weft/scheduler/outcome.hpp>
#include <weft/scheduler/runtime.hpp>
#include <weft/scheduler/sleep.hpp>
#include <weft/scheduler/task.hpp>
#include <weft/scheduler/task_group.hpp>
#include <weft/scheduler/topology.hpp>
#include <weft/scheduler/wait.hpp>
