// The workloads the sweep can measure: fib on a runtime of this process,
// the echo server against echo_load, or a user's command. The last two run
// in child processes configured, as a user's program would be, through
// WEFT_PIN and WEFT_WORKERS.
#pragma once

#include "sweep.hpp"

#include <memory>
#include <string>

namespace weft_tune {

/// fib(n) by recursive task spawning (bench/workloads) on a runtime with
/// the configuration's workers and pinning; one repetition runs fib(n) as
/// often as fits in `seconds` (at least once, after one warm-up run) and
/// returns runs per second.
std::unique_ptr<workload> make_fib_workload(int n, double seconds);

/// weft_echo_server and echo_load from `dir`: the server started with
/// WEFT_PIN, WEFT_WORKERS and --workers set to the configuration, echo_load
/// run against it with `connections` connections for `seconds` after
/// `warmup` seconds; returns requests per second. Throws std::runtime_error
/// if either executable is missing from `dir`.
std::unique_ptr<workload> make_echo_workload(const std::string& dir, double seconds, double warmup,
                                             int connections);

/// `/bin/sh -c command` with WEFT_PIN and WEFT_WORKERS set; returns 1 / wall
/// time. Its output is kept in a file and shown only when it fails.
std::unique_ptr<workload> make_cmd_workload(const std::string& command);

/// The directory holding this executable (from /proc/self/exe).
std::string executable_dir();

} // namespace weft_tune
