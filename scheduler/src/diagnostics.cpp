#include "diagnostics.hpp"

#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/detail/config.hpp>
#include <weft/scheduler/event_loop.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace weft::detail {

bool debug_from_environment() noexcept {
    static const bool on = [] {
        const char* v = std::getenv("WEFT_DEBUG");
        return v && *v && std::strcmp(v, "0") != 0;
    }();
    return on;
}

bool debug_enabled() noexcept {
    if (event_loop* l = running_loop()) return l->get_debug();
    return debug_from_environment();
}

void report(const std::string& message, std::exception_ptr e, const std::string& task) noexcept {
    exception_context ctx{message, std::move(e), task};
    if (event_loop* l = running_loop())
        l->call_exception_handler(ctx);
    else
        event_loop::default_exception_handler(ctx);
}

void report_unretrieved(const std::string& who, std::exception_ptr e) noexcept {
    report(who + " exception was never retrieved", std::move(e), who);
}

void report_callback_exception(std::exception_ptr e) noexcept {
    report("Exception in callback", std::move(e), {});
}

void report_never_awaited(const source_loc& where) noexcept {
    if (!debug_enabled()) return;
    try {
        report(std::string("coroutine '") + where.function + "' (" + where.file + ":" +
                   std::to_string(where.line) + ") was never awaited",
               nullptr, {});
    } catch (...) {
    }
}

void assertion_failed(const char* expr, const char* file, int line, const char* message) noexcept {
    std::fprintf(stderr, "weft: internal check failed: %s (%s) at %s:%d\n", message, expr, file,
                 line);
    std::abort();
}

} // namespace weft::detail
