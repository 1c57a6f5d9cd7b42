// Shared by the examples: the time unit and wall-clock formatting.
//
// The Python programs the examples mirror count in seconds. Here one second
// becomes one "unit" of WEFT_EXAMPLE_UNIT_MS milliseconds (1000 when the
// variable is not set), so the test suite can run every example quickly.
#pragma once

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>

namespace example {

/// One time unit: WEFT_EXAMPLE_UNIT_MS milliseconds, 1000 by default.
inline std::chrono::milliseconds unit() {
    static const std::chrono::milliseconds value = [] {
        const char* text = std::getenv("WEFT_EXAMPLE_UNIT_MS");
        long ms = text ? std::strtol(text, nullptr, 10) : 0;
        return std::chrono::milliseconds(ms > 0 ? ms : 1000);
    }();
    return value;
}

/// n units (n may be fractional), as a duration weft::sleep accepts.
inline std::chrono::microseconds units(double n) {
    return std::chrono::duration_cast<std::chrono::microseconds>(unit() * n);
}

/// The wall-clock time as HH:MM:SS, like Python's time.strftime('%X').
inline std::string wall_clock() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm local{};
    localtime_r(&now, &local);
    char text[16];
    std::strftime(text, sizeof text, "%H:%M:%S", &local);
    return text;
}

} // namespace example
