#include "render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <vector>

namespace weft_suite {

namespace {

const char* dash = "\u2014";  // an empty cell

/// Width on a terminal: UTF-8 code points.
std::size_t width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

class table {
public:
    explicit table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
    void add(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
    bool empty() const { return rows_.size() == 1; }

    std::string str() const {
        std::vector<std::size_t> w(rows_[0].size(), 3);
        for (const auto& r : rows_)
            for (std::size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], width(r[i]));
        std::string out;
        for (std::size_t k = 0; k < rows_.size(); ++k) {
            out += "|";
            for (std::size_t i = 0; i < w.size(); ++i)
                out += " " + rows_[k][i] + std::string(w[i] - width(rows_[k][i]), ' ') + " |";
            out += "\n";
            if (k == 0) {
                out += "|";
                for (std::size_t i = 0; i < w.size(); ++i) out += std::string(w[i] + 2, '-') + "|";
                out += "\n";
            }
        }
        return out;
    }

private:
    std::vector<std::vector<std::string>> rows_;
};

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

/// Three significant digits (at least the integer part).
std::string sig3(double v) {
    const double a = std::fabs(v);
    return fixed(v, a >= 100 ? 0 : a >= 10 ? 1 : 2);
}

struct scale {
    double factor;
    const char* unit;
};

scale time_scale(double seconds) {
    if (seconds >= 1) return {1, "s"};
    if (seconds >= 1e-3) return {1e3, "ms"};
    if (seconds >= 1e-6) return {1e6, "\u00b5s"};
    return {1e9, "ns"};
}

std::string thousands(double v) {
    std::string digits = fixed(v, 0);
    std::string out;
    const std::size_t start = digits[0] == '-' ? 1 : 0;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > start && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string unit_of(const result_row& r, const scale& sc) {
    if (r.kind == unit_kind::rate) return " " + r.per + "/s";
    return std::string(" ") + sc.unit + (r.per.empty() ? "" : "/" + r.per);
}

std::string value(const result_row& r, double v, const scale& sc) {
    return r.kind == unit_kind::rate ? thousands(v) : sig3(v * sc.factor);
}

/// "median" and "min–max" cells of one side, in a scale picked from its median.
std::pair<std::string, std::string> cells(const result_row& r, const side& s) {
    if (s.stats.n == 0) return {"FAILED", dash};
    const scale sc = time_scale(s.stats.median);
    const std::string unit = unit_of(r, sc);
    std::string med = value(r, s.stats.median, sc) + unit;
    if (!s.error.empty()) med += " (failed runs)";
    if (s.stats.n == 1) return {med, dash};
    return {med, value(r, s.stats.min, sc) + "\u2013" + value(r, s.stats.max, sc) + unit};
}

std::string ratio_cell(const result_row& r) {
    if (r.ratio <= 0) return dash;
    return fixed(r.ratio, 2) + "x";
}

std::string mib(long kib) { return fixed(static_cast<double>(kib) / 1024.0, 1) + " MiB"; }

std::string section_title(const std::string& s) {
    if (s == "scheduler") return "Scheduler";
    if (s == "sync") return "Synchronisation";
    if (s == "executors") return "Executors";
    if (s == "io") return "I/O";
    return s;
}

void comparison_tables(std::ostringstream& out, const suite_report& rep) {
    std::vector<std::string> sections;
    for (const auto& r : rep.rows)
        if (std::find(sections.begin(), sections.end(), r.section) == sections.end()) sections.push_back(r.section);
    for (const auto& sec : sections) {
        table t({"benchmark", "weft median", "weft min\u2013max", "baseline", "baseline median", "weft/baseline",
                 "better"});
        for (const auto& r : rep.rows) {
            if (r.section != sec) continue;
            const auto [wm, wr] = cells(r, r.weft);
            std::string bname = dash, bm = dash;
            if (r.baseline) {
                bname = r.baseline->label;
                bm = cells(r, *r.baseline).first;
            }
            const std::string label = r.section == "io" ? r.label + " (" + r.weft.label + ")" : r.label;
            t.add({label, wm, wr, bname, bm, ratio_cell(r), r.lower_is_better ? "lower" : "higher"});
        }
        out << "### " << section_title(sec) << "\n\n" << t.str() << "\n";
    }
}

void rss_table(std::ostringstream& out, const suite_report& rep) {
    table t({"benchmark", "weft", "baseline", "weft/baseline"});
    for (const auto& r : rep.rows) {
        const long w = r.weft.peak_rss_kib;
        const long b = r.baseline ? r.baseline->peak_rss_kib : 0;
        if (w <= 0 && b <= 0) continue;
        std::string label = r.label;
        if (r.section == "io") label = "echo server under load";
        std::string base = b > 0 ? mib(b) + " (" + r.baseline->label + ")" : dash;
        t.add({label, w > 0 ? mib(w) : dash, base,
               w > 0 && b > 0 ? fixed(static_cast<double>(w) / static_cast<double>(b), 2) + "x" : dash});
    }
    if (t.empty()) return;
    out << "### Peak RSS\n\n";
    out << "Each benchmark run once (one iteration) in a fresh weft-bench process; for echo, each server's\n"
           "peak over its runs under load. ";
    if (rep.rss_floor.peak_kib > 0)
        out << "An idle weft-bench process takes " << mib(rep.rss_floor.peak_kib)
            << ", included in every in-process figure.";
    out << "\n\n" << t.str() << "\n";
}

} // namespace

std::string render_markdown(const suite_report& rep) {
    std::ostringstream out;
    out << "### Machine\n\n";
    table m({"", ""});
    for (const auto& [k, v] : rep.machine) m.add({k, v});
    m.add({"Load average at end", rep.load_at_end});
    out << m.str() << "\n";

    out << "### Settings\n\n";
    table s({"", ""});
    for (const auto& [k, v] : rep.settings) s.add({k, v});
    out << s.str() << "\n";

    out << "Figures: the median over the repetitions and their min\u2013max; times are wall clock, per item "
           "(task, op, call) where the benchmark counts items, else per iteration. weft/baseline divides the "
           "medians: with \"better: lower\" a ratio below 1 means weft is faster.\n\n";
    comparison_tables(out, rep);
    rss_table(out, rep);

    out << "Peak RSS of the timing process: " << mib(rep.process_peak_rss_kib) << ". Elapsed: "
        << fixed(rep.elapsed_seconds, 1) << " s.\n";
    if (!rep.failures.empty()) {
        out << "\n**Failures** (" << rep.failures.size() << "):\n\n";
        for (const auto& f : rep.failures) out << "- " << f << "\n";
    }
    return out.str();
}

} // namespace weft_suite
