#include "in_process.hpp"

#include "bench_util.hpp"

#include <oneapi/tbb/global_control.h>

#include <algorithm>
#include <cstdio>
#include <thread>
#include <sstream>

namespace weft_suite {

namespace {

std::string regex_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (std::string_view(".[]{}()\\*+?^$|").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

/// Google Benchmark matches its filter against the full name, which ends
/// in /real_time or /manual_time for most of the suite.
std::string exact_filter(const std::vector<std::string>& names) {
    std::string f = "^(";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) f += '|';
        f += regex_escape(names[i]);
    }
    return f + ")(/real_time|/manual_time)?$";
}

} // namespace

void register_benchmarks(const weft_bench::sizes& s) {
    for (auto reg : weft_bench::registrations()) reg(s);
}

std::map<std::string, sample_set> run_in_process(const gbench_config& config,
                                                 collect_reporter::progress_fn progress) {
    if (config.names.empty()) return {};
    std::ostringstream min_time;
    min_time << config.min_time;
    std::vector<std::string> args = {
        "weft-bench",
        "--benchmark_filter=" + exact_filter(config.names),
        "--benchmark_repetitions=" + std::to_string(config.reps),
        "--benchmark_min_time=" + min_time.str(),
        std::string("--benchmark_enable_random_interleaving=") + (config.interleave ? "true" : "false"),
    };
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int argc = static_cast<int>(args.size());
    benchmark::Initialize(&argc, argv.data());
    if (benchmark::ReportUnrecognizedArguments(argc, argv.data()))
        throw std::logic_error("Google Benchmark rejected the suite's flags");

    // oneTBB caps its worker threads at the hardware threads minus one (1 on
    // a 2-core machine), so an arena of 2 threads with no slot reserved for
    // the submitting thread (the cross-thread and executor baselines) would
    // silently get 1 worker where weft gets 2. Lift the cap to 2 workers +
    // the external thread; arenas that reserve a slot ask for no more
    // workers than before.
    const std::size_t parallelism = std::max<std::size_t>(std::thread::hardware_concurrency(), 3);
    tbb::global_control cap(tbb::global_control::max_allowed_parallelism, parallelism);
    collect_reporter reporter(std::move(progress));
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    return reporter.results();
}

} // namespace weft_suite
