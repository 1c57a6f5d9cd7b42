#include "rss_probe.hpp"

#include "child_process.hpp"
#include "in_process.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <exception>
#include <filesystem>

namespace weft_suite {

namespace {

/// The child's last line of output: "peak_rss_kib: <n>".
constexpr const char* peak_tag = "peak_rss_kib: ";

int report_peak(int status) {
    std::printf("%s%ld\n", peak_tag, peak_rss_kib());
    return status;
}

rss_result probe(const std::string& mode_flag, const std::string& name) {
    rss_result r;
    std::error_code ec;
    const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    if (ec) {
        r.error = "cannot find this executable (/proc/self/exe)";
        return r;
    }
    std::vector<std::string> argv = {self};
    if (!mode_flag.empty()) argv.push_back(mode_flag);
    argv.push_back("--rss-child");
    argv.push_back(name);
    try {
        child_process child(argv);
        const std::optional<std::string> out = child.read_all(std::chrono::minutes(2));
        const bool finished = out.has_value();
        const exit_info e = child.wait(!finished);
        if (!finished)
            r.error = "did not finish in 2 minutes";
        else if (e.exited && e.code == 3)
            r.error = "no such benchmark";
        else if (!e.ok())
            r.error = "failed (" + e.describe() + ")";
        else if (const auto at = out->rfind(peak_tag); at != std::string::npos)
            r.peak_kib = std::atol(out->c_str() + at + std::strlen(peak_tag));
        else
            r.error = "reported no peak RSS";
    } catch (const std::exception& ex) {
        r.error = ex.what();
    }
    return r;
}

} // namespace

std::map<std::string, rss_result> probe_rss(const std::string& mode_flag, const std::vector<std::string>& names) {
    std::map<std::string, rss_result> out;
    std::fprintf(stderr, "peak RSS: %zu benchmarks, each once in a fresh process\n", names.size());
    for (const auto& name : names) {
        out[name] = probe(mode_flag, name);
        if (!out[name].error.empty()) std::fprintf(stderr, "  %s: %s\n", name.c_str(), out[name].error.c_str());
    }
    return out;
}

rss_result probe_idle(const std::string& mode_flag) { return probe(mode_flag, ""); }

int rss_child_main(const std::string& name) {
    if (name.empty()) return report_peak(0);  // the floor: everything loaded, nothing run
    gbench_config c;
    c.names = {name};
    c.reps = 1;
    c.min_time = 0;  // one iteration
    c.interleave = false;
    const auto results = run_in_process(c);
    const auto it = results.find(name);
    if (it == results.end()) return 3;
    if (!it->second.error.empty()) {
        std::fprintf(stderr, "weft-bench: %s: %s\n", name.c_str(), it->second.error.c_str());
        return 1;
    }
    return report_peak(0);
}

} // namespace weft_suite
