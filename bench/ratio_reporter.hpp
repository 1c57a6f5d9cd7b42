// ratio_reporter: passes every report through to the display reporter the
// flags chose (console, JSON or CSV), and at the end prints one table of
// weft / oneTBB ratios computed from this same run.
//
// Pairing is by name: "<workload>/weft/workers:<N>" with
// "<workload>/tbb/threads:<N>" (bench_util.hpp). The figure per benchmark is
// the median of the repetitions when --benchmark_repetitions > 1, else the
// single run's mean time per iteration (wall clock). Weft benchmarks with no
// oneTBB twin are listed with their own time only.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace weft_bench {

class ratio_reporter final : public benchmark::BenchmarkReporter {
public:
    /// `display` is not owned (benchmark::CreateDefaultDisplayReporter()
    /// returns a reporter that lives for the whole program).
    explicit ratio_reporter(benchmark::BenchmarkReporter* display) : display_(display) {}

    bool ReportContext(const Context& context) override;
    void ReportRuns(const std::vector<Run>& runs) override;
    void Finalize() override;

private:
    struct timings {
        std::vector<double> run_seconds;  // one per repetition
        double median_seconds = -1;       // from the "median" aggregate, if any
        double seconds() const;
        bool is_median() const { return median_seconds >= 0 || run_seconds.size() > 1; }
    };
    // key: {workload, count}; value: {impl ("weft" / "tbb") -> timings}
    using key = std::pair<std::string, int>;

    void print_table(std::ostream& out) const;

    benchmark::BenchmarkReporter* display_;
    std::map<key, std::map<std::string, timings>> rows_;
    std::vector<key> order_;  // first-seen order, so the table follows the run
};

} // namespace weft_bench
