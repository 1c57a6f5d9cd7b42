#include "options.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <string_view>

namespace weft_suite {

namespace {

int parse_int(std::string_view flag, std::string_view v, int lo, int hi) {
    int x = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc() || end != v.data() + v.size() || x < lo || x > hi)
        throw usage_error(std::string(flag) + " must be an integer in " + std::to_string(lo) + ".." +
                          std::to_string(hi) + ", got '" + std::string(v) + "'");
    return x;
}

double parse_seconds(std::string_view flag, const std::string& v) {
    std::size_t used = 0;
    double x = 0;
    try {
        x = std::stod(v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != v.size() || !std::isfinite(x) || x <= 0 || x > 3600)
        throw usage_error(std::string(flag) + " must be a number of seconds in (0, 3600], got '" + v + "'");
    return x;
}

} // namespace

options parse_options(int argc, char** argv) {
    options o;
    bool mode_given = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw usage_error(std::string(a) + " needs a value");
            return argv[++i];
        };
        auto set_mode = [&](mode m) {
            if (mode_given && o.run_mode != m) throw usage_error("--quick and --smoke exclude each other");
            o.run_mode = m;
            mode_given = true;
        };
        if (a == "--help" || a == "-h") {
            print_usage(stdout);
            std::exit(0);
        } else if (a == "--quick") {
            set_mode(mode::quick);
        } else if (a == "--smoke") {
            set_mode(mode::smoke);
        } else if (a == "--filter") {
            o.filter = value();
            try {
                std::regex check(o.filter);
            } catch (const std::regex_error& e) {
                throw usage_error("--filter: bad regular expression '" + o.filter + "': " + e.what());
            }
        } else if (a == "--json") {
            o.json_path = value();
        } else if (a == "--markdown") {
            o.markdown_path = value();
        } else if (a == "--echo-dir") {
            o.echo_dir = value();
        } else if (a == "--reps") {
            o.reps = parse_int(a, value(), 1, 100);
        } else if (a == "--echo-seconds") {
            o.echo_seconds = parse_seconds(a, value());
        } else if (a == "--no-rss") {
            o.rss = false;
        } else if (a == "--list") {
            o.list = true;
        } else if (a == "--rss-child") {
            o.rss_child = true;
            o.rss_child_name = value();
        } else {
            throw usage_error("unknown option '" + std::string(a) + "'");
        }
    }
    if (!o.json_path.empty() && o.json_path == o.markdown_path)
        throw usage_error("--json and --markdown must name different files");
    return o;
}

settings settings_for(const options& o) {
    settings s{};
    switch (o.run_mode) {
    case mode::smoke:
        // Every benchmark once, one iteration: does it run, is the result right.
        s = {weft_bench::sizes::small(), 1, 0.0, 0.5, 0.2, 1};
        break;
    case mode::quick:
        s = {weft_bench::sizes{25, 100'000, 100'000, 10'000}, 3, 0.05, 2.0, 0.5, 1};
        break;
    case mode::full:
        s = {weft_bench::sizes::full(), 5, 0.2, 5.0, 1.0, 3};
        break;
    }
    if (o.reps > 0) s.reps = s.echo_reps = o.reps;
    if (o.echo_seconds > 0) s.echo_seconds = o.echo_seconds;
    return s;
}

const char* mode_name(mode m) {
    switch (m) {
    case mode::smoke: return "smoke";
    case mode::quick: return "quick";
    case mode::full: return "full";
    }
    return "?";
}

const char* mode_flag(mode m) {
    switch (m) {
    case mode::smoke: return "--smoke";
    case mode::quick: return "--quick";
    case mode::full: return "";
    }
    return "";
}

void print_usage(std::FILE* out) {
    std::fputs(
        "usage: weft-bench [--quick | --smoke] [--filter REGEX] [--reps N] [--echo-seconds S]\n"
        "                  [--no-rss] [--json FILE] [--markdown FILE] [--echo-dir DIR] [--list]\n"
        "\n"
        "Runs weft's benchmark suite and, in the same run, the baselines it is compared\n"
        "with (oneTBB, std::mutex, standalone Asio), then prints per benchmark the weft\n"
        "median, min-max over the repetitions, the baseline median and weft/baseline,\n"
        "and the peak RSS of each benchmark.\n"
        "\n"
        "  (no mode flag)    the full suite: full sizes, 5 repetitions, echo 5 s x 3\n"
        "                    (about 4 minutes on 2 cores)\n"
        "  --quick           smaller sizes, 3 repetitions, echo 2 s x 1 (under a minute)\n"
        "  --smoke           tiny sizes, every benchmark once: checks that everything runs\n"
        "                    and gives the right result; exits 1 if not\n"
        "  --filter REGEX    only the rows whose section/label or benchmark names match\n"
        "                    (ECMAScript, anywhere in the name, e.g. 'fib|sync' or 'echo');\n"
        "                    a row's baseline runs with it\n"
        "  --reps N          repetitions of every benchmark and echo run (1..100)\n"
        "  --echo-seconds S  measured seconds per echo run\n"
        "  --no-rss          skip the peak RSS table (it runs every benchmark once more,\n"
        "                    each in a fresh process)\n"
        "  --json FILE       also write everything, machine description included, as JSON\n"
        "  --markdown FILE   write the tables and the machine description into FILE between\n"
        "                    '<!-- weft-bench:begin -->' and '<!-- weft-bench:end -->',\n"
        "                    keeping the rest of FILE (the markers are appended if absent)\n"
        "  --echo-dir DIR    where echo_load, weft_echo_server and asio_echo_server are\n"
        "                    (default: ../echo next to this executable)\n"
        "  --list            print the rows (section, label, benchmark names) and exit\n"
        "  -h, --help        this text\n"
        "\n"
        "Exit status: 0 when every benchmark ran and checked its result, 1 when one\n"
        "failed, 2 on bad usage.\n",
        out);
}

} // namespace weft_suite
