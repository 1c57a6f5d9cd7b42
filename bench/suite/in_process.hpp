// Runs the suite's Google Benchmark benchmarks in this process.
#pragma once

#include "collect_reporter.hpp"
#include "workloads.hpp"

#include <map>
#include <string>
#include <vector>

namespace weft_suite {

/// Registers the size-dependent benchmarks (bench_util.hpp registrations);
/// the others register themselves at start-up. Once per process.
void register_benchmarks(const weft_bench::sizes& s);

struct gbench_config {
    std::vector<std::string> names;  // exact names (catalog keys) to run
    int reps = 1;
    double min_time = 0;             // seconds per repetition; 0: one iteration
    bool interleave = true;          // shuffle the repetitions of all benchmarks
};

/// Runs the named benchmarks; once per process (Google Benchmark's flags
/// are global). Results by name; a name with no result did not run.
std::map<std::string, sample_set> run_in_process(const gbench_config& config,
                                                 collect_reporter::progress_fn progress = {});

} // namespace weft_suite
