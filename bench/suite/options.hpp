// weft-bench's command line: what to run (mode, filter) and where to write.
#pragma once

#include "workloads.hpp"

#include <cstdio>
#include <stdexcept>
#include <string>

namespace weft_suite {

enum class mode { smoke, quick, full };

struct options {
    mode run_mode = mode::full;
    std::string filter;         // empty: everything
    std::string json_path;      // empty: no JSON file
    std::string markdown_path;  // empty: no Markdown file
    std::string echo_dir;       // empty: next to the executable (../echo)
    bool rss = true;            // the per-benchmark peak RSS table
    bool list = false;          // print the rows and exit
    int reps = 0;               // 0: the mode's default
    double echo_seconds = 0;    // 0: the mode's default
    // Internal: run one benchmark once and exit (the peak RSS probe).
    bool rss_child = false;
    std::string rss_child_name;
};

/// Sizes and repetitions a mode stands for (after --reps / --echo-seconds).
struct settings {
    weft_bench::sizes sizes;
    int reps;
    double min_time;  // Google Benchmark's per-repetition minimum, seconds
    double echo_seconds;
    double echo_warmup;
    int echo_reps;
};

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Throws usage_error on an unknown flag or a bad value.
options parse_options(int argc, char** argv);
settings settings_for(const options& o);
const char* mode_name(mode m);
/// The flag that selects `m` ("" for full), for child processes.
const char* mode_flag(mode m);
void print_usage(std::FILE* out);

} // namespace weft_suite
