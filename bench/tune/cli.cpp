#include "cli.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace weft_tune {

void print_usage(std::FILE* out) {
    std::fputs(
        "usage: weft-tune [options]\n"
        "\n"
        "Prints this machine's topology as hwloc sees it and the worker plan of every\n"
        "pinning policy, then measures a workload under each pinning policy and worker\n"
        "count, prints a table, writes an SVG plot and recommends the settings to use\n"
        "(the WEFT_PIN and WEFT_WORKERS environment variables the runtime reads).\n"
        "\n"
        "  --quick               a run of well under a minute: 1 repetition, fib(20),\n"
        "                        short measurements\n"
        "  --workload W          fib (default): fib by recursive task spawning on a\n"
        "                          runtime in this process, in runs/s\n"
        "                        echo: weft_echo_server loaded by echo_load, in req/s\n"
        "                        cmd: the --cmd command, in runs/s (1 / wall time)\n"
        "  --cmd \"COMMAND\"       run COMMAND with /bin/sh -c and WEFT_PIN, WEFT_WORKERS\n"
        "                        set for each configuration (implies --workload cmd); a\n"
        "                        program that sets runtime_options::workers itself ignores\n"
        "                        WEFT_WORKERS. Its output is shown only if it fails\n"
        "  --policies LIST       comma-separated: none, compact, scatter, numa\n"
        "                        (default: all four)\n"
        "  --workers LIST        worker counts, e.g. 1,2,4 or 1-8 (default: 1 to the number\n"
        "                        of allowed cores and twice that, on up to 8 cores; on\n"
        "                        more, the powers of two below the core count and it)\n"
        "  --reps N              repetitions per configuration (default 3; 1 with --quick)\n"
        "  --seconds S           length of one measurement (fib default 1, quick 0.2;\n"
        "                        echo default 3, quick 0.5)\n"
        "  --fib-n N             fib size (default 25; 20 with --quick)\n"
        "  --connections N       echo connections (default 50)\n"
        "  --echo-dir DIR        where weft_echo_server and echo_load are (default: the\n"
        "                        echo directory next to this executable's, ../echo)\n"
        "  --svg FILE            the plot (default weft-tune.svg; --svg '' for none)\n"
        "  --json FILE           the sweep and the recommendation as JSON\n"
        "  --topology-only       print the topology and the plans, no sweep\n"
        "  --plan-workers N      worker count of the printed plans (default: one per core)\n"
        "  --synthetic \"DESC\"    the topology and plans of an hwloc synthetic topology\n"
        "                        instead of this machine, e.g. \"pack:2 numa:2 core:4 pu:2\"\n"
        "                        (no sweep: measuring needs the real CPUs)\n"
        "  -h, --help            this text\n"
        "\n"
        "The recommendation is the best configuration, unless the default (WEFT_PIN and\n"
        "WEFT_WORKERS unset: not pinned, one worker per allowed core) is within its noise:\n"
        "their min-max ranges overlap or, with one repetition, they are under 10% apart.\n"
        "\n"
        "Exit status: 0 on success, 1 when a measurement fails, 2 on a bad command line.\n",
        out);
}

namespace {

unsigned parse_count(std::string_view flag, std::string_view text, unsigned min) {
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size())
        throw usage_error(std::string(flag) + ": expected a whole number, got '" + std::string(text) + "'");
    if (v < min)
        throw usage_error(std::string(flag) + ": must be at least " + std::to_string(min) +
                          ", got " + std::string(text));
    return v;
}

double parse_seconds(std::string_view flag, std::string_view text) {
    double v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size() || !(v > 0) || v > 3600)
        throw usage_error(std::string(flag) + ": expected seconds in (0, 3600], got '" +
                          std::string(text) + "'");
    return v;
}

std::vector<std::string_view> split(std::string_view text) {
    std::vector<std::string_view> parts;
    for (;;) {
        const auto comma = text.find(',');
        parts.push_back(text.substr(0, comma));
        if (comma == std::string_view::npos) return parts;
        text.remove_prefix(comma + 1);
    }
}

std::vector<weft::pinning_policy> parse_policies(std::string_view text) {
    std::vector<weft::pinning_policy> out;
    for (std::string_view t : split(text)) {
        weft::pinning_policy p;
        if (t == "none") p = weft::pinning_policy::none;
        else if (t == "compact") p = weft::pinning_policy::compact;
        else if (t == "scatter") p = weft::pinning_policy::scatter;
        else if (t == "numa") p = weft::pinning_policy::numa;
        else
            throw usage_error("--policies: unknown policy '" + std::string(t) +
                              "' (expected none, compact, scatter or numa)");
        if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    }
    return out;
}

std::vector<unsigned> parse_workers(std::string_view text) {
    constexpr unsigned limit = 4096;  // a typo such as 1-100000 would sweep forever
    std::vector<unsigned> out;
    for (std::string_view t : split(text)) {
        const auto dash = t.find('-');
        const unsigned lo = parse_count("--workers", t.substr(0, dash), 1);
        const unsigned hi = dash == std::string_view::npos ? lo : parse_count("--workers", t.substr(dash + 1), 1);
        if (hi < lo)
            throw usage_error("--workers: bad range '" + std::string(t) + "' (write LOW-HIGH)");
        if (hi > limit)
            throw usage_error("--workers: at most " + std::to_string(limit) + ", got " +
                              std::to_string(hi));
        for (unsigned n = lo; n <= hi; ++n)
            if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

options parse_args(int argc, char** argv) {
    options o;
    bool workload_given = false, cmd_given = false, synthetic_given = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        std::string_view inline_value;
        bool has_inline = false;
        if (a.starts_with("--") && a.find('=') != std::string_view::npos) {
            inline_value = a.substr(a.find('=') + 1);
            a = a.substr(0, a.find('='));
            has_inline = true;
        }
        auto value = [&]() -> std::string_view {
            if (has_inline) return inline_value;
            if (i + 1 >= argc) throw usage_error("missing value after " + std::string(a));
            return argv[++i];
        };
        auto flag_only = [&] {
            if (has_inline) throw usage_error(std::string(a) + " takes no value");
        };
        if (a == "-h" || a == "--help") { flag_only(); o.help = true; }
        else if (a == "--quick") { flag_only(); o.quick = true; }
        else if (a == "--topology-only") { flag_only(); o.topology_only = true; }
        else if (a == "--workload") {
            const std::string_view w = value();
            if (w != "fib" && w != "echo" && w != "cmd")
                throw usage_error("--workload: unknown workload '" + std::string(w) +
                                  "' (expected fib, echo or cmd)");
            o.workload = std::string(w);
            workload_given = true;
        } else if (a == "--cmd") {
            o.command = std::string(value());
            cmd_given = true;
        } else if (a == "--policies") o.policies = parse_policies(value());
        else if (a == "--workers") o.workers = parse_workers(value());
        else if (a == "--plan-workers") o.plan_workers = parse_count(a, value(), 1);
        else if (a == "--reps") o.reps = parse_count(a, value(), 1);
        else if (a == "--fib-n") o.fib_n = static_cast<int>(parse_count(a, value(), 2));
        else if (a == "--seconds") o.seconds = parse_seconds(a, value());
        else if (a == "--connections") o.connections = static_cast<int>(parse_count(a, value(), 1));
        else if (a == "--echo-dir") o.echo_dir = std::string(value());
        else if (a == "--svg") o.svg = std::string(value());
        else if (a == "--json") o.json = std::string(value());
        else if (a == "--synthetic") {
            o.synthetic = std::string(value());
            synthetic_given = true;
        } else throw usage_error("unknown option '" + std::string(argv[i]) + "'");
    }
    if (cmd_given && !workload_given) o.workload = "cmd";
    if (o.workload == "cmd" && (!cmd_given || o.command.empty()))
        throw usage_error("--workload cmd needs --cmd \"COMMAND\"");
    if (cmd_given && o.workload != "cmd")
        throw usage_error("--cmd goes with --workload cmd, not --workload " + o.workload);
    if (synthetic_given && o.synthetic.empty())
        throw usage_error("--synthetic needs a description, e.g. \"pack:2 numa:2 core:4 pu:2\"");
    if (o.fib_n > 40) throw usage_error("--fib-n: at most 40 (fib(40) takes minutes per run)");
    if (o.connections > 10000) throw usage_error("--connections: at most 10000");
    return o;
}

std::vector<unsigned> default_worker_counts(unsigned cores) {
    cores = std::max(cores, 1u);
    std::vector<unsigned> out;
    if (cores <= 8) {
        for (unsigned n = 1; n <= cores; ++n) out.push_back(n);
        out.push_back(2 * cores);
    } else {
        for (unsigned n = 1; n < cores; n *= 2) out.push_back(n);
        out.push_back(cores);
    }
    return out;
}

} // namespace weft_tune
