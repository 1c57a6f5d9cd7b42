// What the figures were measured on: CPU, cores, kernel, compiler, build
// type and library versions, as label/value pairs in a fixed order.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace weft_suite {

using machine_info = std::vector<std::pair<std::string, std::string>>;

/// Read once at start (the load average is the one at that moment).
machine_info describe_machine();

/// The 1, 5 and 15 minute load averages ("1.02 0.87 0.55").
std::string load_average();

} // namespace weft_suite
