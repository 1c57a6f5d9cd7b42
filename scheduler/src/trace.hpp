// WEFT_TRACE: a Chrome / Perfetto trace of what each worker does.
//
// Each worker records into its own buffer (no sharing, no locks): spans of
// running (from waking up to parking) and instants for searches and steals.
// The runtime writes every buffer into one JSON file when it shuts down;
// chrome://tracing or https://ui.perfetto.dev open it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace weft::detail {

enum class trace_event : std::uint8_t { run, search, steal };

class trace_buffer {
public:
    explicit trace_buffer(unsigned worker);
    void begin(trace_event e) noexcept { record(e, 'B', 0, 0); }
    void end(trace_event e) noexcept { record(e, 'E', 0, 0); }
    /// For steal: a = the victim worker, b = how many tasks were taken.
    void instant(trace_event e, unsigned a = 0, std::size_t b = 0) noexcept {
        record(e, 'i', a, b);
    }
    unsigned worker() const noexcept { return worker_; }

    struct entry {
        std::int64_t ns;  // since the trace's epoch
        trace_event event;
        char phase;       // Chrome trace phases: B(egin), E(nd), i(nstant)
        unsigned a;
        std::size_t b;
    };
    const std::vector<entry>& entries() const noexcept { return entries_; }
    std::size_t dropped() const noexcept { return dropped_; }

private:
    void record(trace_event e, char phase, unsigned a, std::size_t b) noexcept;

    unsigned worker_;
    std::vector<entry> entries_;
    std::size_t dropped_ = 0;
};

/// The trace file named by WEFT_TRACE, or empty.
std::string trace_path_from_environment();
/// Writes the buffers as Chrome trace JSON; returns false (and says why on
/// stderr) if the file cannot be written.
bool write_chrome_trace(const std::string& path, const std::vector<const trace_buffer*>& buffers);

} // namespace weft::detail
