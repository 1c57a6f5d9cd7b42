// The suite's results as rows of a comparison table: per row the weft
// figure and the baseline's (median, min, max over the repetitions), the
// ratio weft / baseline, which direction is better, and the peak RSS of
// both sides. Built from the in-process results, the echo runs and the RSS
// probes; rendered by render.hpp and json_output.hpp.
#pragma once

#include "catalog.hpp"
#include "collect_reporter.hpp"
#include "echo_runner.hpp"
#include "machine_info.hpp"
#include "rss_probe.hpp"
#include "stats.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace weft_suite {

/// How a row's values read: a time in seconds (printed with ns/us/ms/s,
/// per `per` when set, e.g. "ns/task"), or a rate (per second, e.g. req/s).
enum class unit_kind { time, rate };

struct side {
    std::string name;              // benchmark or program
    std::string label;             // what it is (baselines; the echo servers)
    std::vector<double> samples;   // one per repetition, in the row's unit
    summary stats;
    std::string error;             // empty when every repetition ran
    long peak_rss_kib = 0;         // 0: not measured
};

struct result_row {
    std::string section;
    std::string label;
    unit_kind kind = unit_kind::time;
    std::string per;  // time per what ("task"); empty: per iteration
    bool lower_is_better = true;
    side weft;
    std::optional<side> baseline;
    double ratio = 0;  // weft / baseline medians; 0 when there is none
};

struct suite_report {
    std::string mode;
    machine_info machine;
    std::vector<std::pair<std::string, std::string>> settings;  // label, value
    std::vector<result_row> rows;
    std::map<std::string, sample_set> benchmarks;  // raw, by name
    std::optional<echo_results> echo;
    echo_settings echo_config;
    std::map<std::string, rss_result> rss;
    rss_result rss_floor;
    long process_peak_rss_kib = 0;
    double elapsed_seconds = 0;
    std::string load_at_end;
    std::vector<std::string> failures;
};

/// Rows for the selected catalog entries from the in-process results.
std::vector<result_row> benchmark_rows(const std::vector<row>& selected,
                                       const std::map<std::string, sample_set>& results,
                                       const std::map<std::string, rss_result>& rss);

/// Rows for the echo benchmark (req/s, latencies, server CPU).
std::vector<result_row> echo_rows(const echo_results& e, const echo_settings& s);

/// Every failed or missing benchmark, one line each.
std::vector<std::string> failures_of(const suite_report& r);

} // namespace weft_suite
