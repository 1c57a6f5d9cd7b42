// weft-tune: how should weft run on this machine?
//
// Prints the topology as hwloc sees it and the worker plan of every pinning
// policy, then sweeps pinning policies x worker counts over a workload (fib
// in this process, the echo server, or the user's own command through
// WEFT_PIN / WEFT_WORKERS), prints a table, writes an SVG plot and
// recommends the environment variables to set. See print_usage (cli.cpp).
#include "cli.hpp"
#include "measure.hpp"
#include "report.hpp"
#include "svg_plot.hpp"
#include "sweep.hpp"
#include "topology_report.hpp"

#include <weft/errors.hpp>
#include <weft/scheduler/topology.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace {

using namespace weft_tune;

const auto start_time = std::chrono::steady_clock::now();

void print_elapsed() {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f", s);
    std::cout << "\nweft-tune: done in " << buf << " s\n";
}

std::string join(const std::vector<weft::pinning_policy>& v) {
    std::string s;
    for (auto p : v) {
        if (!s.empty()) s += ',';
        s += policy_name(p);
    }
    return s;
}

std::string join(const std::vector<unsigned>& v) {
    std::string s;
    for (unsigned n : v) {
        if (!s.empty()) s += ',';
        s += std::to_string(n);
    }
    return s;
}

int describe_synthetic(const options& o) {
    const weft::topology topo = weft::topology::from_synthetic(o.synthetic);
    std::cout << "synthetic topology \"" << o.synthetic << "\" (not this machine)\n";
    print_topology(std::cout, topo, false);
    print_plans(std::cout, topo, o.plan_workers ? o.plan_workers : std::max(1u, topo.cores()));
    std::cout << "\nno sweep: a synthetic topology only describes a machine, and measuring needs\n"
                 "its real CPUs. Run weft-tune without --synthetic to sweep this machine.\n";
    return 0;
}

/// The sweep measures what the configuration says: a WEFT_PIN or
/// WEFT_WORKERS inherited from the shell would override the runtime_options
/// of the in-process fib runs, so they are cleared (the child processes get
/// their own values either way).
void clear_weft_environment() {
    for (const char* name : {"WEFT_PIN", "WEFT_WORKERS"})
        if (const char* v = std::getenv(name); v && *v) {
            std::cout << "note: " << name << "=" << v
                      << " from the environment is ignored during the sweep\n";
            ::unsetenv(name);
        }
}

std::unique_ptr<workload> make_workload(const options& o, double& seconds) {
    if (o.workload == "echo") {
        seconds = o.seconds > 0 ? o.seconds : o.quick ? 0.5 : 3.0;
        const std::string dir = o.echo_dir.empty() ? executable_dir() + "/../echo" : o.echo_dir;
        return make_echo_workload(dir, seconds, o.quick ? 0.2 : 0.5, o.connections);
    }
    if (o.workload == "cmd") {
        seconds = 0;
        return make_cmd_workload(o.command);
    }
    seconds = o.seconds > 0 ? o.seconds : o.quick ? 0.2 : 1.0;
    return make_fib_workload(o.fib_n ? o.fib_n : o.quick ? 20 : 25, seconds);
}

int tune_machine(const options& o) {
    const weft::topology& topo = weft::topology::machine();
    const unsigned default_workers = weft::default_worker_count();
    print_topology(std::cout, topo, true);
    print_plans(std::cout, topo, o.plan_workers ? o.plan_workers : default_workers);
    std::cout << std::flush;  // seen before the sweep starts, also through a pipe
    if (o.topology_only) return 0;

    // A plot or JSON file that cannot be written should fail now, not after
    // the whole sweep.
    for (const std::string& file : {o.svg, o.json}) {
        if (file.empty()) continue;
        const std::filesystem::path dir = std::filesystem::absolute(file).parent_path();
        if (::access(dir.c_str(), W_OK) != 0)
            throw std::runtime_error("cannot write " + file + ": " + dir.string() +
                                     " is not a writable directory");
    }
    clear_weft_environment();
    double seconds = 0;
    std::unique_ptr<workload> w = make_workload(o, seconds);
    const std::vector<weft::pinning_policy> policies =
        o.policies.empty() ? std::vector<weft::pinning_policy>{weft::pinning_policy::none,
                                                               weft::pinning_policy::compact,
                                                               weft::pinning_policy::scatter,
                                                               weft::pinning_policy::numa}
                           : o.policies;
    const std::vector<unsigned> workers =
        o.workers.empty() ? default_worker_counts(topo.cores()) : o.workers;
    const unsigned reps = o.reps ? o.reps : o.quick ? 1 : 3;
    const auto total = static_cast<unsigned>(policies.size() * workers.size()) * reps;

    std::cout << "\nsweep: " << w->title() << "\n  WEFT_PIN " << join(policies) << " x WEFT_WORKERS "
              << join(workers) << ", " << reps << (reps == 1 ? " repetition" : " repetitions")
              << " (interleaved)";
    if (seconds > 0) std::cout << ", " << seconds << " s per measurement";
    std::cout << '\n';
    if (w->name() == "echo")
        std::cout << "  (echo_load runs on the same CPUs as the server: compare the configurations\n"
                     "   with each other rather than with another machine's figures)\n";
    unsigned done = 0;
    const sweep_result s = run_sweep(*w, policies, workers, reps, default_workers,
                                     [&](unsigned rep, const config& c, double v) {
                                         ++done;
                                         std::cout << "  [" << done << "/" << total << "] rep "
                                                   << rep << ", " << describe(c) << ": "
                                                   << format_value(v) << ' ' << w->unit() << '\n'
                                                   << std::flush;
                                     });

    std::cout << '\n';
    print_table(std::cout, s);
    const recommendation r = recommend(s);
    if (!o.svg.empty()) {
        write_svg(s, o.svg);
        std::cout << "\nplot: " << o.svg << '\n';
    }
    if (!o.json.empty()) {
        write_json(o.json, s, r, topo.describe(), cpu_list(allowed_cpus()));
        std::cout << (o.svg.empty() ? "\n" : "") << "json: " << o.json << '\n';
    }
    std::cout << '\n';
    print_recommendation(std::cout, s, r);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    options o;
    try {
        o = parse_args(argc, argv);
    } catch (const usage_error& e) {
        std::fprintf(stderr, "weft-tune: %s\n\n", e.what());
        print_usage(stderr);
        return 2;
    }
    if (o.help) {
        print_usage(stdout);
        return 0;
    }
    int rc = 0;
    try {
        if (!o.synthetic.empty()) {
            try {
                rc = describe_synthetic(o);
            } catch (const weft::value_error& e) {
                std::fprintf(stderr, "weft-tune: --synthetic: %s\n\n", e.what());
                print_usage(stderr);
                return 2;
            }
        } else {
            rc = tune_machine(o);
        }
    } catch (const std::exception& e) {
        std::cout << std::flush;
        std::fprintf(stderr, "weft-tune: error: %s\n", e.what());
        return 1;
    }
    print_elapsed();
    return rc;
}
