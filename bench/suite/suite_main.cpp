// weft-bench: the whole benchmark suite in one command, each weft figure
// next to the baseline doing the same work, measured in the same run.
//
//   1. the scheduler, sync and executor benchmarks (bench/*.cpp, Google
//      Benchmark) in this process, repetitions of all of them interleaved
//      at random so that a slow moment of a shared machine does not land
//      on one side of a comparison only;
//   2. the TCP echo benchmark against standalone Asio (bench/echo), the
//      servers and load generator as child processes;
//   3. peak RSS: every benchmark once more, each in a fresh process.
// Then the tables on stdout, and on request JSON and a Markdown section.
// See options.cpp (print_usage) for the command line.
#include "catalog.hpp"
#include "child_process.hpp"
#include "echo_runner.hpp"
#include "in_process.hpp"
#include "json_output.hpp"
#include "machine_info.hpp"
#include "markdown_file.hpp"
#include "options.hpp"
#include "render.hpp"
#include "report.hpp"
#include "rss_probe.hpp"

#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>

namespace {

using namespace weft_suite;

#ifdef WEFT_SUITE_HAVE_ASIO
constexpr bool have_asio = true;
#else
constexpr bool have_asio = false;
#endif

int usage_failure(const std::string& why) {
    std::fprintf(stderr, "weft-bench: %s\n\n", why.c_str());
    print_usage(stderr);
    return 2;
}

std::string format_seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", s);
    return buf;
}

std::vector<std::pair<std::string, std::string>> describe_settings(const options& o, const settings& st,
                                                                   const echo_settings& echo, bool run_echo,
                                                                   int argc, char** argv) {
    using weft_bench::short_count;
    const auto& z = st.sizes;
    std::string command = "weft-bench";
    for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
    std::vector<std::pair<std::string, std::string>> s = {
        {"Command", command},
        {"Mode", mode_name(o.run_mode)},
        {"Repetitions", std::to_string(st.reps) + " per benchmark, interleaved at random, each at least " +
                            (st.min_time > 0 ? format_seconds(st.min_time) : "one iteration")},
        {"Sizes", "fib(" + std::to_string(z.fib_n) + "), skynet " + short_count(z.skynet_leaves) + " leaves, spawn " +
                      short_count(z.spawn_tasks) + ", ping-pong " + short_count(z.ping_pong_rounds) +
                      ", cross-thread " + short_count(z.spawn_tasks / 10) + " calls (round trips " +
                      short_count(z.ping_pong_rounds / 10) +
                      "); fixed: sync 1M ops, executors 10k calls, timers 100k sleepers"},
    };
    if (run_echo)
        s.push_back({"Echo", format_seconds(echo.seconds) + " after " + format_seconds(echo.warmup) + " warm-up, " +
                                 std::to_string(echo.reps) + " run(s) per server, interleaved; " +
                                 std::to_string(echo.connections) + " connections x " + std::to_string(echo.size) +
                                 " B from one echo_load thread; servers with " + std::to_string(echo.workers) +
                                 " workers / threads"});
    if (!o.filter.empty()) s.push_back({"Filter", o.filter});
    return s;
}

int run(int argc, char** argv) {
    options o;
    try {
        o = parse_options(argc, argv);
    } catch (const usage_error& e) {
        return usage_failure(e.what());
    }
    const settings st = settings_for(o);
    register_benchmarks(st.sizes);
    if (o.rss_child) return rss_child_main(o.rss_child_name);

    std::string why;
    if (!o.json_path.empty() && !writable(o.json_path, why)) return usage_failure("--json: " + why);
    if (!o.markdown_path.empty()) {
        if (!writable(o.markdown_path, why)) return usage_failure("--markdown: " + why);
        try {
            check_markdown_file(o.markdown_path);
        } catch (const std::exception& e) {
            return usage_failure("--markdown " + o.markdown_path + ": " + e.what());
        }
    }
    if (!o.echo_dir.empty() && !std::filesystem::is_directory(o.echo_dir))
        return usage_failure("--echo-dir: " + o.echo_dir + " is not a directory");

    std::unique_ptr<std::regex> filter;
    if (!o.filter.empty()) filter = std::make_unique<std::regex>(o.filter);
    std::vector<row> rows;
    for (const row& r : catalog(st.sizes, have_asio))
        if (selected(r, filter.get())) rows.push_back(r);
    const bool run_echo = !filter || std::regex_search(echo_key(), *filter);

    if (o.list) {
        for (const row& r : rows)
            std::printf("%-10s %-70s %s%s%s\n", r.section.c_str(), r.label.c_str(), r.weft.c_str(),
                        r.baseline.empty() ? "" : "  vs  ", r.baseline.c_str());
        if (run_echo) std::printf("%-10s %s\n", "io", echo_key());
        return 0;
    }
    if (rows.empty() && !run_echo)
        return usage_failure("--filter '" + o.filter + "' matches no benchmark (see --list)");

    const auto start = std::chrono::steady_clock::now();
    suite_report rep;
    rep.mode = mode_name(o.run_mode);
    rep.machine = describe_machine();
    rep.echo_config.dir = o.echo_dir.empty() ? default_echo_dir() : o.echo_dir;
    rep.echo_config.seconds = st.echo_seconds;
    rep.echo_config.warmup = st.echo_warmup;
    rep.echo_config.reps = st.echo_reps;
    rep.settings = describe_settings(o, st, rep.echo_config, run_echo, argc, argv);

    gbench_config gb;
    gb.names = benchmarks_of(rows);
    gb.reps = st.reps;
    gb.min_time = st.min_time;
    std::fprintf(stderr, "weft-bench (%s): %zu benchmarks x %d repetitions%s%s\n", rep.mode.c_str(), gb.names.size(),
                 gb.reps, run_echo ? ", then echo" : "", o.rss ? ", then peak RSS" : "");
    std::size_t done = 0;
    const std::size_t total = gb.names.size();
    rep.benchmarks = run_in_process(gb, [&done, total](const sample_set& s) {
        ++done;
        std::string what = "FAILED: " + s.error;
        if (s.error.empty()) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.3g ms per iteration", summarize(s.seconds_per_iter).median * 1e3);
            what = buf;
        }
        std::fprintf(stderr, "  [%2zu/%zu] %-48s %s\n", done, total, s.name.c_str(), what.c_str());
    });

    if (run_echo) rep.echo = weft_suite::run_echo(rep.echo_config);
    if (o.rss) {
        rep.rss = probe_rss(mode_flag(o.run_mode), gb.names);
        rep.rss_floor = probe_idle(mode_flag(o.run_mode));
    }

    rep.rows = benchmark_rows(rows, rep.benchmarks, rep.rss);
    if (rep.echo) {
        auto echo = echo_rows(*rep.echo, rep.echo_config);
        rep.rows.insert(rep.rows.end(), echo.begin(), echo.end());
    }
    rep.failures = failures_of(rep);
    rep.process_peak_rss_kib = peak_rss_kib();
    rep.load_at_end = load_average();
    rep.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const std::string text = render_markdown(rep);
    std::cout << "\n" << text << std::flush;
    int status = rep.failures.empty() ? 0 : 1;
    if (!o.json_path.empty()) {
        std::ofstream out(o.json_path, std::ios::trunc);
        write_json(out, rep);
        out.flush();
        if (!out) {
            std::fprintf(stderr, "weft-bench: cannot write %s\n", o.json_path.c_str());
            status = 1;
        }
    }
    if (!o.markdown_path.empty()) {
        try {
            update_markdown_file(o.markdown_path, text);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "weft-bench: --markdown %s: %s\n", o.markdown_path.c_str(), e.what());
            status = 1;
        }
    }
    if (status != 0 && !rep.failures.empty())
        std::fprintf(stderr, "weft-bench: %zu failure(s), listed above\n", rep.failures.size());
    return status;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "weft-bench: %s\n", e.what());
        return 1;
    }
}
