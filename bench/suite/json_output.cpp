#include "json_output.hpp"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace weft_suite {

namespace {

std::string quote(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

std::string num(double v) {
    if (!std::isfinite(v)) return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string array(const std::vector<double>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out += ',';
        out += num(v[i]);
    }
    return out + "]";
}

std::string side_json(const side& s) {
    std::string o = "{\"name\":" + quote(s.name) + ",\"label\":" + quote(s.label);
    if (s.stats.n > 0)
        o += ",\"median\":" + num(s.stats.median) + ",\"min\":" + num(s.stats.min) + ",\"max\":" + num(s.stats.max);
    o += ",\"samples\":" + array(s.samples);
    if (s.peak_rss_kib > 0) o += ",\"peak_rss_kib\":" + std::to_string(s.peak_rss_kib);
    if (!s.error.empty()) o += ",\"error\":" + quote(s.error);
    return o + "}";
}

std::string unit_json(const result_row& r) {
    if (r.kind == unit_kind::rate) return r.per + "/s";
    return r.per.empty() ? "s" : "s/" + r.per;
}

std::string echo_json(const echo_server_runs& e) {
    std::string o = "{\"program\":" + quote(e.program) + ",\"label\":" + quote(e.label) +
                    ",\"available\":" + (e.available ? "true" : "false") + ",\"figures\":{";
    bool first = true;
    for (const auto& [k, v] : e.figures) {
        if (!first) o += ',';
        o += quote(k) + ":" + array(v);
        first = false;
    }
    o += "},\"peak_rss_kib\":" + std::to_string(e.peak_rss_kib) + ",\"errors\":[";
    for (std::size_t i = 0; i < e.errors.size(); ++i) {
        if (i) o += ',';
        o += quote(e.errors[i]);
    }
    return o + "]}";
}

} // namespace

void write_json(std::ostream& out, const suite_report& r) {
    out << "{\n\"tool\":\"weft-bench\",\"mode\":" << quote(r.mode) << ",\"elapsed_s\":" << num(r.elapsed_seconds)
        << ",\n\"machine\":{";
    for (std::size_t i = 0; i < r.machine.size(); ++i)
        out << (i ? "," : "") << quote(r.machine[i].first) << ":" << quote(r.machine[i].second);
    out << "," << quote("Load average at end") << ":" << quote(r.load_at_end) << "},\n\"settings\":{";
    for (std::size_t i = 0; i < r.settings.size(); ++i)
        out << (i ? "," : "") << quote(r.settings[i].first) << ":" << quote(r.settings[i].second);
    out << "},\n\"rows\":[\n";
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
        const result_row& row = r.rows[i];
        out << (i ? ",\n" : "") << "{\"section\":" << quote(row.section) << ",\"label\":" << quote(row.label)
            << ",\"unit\":" << quote(unit_json(row)) << ",\"better\":" << quote(row.lower_is_better ? "lower" : "higher")
            << ",\"weft\":" << side_json(row.weft)
            << ",\"baseline\":" << (row.baseline ? side_json(*row.baseline) : "null")
            << ",\"ratio\":" << (row.ratio > 0 ? num(row.ratio) : "null") << "}";
    }
    out << "\n],\n\"benchmarks\":{\n";
    bool first = true;
    for (const auto& [name, s] : r.benchmarks) {
        out << (first ? "" : ",\n") << quote(name) << ":{\"seconds_per_iter\":" << array(s.seconds_per_iter)
            << ",\"seconds_per_item\":" << array(s.seconds_per_item) << ",\"item\":" << quote(s.item)
            << ",\"iterations\":" << s.iterations << ",\"counters\":{";
        bool c_first = true;
        for (const auto& [k, v] : s.counters) {
            out << (c_first ? "" : ",") << quote(k) << ":" << num(v);
            c_first = false;
        }
        out << "}";
        const auto rss = r.rss.find(name);
        if (rss != r.rss.end() && rss->second.peak_kib > 0) out << ",\"peak_rss_kib\":" << rss->second.peak_kib;
        if (!s.error.empty()) out << ",\"error\":" << quote(s.error);
        out << "}";
        first = false;
    }
    out << "\n},\n\"echo\":";
    if (r.echo) {
        const echo_settings& e = r.echo_config;
        out << "{\"connections\":" << e.connections << ",\"size\":" << e.size << ",\"seconds\":" << num(e.seconds)
            << ",\"warmup\":" << num(e.warmup) << ",\"reps\":" << e.reps << ",\"workers\":" << e.workers
            << ",\n \"weft\":" << echo_json(r.echo->weft) << ",\n \"asio\":" << echo_json(r.echo->asio) << "}";
    } else {
        out << "null";
    }
    out << ",\n\"rss_floor_kib\":" << r.rss_floor.peak_kib << ",\"process_peak_rss_kib\":" << r.process_peak_rss_kib
        << ",\n\"failures\":[";
    for (std::size_t i = 0; i < r.failures.size(); ++i) out << (i ? "," : "") << quote(r.failures[i]);
    out << "]\n}\n";
}

} // namespace weft_suite
