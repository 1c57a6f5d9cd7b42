// Helpers shared by the weft_bench benchmarks.
//
// The issue-3 benchmarks are registered at start-up by main() (not by static
// BENCHMARK macros) because their names carry the problem size, which the
// --weft_size flag picks (full for measurements, small for the ctest smoke
// run). Each bench file adds a registration function with
// WEFT_BENCH_REGISTRATION; main() calls them all once the flag is parsed.
//
// Naming, which bench/ratio_reporter.cpp relies on to pair runs:
//   <workload>/weft/workers:<N>   a weft::runtime with N workers
//   <workload>/tbb/threads:<N>    a tbb::task_arena with N threads
#pragma once

#include "workloads.hpp"

#include <benchmark/benchmark.h>
#include <weft/weft.hpp>

#include <oneapi/tbb/task_arena.h>

#include <cstdint>
#include <string>
#include <vector>

namespace weft_bench {

using registration = void (*)(const sizes&);

/// Registration functions, in static-initialisation order.
inline std::vector<registration>& registrations() {
    static std::vector<registration> all;
    return all;
}

inline bool add_registration(registration r) {
    registrations().push_back(r);
    return true;
}

#define WEFT_BENCH_REGISTRATION(fn) \
    [[maybe_unused]] const bool fn##_added = ::weft_bench::add_registration(&fn)

/// Worker / thread counts every paired benchmark runs on.
inline void on_1_and_2(benchmark::internal::Benchmark* b, const char* arg_name) {
    b->ArgName(arg_name)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
}

inline benchmark::internal::Benchmark* weft_benchmark(const std::string& workload,
                                                      void (*fn)(benchmark::State&, sizes),
                                                      const sizes& s) {
    auto* b = benchmark::RegisterBenchmark((workload + "/weft").c_str(), fn, s);
    on_1_and_2(b, "workers");
    return b;
}

inline benchmark::internal::Benchmark* tbb_benchmark(const std::string& workload,
                                                     void (*fn)(benchmark::State&, sizes),
                                                     const sizes& s) {
    auto* b = benchmark::RegisterBenchmark((workload + "/tbb").c_str(), fn, s);
    on_1_and_2(b, "threads");
    return b;
}

/// Per-item time counter: seconds per item, printed with an SI prefix (e.g.
/// "486n"). `items` is the number of items one iteration processes.
inline benchmark::Counter per_item_time(double items) {
    return benchmark::Counter(items, benchmark::Counter::kIsIterationInvariantRate |
                                         benchmark::Counter::kInvert);
}

inline void report_items(benchmark::State& state, std::int64_t items, const char* per_item_name) {
    state.SetItemsProcessed(state.iterations() * items);
    state.counters[per_item_name] = per_item_time(static_cast<double>(items));
}

/// Times `once(rt)` on a runtime with state.range(0) workers. The runtime is
/// made once, outside the timed loop: only the workload itself is timed (plus
/// rt.run's hand-over to worker 0 and back, a few microseconds).
/// A result other than `expected` fails the benchmark.
template <class Once>
void time_weft(benchmark::State& state, std::int64_t expected, Once once) {
    weft::runtime_options o;
    o.workers = static_cast<unsigned>(state.range(0));
    weft::runtime rt(o);
    for (auto _ : state) {
        const std::int64_t got = once(rt);
        if (got != expected) {
            state.SkipWithError(("wrong result: " + std::to_string(got) + ", expected " +
                                 std::to_string(expected)).c_str());
            break;
        }
        benchmark::DoNotOptimize(got);
    }
    state.counters["threads"] = static_cast<double>(rt.workers());
}

/// As time_weft, in a tbb::task_arena of state.range(0) threads (the calling
/// thread plus N - 1 TBB workers), initialised before timing starts.
/// reserved_for_masters 0: the calling thread stays outside the arena
/// (enqueue only) and all N slots are for TBB workers.
template <class Once>
void time_tbb(benchmark::State& state, std::int64_t expected, Once once, unsigned reserved_for_masters = 1) {
    tbb::task_arena arena(static_cast<int>(state.range(0)), reserved_for_masters);
    arena.initialize();
    for (auto _ : state) {
        const std::int64_t got = once(arena);
        if (got != expected) {
            state.SkipWithError(("wrong result: " + std::to_string(got) + ", expected " +
                                 std::to_string(expected)).c_str());
            break;
        }
        benchmark::DoNotOptimize(got);
    }
    state.counters["threads"] = arena.max_concurrency();
}

} // namespace weft_bench
