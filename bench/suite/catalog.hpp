// The suite's rows: what each benchmark is, and what it is compared with.
//
// A row names a weft benchmark and, when there is one, the baseline
// benchmark doing the same work (both by their Google Benchmark names
// without the /real_time suffix). Names depend on the sizes (fib25 at
// --quick, fib30 in the full run). Echo runs outside the process and has
// rows of its own (echo_runner.hpp); echo_key names them for --filter.
#pragma once

#include "workloads.hpp"

#include <regex>
#include <string>
#include <vector>

namespace weft_suite {

struct row {
    std::string section;         // "scheduler", "sync", "executors"
    std::string label;           // what the row measures
    std::string weft;            // benchmark name
    std::string baseline;        // benchmark name; empty: weft only
    std::string baseline_label;  // what the baseline is
};

std::vector<row> catalog(const weft_bench::sizes& s, bool have_asio);

/// The name --filter matches to select the echo benchmark.
inline const char* echo_key() { return "io/echo: weft_echo_server vs asio_echo_server"; }

/// Whether --filter selects the row (its section/label or either benchmark).
bool selected(const row& r, const std::regex* filter);

/// Benchmark names of the selected rows, each once, in row order.
std::vector<std::string> benchmarks_of(const std::vector<row>& rows);

} // namespace weft_suite
