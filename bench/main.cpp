// weft_bench: the entry point. Parses weft_bench's own flag, registers the
// issue-3 benchmarks at the chosen size, records the report's context lines,
// and runs everything through ratio_reporter, which ends the report with the
// weft / oneTBB table.
//
//   --weft_size=full    (default) fib(30), skynet 1M, spawn 1M, ping-pong 100k
//   --weft_size=small   fib(20), skynet 10k, spawn 10k, ping-pong 1k: for the
//                       ctest smoke run, which checks that everything works
//
// Every other flag is Google Benchmark's (--benchmark_filter, ...).
#include "bench_util.hpp"
#include "ratio_reporter.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/version.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#ifndef WEFT_BENCH_VERSION
#define WEFT_BENCH_VERSION "unknown"
#endif

namespace {

constexpr const char size_flag[] = "--weft_size=";

/// Removes --weft_size=... from argv (benchmark::Initialize rejects flags it
/// does not know) and stores its value in `size` ("full" if absent).
/// Returns false on a value other than full or small.
bool take_size_flag(int& argc, char** argv, std::string& size) {
    size = "full";
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], size_flag, sizeof size_flag - 1) == 0)
            size = argv[i] + sizeof size_flag - 1;
        else
            argv[kept++] = argv[i];
    }
    argc = kept;
    argv[argc] = nullptr;
    return size == "full" || size == "small";
}

void add_context(const std::string& size_name) {
    benchmark::AddCustomContext("weft_version", WEFT_BENCH_VERSION);
    benchmark::AddCustomContext("weft_size", size_name);
    benchmark::AddCustomContext("weft_workers",
                                "<workload>/weft/workers:N: a weft::runtime with N workers; "
                                "BM_* benchmarks: one standalone event loop");
    benchmark::AddCustomContext("tbb_version", std::string(TBB_VERSION_STRING) + " (runtime " +
                                                   TBB_runtime_version() + ")");
#ifdef NDEBUG
    benchmark::AddCustomContext("weft_build", "release (NDEBUG)");
#else
    benchmark::AddCustomContext("weft_build", "debug (assertions on: timings not representative)");
#endif
}

} // namespace

int main(int argc, char** argv) {
    std::string size;
    if (!take_size_flag(argc, argv, size)) {
        std::fprintf(stderr, "weft_bench: --weft_size must be full or small\n");
        return 1;
    }
    add_context(size);
    const auto sizes = size == "small" ? weft_bench::sizes::small() : weft_bench::sizes::full();
    for (auto reg : weft_bench::registrations()) reg(sizes);

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    weft_bench::ratio_reporter reporter(benchmark::CreateDefaultDisplayReporter());
    // oneTBB keeps one core for an application thread that joins its
    // arenas, so by default it runs cores - 1 workers (1 on 2 cores). The
    // baselines that enqueue from outside an arena (no slot reserved for it)
    // need a worker per core, as weft's executors get (tbb_executor lifts
    // the cap the same way).
    oneapi::tbb::global_control workers_per_core(oneapi::tbb::global_control::max_allowed_parallelism,
                                                 std::max<std::size_t>(std::thread::hardware_concurrency(), 1) + 1);
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    return 0;
}
