// The sweep as an SVG bar chart, written by hand (no plotting dependency):
// one group of bars per worker count, one bar per pinning policy in each,
// the median as the bar and the min-max range as a whisker; the best
// configuration and the default are marked.
#pragma once

#include "sweep.hpp"

#include <string>

namespace weft_tune {

/// The whole SVG document.
std::string svg_plot(const sweep_result& s);

/// Writes svg_plot(s) to `path`; throws std::runtime_error if it cannot.
void write_svg(const sweep_result& s, const std::string& path);

/// `text` with &, <, >, " and ' escaped for XML.
std::string xml_escape(const std::string& text);

} // namespace weft_tune
