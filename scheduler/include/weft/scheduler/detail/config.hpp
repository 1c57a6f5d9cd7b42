// Internal configuration: assertions and platform constants.
#pragma once

#include <cstddef>

namespace weft::detail {

/// Size of a cache line on the targets weft supports; used to keep data that
/// different threads write apart.
inline constexpr std::size_t cache_line = 64;

[[noreturn]] void assertion_failed(const char* expr, const char* file, int line,
                                   const char* message) noexcept;

} // namespace weft::detail

/// Checks an internal invariant; on failure prints the expression and aborts.
/// Kept in release builds: the checks guard memory safety, not hot loops.
#define WEFT_ASSERT(expr, message)                                                              \
    ((expr) ? static_cast<void>(0)                                                              \
            : ::weft::detail::assertion_failed(#expr, __FILE__, __LINE__, message))
