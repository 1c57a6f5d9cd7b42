// weft_bench: the entry point, plus the context lines every report starts with.
//
// The workloads live in one file each (coro_inline.cpp, spawn_many.cpp,
// ping_pong.cpp, fib.cpp, sleep_many.cpp). They all run on ONE worker: a
// standalone event loop from weft::new_event_loop(), driven by
// run_until_complete() on the benchmark thread, so no runtime start-up is
// timed and no second thread competes with the measured one.
#include <benchmark/benchmark.h>
#include <weft/weft.hpp>

#include <string>

#ifndef WEFT_BENCH_VERSION
#define WEFT_BENCH_VERSION "unknown"
#endif

namespace {

// AddCustomContext may be called before BENCHMARK_MAIN's Initialize(): it
// only records the pair for the context block printed at start-up.
[[maybe_unused]] const bool context_added = [] {
    benchmark::AddCustomContext("weft_version", WEFT_BENCH_VERSION);
    benchmark::AddCustomContext("weft_workers",
                                "1 (standalone weft::new_event_loop() on the benchmark thread)");
    benchmark::AddCustomContext("weft_runtime_default_workers",
                                std::to_string(weft::resolve_worker_count(0)));
#ifdef NDEBUG
    benchmark::AddCustomContext("weft_build", "release (NDEBUG)");
#else
    benchmark::AddCustomContext("weft_build", "debug (assertions on: timings not representative)");
#endif
    return true;
}();

} // namespace

BENCHMARK_MAIN();
