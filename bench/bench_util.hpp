// Helpers shared by the weft benchmarks (weft_bench).
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <malloc.h>
#include <sys/resource.h>

namespace weft_bench {

/// Peak resident set size of the process so far, in MiB (getrusage ru_maxrss).
inline double peak_rss_mib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

/// Current resident set size in MiB (/proc/self/statm), or 0 if unavailable.
inline double current_rss_mib() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    long pages_total = 0, pages_resident = 0;
    int got = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
    std::fclose(f);
    if (got != 2) return 0;
    return static_cast<double>(pages_resident) * 4096.0 / (1024.0 * 1024.0);
}

/// Gives freed heap memory back to the system and resets the kernel's
/// peak-RSS mark to the current RSS (Linux: "5" to /proc/self/clear_refs),
/// so that ru_maxrss read after a benchmark shows that benchmark's own peak
/// rather than the peak of whatever ran before it in the process.
/// Returns false if the mark could not be reset.
inline bool reset_peak_rss() {
    malloc_trim(0);
    std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
    if (!f) return false;
    bool ok = std::fputs("5", f) >= 0;
    ok = (std::fclose(f) == 0) && ok;
    return ok;
}

/// Records the peak-RSS counters: peak_rss_MiB (ru_maxrss, the high-water
/// mark since reset_peak_rss() when that worked, else since process start)
/// and rss_base_MiB (the RSS when the benchmark started).
inline void report_peak_rss(benchmark::State& state, double base_mib, bool reset_ok) {
    state.counters["peak_rss_MiB"] = benchmark::Counter(peak_rss_mib());
    state.counters["rss_base_MiB"] = benchmark::Counter(base_mib);
    if (!reset_ok) state.SetLabel("peak RSS is process-wide (clear_refs unavailable)");
}

/// Per-item time counter: seconds per item, printed with an SI prefix (e.g.
/// "4.2ns"). `items` is the number of items one iteration processes.
inline benchmark::Counter per_item_time(double items) {
    return benchmark::Counter(items, benchmark::Counter::kIsIterationInvariantRate |
                                         benchmark::Counter::kInvert);
}

} // namespace weft_bench
