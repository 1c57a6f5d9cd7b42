// The TCP echo benchmark (bench/echo): starts asio_echo_server and
// weft_echo_server in turn, drives each with echo_load --json, and keeps
// every run's figures. Repetitions are interleaved (asio, weft, asio, weft,
// ...) so a slow moment of a shared machine hits both servers alike.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace weft_suite {

struct echo_settings {
    std::string dir;  // holds echo_load, weft_echo_server, asio_echo_server
    double seconds = 2;
    double warmup = 0.5;
    int reps = 1;
    int connections = 50;
    int size = 64;
    int workers = 2;  // the weft server's workers, the Asio server's threads
};

/// One server's runs.
struct echo_server_runs {
    std::string program;  // "weft_echo_server"
    std::string label;    // "weft streams, 2 workers, epoll"
    bool available = false;
    // Per run (one entry per repetition that succeeded).
    std::map<std::string, std::vector<double>> figures;  // req_per_s, p50_us, p99_us, max_us,
                                                         // server_cpu_us_per_req, client_cpu_us_per_req
    long peak_rss_kib = 0;                               // the largest over the runs
    std::vector<std::string> errors;
};

struct echo_results {
    echo_server_runs weft;
    echo_server_runs asio;
};

/// The directory ../echo next to this executable (/proc/self/exe).
std::string default_echo_dir();

/// Runs the benchmark; progress lines go to stderr. A server that is not
/// built is marked unavailable (Asio is optional); failures land in errors.
echo_results run_echo(const echo_settings& s);

/// The numbers of a flat JSON object line such as echo_load --json prints.
std::map<std::string, double> parse_flat_json(const std::string& line);

} // namespace weft_suite
