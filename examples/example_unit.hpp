// Shared by the examples: the time unit, wall-clock formatting and a
// thread-safe line printer.
//
// The Python programs the examples mirror count in seconds. Here one second
// becomes one "unit" of WEFT_EXAMPLE_UNIT_MS milliseconds (1000 when the
// variable is not set), so the test suite can run every example quickly.
//
// Python's print() writes a whole line at once. weft runs tasks on several
// workers (one per core), so two tasks may print at the same moment from two
// threads, and `std::cout << a << b << std::endl` would let their pieces
// interleave inside a line. The examples print every line with
// example::println instead.
#pragma once

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <mutex>
#include <sstream>
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

/// Serializes the writes of println (one mutex for the whole program).
inline std::mutex& output_mutex() {
    static std::mutex m;
    return m;
}

/// Prints one line to stdout, like Python's print(*parts, sep=''): each part
/// as `std::cout << part` would print it, then a newline.
///
/// The line is formatted first, then written with one locked write and a
/// flush, so lines printed by tasks on different workers never interleave
/// (their order is still the order in which the tasks got there).
/// Manipulators may be passed as parts and hold for the rest of that line
/// only, e.g. println("now is ", std::fixed, std::setprecision(6), t).
/// bool parts print as true/false (std::boolalpha is preset).
template <class... A>
void println(const A&... parts) {
    std::ostringstream line;
    line << std::boolalpha;
    ((void)(line << parts), ...);
    line << '\n';
    const std::string text = std::move(line).str();
    std::lock_guard<std::mutex> lock(output_mutex());
    std::cout.write(text.data(), static_cast<std::streamsize>(text.size()));
    std::cout.flush();
}

} // namespace example
