// weft-tune's command line.
#pragma once

#include <weft/scheduler/pinning.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace weft_tune {

struct options {
    bool help = false;
    bool quick = false;
    bool topology_only = false;
    std::string workload = "fib";  ///< fib | echo | cmd
    std::string command;           ///< --cmd
    std::vector<weft::pinning_policy> policies;  ///< empty: none, compact, scatter, numa
    std::vector<unsigned> workers;               ///< empty: default_worker_counts()
    unsigned plan_workers = 0;                   ///< 0: one per core
    unsigned reps = 0;                           ///< 0: 3, or 1 with --quick
    int fib_n = 0;                               ///< 0: 25, or 20 with --quick
    double seconds = 0;                          ///< 0: per workload and --quick
    int connections = 50;
    std::string echo_dir;                        ///< empty: next to this executable
    std::string svg = "weft-tune.svg";           ///< empty: no plot
    std::string json;                            ///< empty: no JSON
    std::string synthetic;                       ///< non-empty: describe it, no sweep
};

/// Bad command line; main prints what() and the usage, exits 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

options parse_args(int argc, char** argv);
void print_usage(std::FILE* out);

/// The worker counts swept by default on a machine with `cores` allowed
/// cores: 1..cores and 2 x cores (oversubscribed) up to 8 cores; on bigger
/// machines the powers of two below `cores`, and `cores`.
std::vector<unsigned> default_worker_counts(unsigned cores);

} // namespace weft_tune
