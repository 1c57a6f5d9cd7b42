// collect_reporter: a Google Benchmark reporter that prints nothing and keeps
// every repetition's wall time per iteration (and per item, when the
// benchmark reports one) for the suite's own tables.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace weft_suite {

/// One benchmark's repetitions.
struct sample_set {
    std::string name;                       // "fib25/weft/workers:2" (no /real_time)
    std::vector<double> seconds_per_iter;   // wall (or manual) time, one per repetition
    std::vector<double> seconds_per_item;   // empty when the benchmark reports no items
    std::string item;                       // "task", "op", "call", "item" ...
    std::int64_t iterations = 0;            // of the last repetition
    std::map<std::string, double> counters; // of the last repetition
    std::string error;                      // set when a repetition failed
};

/// The benchmark's name without Google Benchmark's "/real_time" or
/// "/manual_time" suffix: the key the suite's catalog uses.
std::string key_of(const benchmark::BenchmarkReporter::Run& run);

class collect_reporter final : public benchmark::BenchmarkReporter {
public:
    /// Called once per benchmark when its last repetition is in.
    using progress_fn = std::function<void(const sample_set&)>;
    explicit collect_reporter(progress_fn progress = {}) : progress_(std::move(progress)) {}

    bool ReportContext(const Context&) override { return true; }
    void ReportRuns(const std::vector<Run>& runs) override;

    const std::map<std::string, sample_set>& results() const { return results_; }

private:
    progress_fn progress_;
    std::map<std::string, sample_set> results_;
};

} // namespace weft_suite
