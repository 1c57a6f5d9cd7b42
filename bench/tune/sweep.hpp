// The sweep: every configuration (pinning policy x worker count) measured
// --reps times by a workload, and the statistics the table, the plot and the
// recommendation are made from.
#pragma once

#include <weft/scheduler/pinning.hpp>

#include <functional>
#include <string>
#include <vector>

namespace weft_tune {

/// One configuration, as a user would set it with WEFT_PIN / WEFT_WORKERS.
struct config {
    weft::pinning_policy policy = weft::pinning_policy::none;
    unsigned workers = 1;
};

/// "none", "compact", "scatter", "numa" (what WEFT_PIN accepts).
std::string policy_name(weft::pinning_policy p);
/// "compact, 2 workers"
std::string describe(const config& c);

/// Something to measure under a configuration; each call is one repetition
/// and returns a throughput in unit() (higher is better). Throws
/// std::runtime_error, naming the configuration, when the run fails.
class workload {
public:
    virtual ~workload() = default;
    virtual std::string name() const = 0;         ///< "fib", "echo", "cmd"
    virtual std::string title() const = 0;        ///< "fib(25), recursive task spawning"
    virtual std::string unit() const = 0;         ///< "runs/s", "req/s"
    virtual double measure(const config& c) = 0;
};

struct result {
    config cfg;
    std::vector<double> samples;  ///< one per repetition, in the order run
    double median = 0, min = 0, max = 0;
};

struct sweep_result {
    std::string workload, title, unit;
    unsigned reps = 0;
    unsigned default_workers = 0;  ///< what the runtime uses when WEFT_WORKERS is unset
    std::vector<result> rows;      ///< in sweep order: policy-major, then workers

    /// The row with the highest median.
    const result& best() const;
    /// The row for `none` with default_workers (the runtime's behaviour with
    /// neither variable set), or nullptr when the sweep left it out.
    const result* baseline() const;
};

/// Called after every measurement, for progress output.
using progress_fn = std::function<void(unsigned rep, const config&, double value)>;

/// Measures every configuration `reps` times. The repetitions are
/// interleaved (all configurations once, then again, ...) so that a slow
/// moment of a shared machine hits every configuration alike instead of all
/// repetitions of one.
sweep_result run_sweep(workload& w, const std::vector<weft::pinning_policy>& policies,
                       const std::vector<unsigned>& workers, unsigned reps,
                       unsigned default_workers, const progress_fn& progress);

} // namespace weft_tune
