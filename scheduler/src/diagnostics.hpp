// Reports that do not belong to a single call: exceptions nobody retrieved,
// coroutines nobody awaited, exceptions thrown by callbacks.
#pragma once

#include <exception>
#include <string>

namespace weft::detail {

/// True when WEFT_DEBUG=1 is set in the environment (read once).
bool debug_from_environment() noexcept;
/// Debug mode of the running loop, or of the environment outside a loop.
bool debug_enabled() noexcept;
/// Sends a report to the running loop's exception handler, or to stderr.
void report(const std::string& message, std::exception_ptr e, const std::string& task) noexcept;
void report_unretrieved(const std::string& who, std::exception_ptr e) noexcept;
void report_callback_exception(std::exception_ptr e) noexcept;

} // namespace weft::detail
