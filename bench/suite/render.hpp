// The report as text: Markdown tables (machine, settings, one comparison
// table per section, peak RSS), readable as is in a terminal and the same
// text --markdown puts into a file.
#pragma once

#include "report.hpp"

#include <string>

namespace weft_suite {

std::string render_markdown(const suite_report& r);

} // namespace weft_suite
