#include "machine_info.hpp"

#include <weft/weft.hpp>

#include <oneapi/tbb/version.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef WEFT_SUITE_VERSION
#define WEFT_SUITE_VERSION "unknown"
#endif
#ifndef WEFT_SUITE_BUILD_TYPE
#define WEFT_SUITE_BUILD_TYPE "unknown"
#endif
#ifndef WEFT_SUITE_BENCHMARK_VERSION
#define WEFT_SUITE_BENCHMARK_VERSION "unknown"
#endif
#ifndef WEFT_SUITE_ASIO_VERSION
#define WEFT_SUITE_ASIO_VERSION "not found"
#endif

namespace weft_suite {

namespace {

/// The value of the first "key<spaces>: value" line of a /proc file.
std::string proc_field(const char* path, const std::string& key) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key, 0) != 0) continue;
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        const auto start = line.find_first_not_of(" \t", colon + 1);
        return start == std::string::npos ? "" : line.substr(start);
    }
    return "";
}

std::string cpu_model() {
    std::string m = proc_field("/proc/cpuinfo", "model name");
    if (m.empty()) m = proc_field("/proc/cpuinfo", "Model");  // some ARM kernels
    if (m.empty()) m = "unknown";
    if (proc_field("/proc/cpuinfo", "flags").find(" hypervisor") != std::string::npos) m += " (virtual machine)";
    return m;
}

std::string cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
    std::ostringstream o;
    if (::sched_getaffinity(0, sizeof set, &set) == 0)
        o << CPU_COUNT(&set) << " allowed of " << online << " online";
    else
        o << online << " online";
    std::string topo;
    try {
        topo = weft::topology::machine().describe();
    } catch (const std::exception&) {
        // The CPU counts above still say enough.
    }
    if (!topo.empty()) o << "; " << topo;
    return o.str();
}

std::string memory() {
    const long kib = std::atol(proc_field("/proc/meminfo", "MemTotal").c_str());
    if (kib <= 0) return "unknown";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(kib) / (1024.0 * 1024.0));
    return buf;
}

std::string kernel() {
    utsname u{};
    if (::uname(&u) != 0) return "unknown";
    return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

std::string compiler() {
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "g++ " __VERSION__;
#else
    return "unknown";
#endif
}

std::string build_type() {
    std::string b = WEFT_SUITE_BUILD_TYPE;
#ifdef NDEBUG
    b += " (NDEBUG)";
#else
    b += " (assertions on: timings not representative)";
#endif
    return b;
}

std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

} // namespace

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a.empty() ? "unknown" : a + " " + b + " " + c;
}

machine_info describe_machine() {
    return {
        {"CPU", cpu_model()},
        {"CPUs", cpus()},
        {"Memory", memory()},
        {"Kernel", kernel()},
        {"Compiler", compiler()},
        {"Build type", build_type()},
        {"weft", WEFT_SUITE_VERSION},
        {"oneTBB", std::string(TBB_VERSION_STRING) + " (runtime " + TBB_runtime_version() + ")"},
        {"Google Benchmark", WEFT_SUITE_BENCHMARK_VERSION},
        {"Asio", WEFT_SUITE_ASIO_VERSION},
        {"Date", utc_now()},
        {"Load average at start", load_average()},
    };
}

} // namespace weft_suite
