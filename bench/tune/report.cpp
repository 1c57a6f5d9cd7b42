#include "report.hpp"

#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace weft_tune {

std::string format_value(double v) {
    char buf[64];
    if (v >= 100) std::snprintf(buf, sizeof buf, "%.0f", v);
    else if (v >= 10) std::snprintf(buf, sizeof buf, "%.1f", v);
    else if (v >= 1) std::snprintf(buf, sizeof buf, "%.2f", v);
    else std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

std::string export_line(const config& c) {
    return "export WEFT_PIN=" + policy_name(c.policy) + " WEFT_WORKERS=" + std::to_string(c.workers);
}

namespace {

/// "97%", and "3.2%" below 10% so a small gain does not print as "+0%".
std::string percent(double ratio) {
    char buf[32];
    std::snprintf(buf, sizeof buf, ratio < 0.1 && ratio > -0.1 ? "%.1f%%" : "%.0f%%", ratio * 100);
    return buf;
}

std::string range(const result& r) { return format_value(r.min) + "-" + format_value(r.max); }

bool overlap(const result& a, const result& b) { return a.min <= b.max && b.min <= a.max; }

/// `text` after `head`, wrapped at 88 columns, continuation lines indented
/// to line up under the text.
std::string wrapped(const std::string& head, const std::string& text) {
    constexpr std::size_t width = 88;
    const std::string indent(head.size(), ' ');
    std::string out = head, line;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t space = text.find(' ', pos);
        const std::string word = text.substr(pos, space == std::string::npos ? std::string::npos : space - pos);
        pos = space == std::string::npos ? text.size() : space + 1;
        if (!line.empty() && head.size() + line.size() + 1 + word.size() > width) {
            out += line + "\n" + indent;
            line.clear();
        }
        if (!line.empty()) line += ' ';
        line += word;
    }
    return out + line + "\n";
}

} // namespace

recommendation recommend(const sweep_result& s) {
    const result& best = s.best();
    const result* base = s.baseline();
    const std::string default_name =
        "the default (" + describe(config{weft::pinning_policy::none, s.default_workers}) + ")";
    recommendation r;
    // With one run per configuration the min-max ranges are single points
    // and cannot overlap, so they say nothing about noise; a fixed margin
    // stands in for it.
    const bool single = s.reps == 1;
    constexpr double single_run_margin = 0.10;
    if (single)
        r.note = "one run per configuration, so the noise is unknown: differences under " +
                 percent(single_run_margin) +
                 " are treated as noise. Run with --reps 3 or more (the default without "
                 "--quick) before relying on a setting.";
    if (!base) {
        r.cfg = best.cfg;
        r.reason = "the best median of the sweep.";
        r.note = default_name + " was not in the sweep, so there is no comparison with it." +
                 (r.note.empty() ? "" : " Also " + r.note);
        return r;
    }
    if (&best == base) {
        r.cfg = base->cfg;
        r.is_default = true;
        r.reason = default_name + " has the best median: nothing to set.";
        return r;
    }
    const double gain = best.median / base->median - 1;
    const std::string best_text = describe(best.cfg) + " at " + format_value(best.median) + " " +
                                  s.unit + " (+" + percent(gain) + ")";
    const std::string base_text = default_name + " at " + format_value(base->median);
    const bool noise = single ? gain <= single_run_margin : overlap(best, *base);
    if (noise) {
        r.cfg = base->cfg;
        r.is_default = true;
        r.within_noise = true;
        r.reason = "the best, " + best_text + ", is within the noise of " + base_text +
                   (single ? " (under " + percent(single_run_margin) + " apart, from one run each)"
                           : ": their min-max ranges (" + range(best) + " and " + range(*base) +
                                 ") overlap") +
                   ". Keep the default: it needs no setting and follows the cores the program "
                   "is given.";
        return r;
    }
    r.cfg = best.cfg;
    r.reason = best_text + " beats " + base_text +
               (single ? " by more than the " + percent(single_run_margin) +
                             " allowed for the noise of one run"
                       : " beyond the noise: its slowest run (" + format_value(best.min) +
                             ") is faster than the default's fastest (" +
                             format_value(base->max) + ")") +
               ".";
    return r;
}

void print_table(std::ostream& out, const sweep_result& s) {
    const result& best = s.best();
    const result* base = s.baseline();
    const std::string median_head = "median " + s.unit;
    out << std::left << std::setw(9) << "WEFT_PIN" << std::right << std::setw(8) << "workers"
        << std::setw(16) << median_head << std::setw(22) << "min-max" << std::setw(9) << "vs best"
        << '\n';
    for (const result& r : s.rows) {
        std::string mark;
        if (&r == &best) mark = "  best";
        if (&r == base) mark += (mark.empty() ? "  " : ", ") + std::string("default");
        out << std::left << std::setw(9) << policy_name(r.cfg.policy) << std::right << std::setw(8)
            << r.cfg.workers << std::setw(16) << format_value(r.median) << std::setw(22) << range(r)
            << std::setw(9) << percent(best.median > 0 ? r.median / best.median : 0) << mark << '\n';
    }
}

void print_recommendation(std::ostream& out, const sweep_result& s, const recommendation& r) {
    if (r.is_default) {
        out << "recommended: the default, WEFT_PIN unset (none) and WEFT_WORKERS unset ("
            << s.default_workers << ", one worker per allowed core)\n"
            << "    unset WEFT_PIN WEFT_WORKERS\n"
            << "  (to pin it down explicitly on this machine: " << export_line(r.cfg) << ")\n";
    } else {
        out << "recommended: " << describe(r.cfg) << '\n' << "    " << export_line(r.cfg) << '\n';
    }
    out << wrapped("  why: ", r.reason);
    if (!r.note.empty()) out << wrapped("  note: ", r.note);
}

namespace {

std::string json_string(const std::string& text) {
    std::string s = "\"";
    for (unsigned char c : text) {
        if (c == '"') s += "\\\"";
        else if (c == '\\') s += "\\\\";
        else if (c == '\n') s += "\\n";
        else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            s += buf;
        } else s += static_cast<char>(c);
    }
    return s + "\"";
}

std::string json_number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

} // namespace

void write_json(const std::string& path, const sweep_result& s, const recommendation& r,
                const std::string& topology, const std::string& allowed_cpus) {
    const result& best = s.best();
    std::ostringstream o;
    o << "{\n  \"workload\": " << json_string(s.workload) << ",\n  \"title\": " << json_string(s.title)
      << ",\n  \"unit\": " << json_string(s.unit) << ",\n  \"reps\": " << s.reps
      << ",\n  \"topology\": " << json_string(topology)
      << ",\n  \"allowed_cpus\": " << json_string(allowed_cpus)
      << ",\n  \"default_workers\": " << s.default_workers << ",\n  \"results\": [\n";
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
        const result& x = s.rows[i];
        o << "    {\"pin\": " << json_string(policy_name(x.cfg.policy)) << ", \"workers\": "
          << x.cfg.workers << ", \"median\": " << json_number(x.median)
          << ", \"min\": " << json_number(x.min) << ", \"max\": " << json_number(x.max)
          << ", \"relative_to_best\": " << json_number(best.median > 0 ? x.median / best.median : 0)
          << ", \"samples\": [";
        for (std::size_t k = 0; k < x.samples.size(); ++k)
            o << (k ? ", " : "") << json_number(x.samples[k]);
        o << "]}" << (i + 1 < s.rows.size() ? "," : "") << '\n';
    }
    o << "  ],\n  \"best\": {\"pin\": " << json_string(policy_name(best.cfg.policy))
      << ", \"workers\": " << best.cfg.workers << "},\n  \"recommendation\": {\"pin\": "
      << json_string(policy_name(r.cfg.policy)) << ", \"workers\": " << r.cfg.workers
      << ", \"is_default\": " << (r.is_default ? "true" : "false")
      << ", \"within_noise\": " << (r.within_noise ? "true" : "false")
      << ", \"export\": " << json_string(export_line(r.cfg))
      << ", \"reason\": " << json_string(r.reason) << ", \"note\": " << json_string(r.note)
      << "}\n}\n";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << o.str();
    out.close();
    if (!out) throw std::runtime_error("cannot write " + path);
}

} // namespace weft_tune
