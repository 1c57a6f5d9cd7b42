#include "trace.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace weft::detail {

namespace {
/// Events kept per worker; a longer run keeps its first ones and counts the rest.
constexpr std::size_t max_entries = std::size_t{1} << 20;

const std::chrono::steady_clock::time_point trace_epoch = std::chrono::steady_clock::now();

const char* name_of(trace_event e) noexcept {
    switch (e) {
    case trace_event::run: return "run";
    case trace_event::search: return "search";
    case trace_event::steal: return "steal";
    }
    return "?";
}
} // namespace

trace_buffer::trace_buffer(unsigned worker) : worker_(worker) { entries_.reserve(4096); }

void trace_buffer::record(trace_event e, char phase, unsigned a, std::size_t b) noexcept {
    if (entries_.size() >= max_entries) {
        ++dropped_;
        return;
    }
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now() - trace_epoch)
                        .count();
    try {
        entries_.push_back(entry{ns, e, phase, a, b});
    } catch (...) {
        ++dropped_;
    }
}

std::string trace_path_from_environment() {
    const char* v = std::getenv("WEFT_TRACE");
    return v ? std::string(v) : std::string();
}

bool write_chrome_trace(const std::string& path, const std::vector<const trace_buffer*>& buffers) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f) {
        std::fprintf(stderr, "weft: WEFT_TRACE: cannot write '%s': %s\n", path.c_str(),
                     std::strerror(errno));
        return false;
    }
    std::fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", f);
    bool first = true;
    auto sep = [&] {
        if (!first) std::fputs(",\n", f);
        first = false;
    };
    for (const trace_buffer* b : buffers) {
        sep();
        std::fprintf(f,
                     "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,"
                     "\"args\":{\"name\":\"worker %u\"}}",
                     b->worker(), b->worker());
        for (const auto& e : b->entries()) {
            sep();
            // Chrome traces count microseconds; keep the nanoseconds as decimals.
            std::fprintf(f, "{\"name\":\"%s\",\"ph\":\"%c\",\"pid\":1,\"tid\":%u,\"ts\":%.3f",
                         name_of(e.event), e.phase, b->worker(),
                         static_cast<double>(e.ns) / 1000.0);
            if (e.phase == 'i') std::fputs(",\"s\":\"t\"", f);
            if (e.event == trace_event::steal)
                std::fprintf(f, ",\"args\":{\"victim\":%u,\"tasks\":%zu}", e.a, e.b);
            std::fputs("}", f);
        }
        if (b->dropped() > 0) {
            sep();
            std::fprintf(f,
                         "{\"name\":\"trace buffer full: %zu events dropped\",\"ph\":\"i\","
                         "\"s\":\"g\",\"pid\":1,\"tid\":%u,\"ts\":0}",
                         b->dropped(), b->worker());
        }
    }
    std::fputs("\n]}\n", f);
    const bool ok = std::fclose(f) == 0;
    if (!ok)
        std::fprintf(stderr, "weft: WEFT_TRACE: error writing '%s': %s\n", path.c_str(),
                     std::strerror(errno));
    return ok;
}

} // namespace weft::detail
