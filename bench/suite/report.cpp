#include "report.hpp"

#include <algorithm>

namespace weft_suite {

namespace {

side side_of(const std::string& name, const std::map<std::string, sample_set>& results,
             const std::map<std::string, rss_result>& rss, bool per_item) {
    side s;
    s.name = name;
    const auto it = results.find(name);
    if (it == results.end()) {
        s.error = "did not run (no such benchmark?)";
    } else {
        s.samples = per_item ? it->second.seconds_per_item : it->second.seconds_per_iter;
        s.error = it->second.error;
        if (s.samples.empty() && s.error.empty()) s.error = "no timing";
    }
    s.stats = summarize(s.samples);
    const auto r = rss.find(name);
    if (r != rss.end()) s.peak_rss_kib = r->second.peak_kib;
    return s;
}

bool has_items(const std::string& name, const std::map<std::string, sample_set>& results) {
    const auto it = results.find(name);
    return it != results.end() && !it->second.seconds_per_item.empty();
}

void set_ratio(result_row& r) {
    if (r.baseline && r.weft.stats.n > 0 && r.baseline->stats.n > 0 && r.baseline->stats.median > 0)
        r.ratio = r.weft.stats.median / r.baseline->stats.median;
}

side echo_side(const echo_server_runs& runs, const std::string& figure, double scale) {
    side s;
    s.name = runs.program;
    s.label = runs.label;
    const auto it = runs.figures.find(figure);
    if (it != runs.figures.end())
        for (double v : it->second) s.samples.push_back(v * scale);
    s.stats = summarize(s.samples);
    for (const auto& e : runs.errors) {
        if (!s.error.empty()) s.error += "; ";
        s.error += e;
    }
    if (s.samples.empty() && s.error.empty()) s.error = "no result";
    return s;
}

} // namespace

std::vector<result_row> benchmark_rows(const std::vector<row>& selected,
                                       const std::map<std::string, sample_set>& results,
                                       const std::map<std::string, rss_result>& rss) {
    std::vector<result_row> rows;
    for (const row& c : selected) {
        result_row r;
        r.section = c.section;
        r.label = c.label;
        // Per item (task, op, call) when both sides count items, else per iteration.
        const bool per_item = has_items(c.weft, results) && (c.baseline.empty() || has_items(c.baseline, results));
        if (per_item) r.per = results.at(c.weft).item;
        r.weft = side_of(c.weft, results, rss, per_item);
        r.weft.label = "weft";
        if (!c.baseline.empty()) {
            r.baseline = side_of(c.baseline, results, rss, per_item);
            r.baseline->label = c.baseline_label;
        }
        set_ratio(r);
        rows.push_back(std::move(r));
    }
    return rows;
}

std::vector<result_row> echo_rows(const echo_results& e, const echo_settings& s) {
    const std::string load = std::to_string(s.connections) + " connections x " + std::to_string(s.size) + " B";
    struct spec {
        const char* figure;
        std::string label;
        unit_kind kind;
        const char* per;
        double scale;
        bool lower_is_better;
    };
    const spec specs[] = {
        {"req_per_s", "echo: requests per second, " + load, unit_kind::rate, "req", 1.0, false},
        {"p50_us", "echo: latency p50", unit_kind::time, "", 1e-6, true},
        {"p99_us", "echo: latency p99", unit_kind::time, "", 1e-6, true},
        {"server_cpu_us_per_req", "echo: server CPU time per request", unit_kind::time, "req", 1e-6, true},
    };
    std::vector<result_row> rows;
    for (const spec& sp : specs) {
        result_row r;
        r.section = "io";
        r.label = sp.label;
        r.kind = sp.kind;
        r.per = sp.per;
        r.lower_is_better = sp.lower_is_better;
        r.weft = echo_side(e.weft, sp.figure, sp.scale);
        if (e.asio.available) r.baseline = echo_side(e.asio, sp.figure, sp.scale);
        if (rows.empty()) {
            // The servers' peak RSS under load goes with the first row.
            r.weft.peak_rss_kib = e.weft.peak_rss_kib;
            if (r.baseline) r.baseline->peak_rss_kib = e.asio.peak_rss_kib;
        }
        set_ratio(r);
        rows.push_back(std::move(r));
    }
    return rows;
}

std::vector<std::string> failures_of(const suite_report& rep) {
    std::vector<std::string> out;
    auto add = [&out](const std::string& what) {
        if (std::find(out.begin(), out.end(), what) == out.end()) out.push_back(what);
    };
    for (const result_row& r : rep.rows) {
        if (!r.weft.error.empty()) add(r.weft.name + ": " + r.weft.error);
        if (r.baseline && !r.baseline->error.empty()) add(r.baseline->name + ": " + r.baseline->error);
    }
    for (const auto& [name, r] : rep.rss)
        if (!r.error.empty()) add(name + " (peak RSS run): " + r.error);
    if (!rep.rss_floor.error.empty()) add("idle process (peak RSS floor): " + rep.rss_floor.error);
    return out;
}

} // namespace weft_suite
