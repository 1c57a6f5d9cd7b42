// What the sweep means for the user: the table, the recommended settings
// with the exact environment variables, and the same as JSON.
#pragma once

#include "sweep.hpp"

#include <ostream>
#include <string>

namespace weft_tune {

struct recommendation {
    config cfg;                 ///< what to run with
    bool is_default = false;    ///< the runtime's default: no variables needed
    /// The best is within the noise of the default: their min-max ranges
    /// overlap, or with one repetition (ranges of a single point) the best
    /// is less than 10% ahead.
    bool within_noise = false;
    std::string reason;         ///< why, in a sentence or two
    std::string note;           ///< a caveat (one repetition, default not measured), or empty
};

/// The best configuration, unless the default (none with the default worker
/// count) is the best or the best is within its noise: then the default,
/// which needs no setting and follows the machine it runs on.
recommendation recommend(const sweep_result& s);

/// Policy, workers, median, min-max and the ratio to the best, one row per
/// configuration; the best and the default are marked.
void print_table(std::ostream& out, const sweep_result& s);

/// "recommended: ..." with the export line to copy.
void print_recommendation(std::ostream& out, const sweep_result& s, const recommendation& r);

/// "export WEFT_PIN=compact WEFT_WORKERS=2"
std::string export_line(const config& c);

/// The sweep, the recommendation and the machine as JSON; throws
/// std::runtime_error if the file cannot be written.
void write_json(const std::string& path, const sweep_result& s, const recommendation& r,
                const std::string& topology, const std::string& allowed_cpus);

/// A throughput with as many digits as it deserves: 12345, 123.4, 1.23, 0.0123.
std::string format_value(double v);

} // namespace weft_tune
