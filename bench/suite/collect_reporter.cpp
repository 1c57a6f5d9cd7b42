#include "collect_reporter.hpp"

namespace weft_suite {

namespace {

/// Seconds per item from the benchmark's counters, and what an item is.
/// The bench files report "ns_per_<item>" (seconds per item, inverted rate)
/// and/or items_per_second; a named counter wins.
bool per_item(const benchmark::UserCounters& counters, double& seconds, std::string& item) {
    for (const auto& [name, c] : counters) {
        if (name.rfind("ns_per_", 0) == 0 && c.value > 0) {
            seconds = c.value;
            item = name.substr(7);
            for (char& ch : item)
                if (ch == '_') ch = ' ';
            return true;
        }
    }
    const auto it = counters.find("items_per_second");
    if (it != counters.end() && it->second.value > 0) {
        seconds = 1.0 / it->second.value;
        item = "item";
        return true;
    }
    return false;
}

} // namespace

std::string key_of(const benchmark::BenchmarkReporter::Run& run) {
    const auto& n = run.run_name;
    return n.args.empty() ? n.function_name : n.function_name + "/" + n.args;
}

void collect_reporter::ReportRuns(const std::vector<Run>& runs) {
    sample_set* last = nullptr;
    for (const Run& run : runs) {
        if (run.run_type != Run::RT_Iteration) continue;  // our own statistics instead
        sample_set& s = results_[key_of(run)];
        s.name = key_of(run);
        last = &s;
        if (run.error_occurred) {
            if (s.error.empty()) s.error = run.error_message.empty() ? "failed" : run.error_message;
            continue;
        }
        if (run.iterations <= 0) continue;
        s.iterations = run.iterations;
        s.seconds_per_iter.push_back(run.real_accumulated_time / static_cast<double>(run.iterations));
        double item_s = 0;
        std::string item;
        if (per_item(run.counters, item_s, item)) {
            s.seconds_per_item.push_back(item_s);
            s.item = item;
        }
        s.counters.clear();
        for (const auto& [name, c] : run.counters) s.counters[name] = c.value;
    }
    if (last && progress_) progress_(*last);
}

} // namespace weft_suite
