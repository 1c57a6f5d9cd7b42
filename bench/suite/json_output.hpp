// The report as one JSON document (--json FILE): the machine, the settings,
// the comparison rows, every benchmark's raw repetitions and counters, the
// echo runs, peak RSS and failures. Times are in seconds, memory in KiB.
#pragma once

#include "report.hpp"

#include <ostream>

namespace weft_suite {

void write_json(std::ostream& out, const suite_report& r);

} // namespace weft_suite
