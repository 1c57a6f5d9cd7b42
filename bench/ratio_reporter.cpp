#include "ratio_reporter.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>

namespace weft_bench {
namespace {

struct parsed_name {
    std::string workload;
    std::string impl;
    int count;
};

// "fib30/weft" + "workers:2" -> {"fib30", "weft", 2}; nullopt for the
// benchmarks outside the paired set (BM_coro_inline_await, ...).
std::optional<parsed_name> parse(const benchmark::BenchmarkReporter::Run& run) {
    const std::string& fn = run.run_name.function_name;
    const auto slash = fn.rfind('/');
    if (slash == std::string::npos) return std::nullopt;
    parsed_name p{fn.substr(0, slash), fn.substr(slash + 1), 0};
    const char* prefix = p.impl == "weft" ? "workers:" : p.impl == "tbb" ? "threads:" : nullptr;
    if (!prefix || run.run_name.args.rfind(prefix, 0) != 0) return std::nullopt;
    try {
        p.count = std::stoi(run.run_name.args.substr(std::string(prefix).size()));
    } catch (const std::exception&) {
        return std::nullopt;
    }
    return p;
}

std::string format_ms(double seconds) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f ms", seconds * 1e3);
    return buf;
}

} // namespace

double ratio_reporter::timings::seconds() const {
    if (median_seconds >= 0) return median_seconds;
    if (run_seconds.empty()) return -1;
    // No aggregate reached us (a single repetition, or aggregates turned off):
    // the median of what we have, which for one run is its mean per iteration.
    std::vector<double> v = run_seconds;
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

bool ratio_reporter::ReportContext(const Context& context) { return display_->ReportContext(context); }

void ratio_reporter::ReportRuns(const std::vector<Run>& runs) {
    for (const Run& run : runs) {
        if (run.error_occurred || run.iterations <= 0) continue;
        const auto p = parse(run);
        if (!p) continue;
        // Time per iteration in seconds, whatever unit the benchmark prints
        // in; for an aggregate, the statistic of the per-repetition times.
        const double s = run.real_accumulated_time / static_cast<double>(run.iterations);
        const key k{p->workload, p->count};
        if (!rows_.count(k)) order_.push_back(k);
        timings& t = rows_[k][p->impl];
        if (run.run_type == Run::RT_Iteration)
            t.run_seconds.push_back(s);
        else if (run.aggregate_name == "median")
            t.median_seconds = s;
    }
    display_->ReportRuns(runs);
}

void ratio_reporter::Finalize() {
    display_->Finalize();
    if (rows_.empty()) return;
    // The console gets the table after the results; JSON and CSV output must
    // stay parseable, so there it goes to stderr.
    const bool console = dynamic_cast<benchmark::ConsoleReporter*>(display_) != nullptr;
    print_table(console ? display_->GetOutputStream() : std::cerr);
}

void ratio_reporter::print_table(std::ostream& out) const {
    bool medians = false;
    for (const auto& [k, impls] : rows_)
        for (const auto& [impl, t] : impls) medians = medians || t.is_median();
    const char* stat = medians ? "median" : "mean";

    char line[160];
    out << "\nweft vs oneTBB, wall time per iteration (" << stat
        << (medians ? " of the repetitions" : " of one run") << ")\n";
    std::snprintf(line, sizeof line, "%-18s %7s %16s %16s %12s\n", "workload", "workers",
                  (std::string("weft ") + stat).c_str(), (std::string("oneTBB ") + stat).c_str(),
                  "weft/oneTBB");
    out << line;
    for (const key& k : order_) {
        const auto& impls = rows_.at(k);
        const auto w = impls.find("weft");
        const auto t = impls.find("tbb");
        const double ws = w != impls.end() ? w->second.seconds() : -1;
        const double ts = t != impls.end() ? t->second.seconds() : -1;
        char ratio[32] = "-";
        if (ws > 0 && ts > 0) std::snprintf(ratio, sizeof ratio, "%.2fx", ws / ts);
        std::snprintf(line, sizeof line, "%-18s %7d %16s %16s %12s\n", k.first.c_str(), k.second,
                      ws > 0 ? format_ms(ws).c_str() : "-", ts > 0 ? format_ms(ts).c_str() : "-", ratio);
        out << line;
    }
    out.flush();
}

} // namespace weft_bench
