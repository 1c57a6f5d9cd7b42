#include "reactor.hpp"

#include <weft/errors.hpp>
#include <weft/scheduler/event_loop.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>

#include <sys/eventfd.h>
#include <unistd.h>

namespace weft::detail {

namespace {

weft::io_backend backend_from_environment(weft::io_backend asked) {
    const char* v = std::getenv("WEFT_IO_BACKEND");
    if (!v || !*v) return asked;
    const std::string s(v);
    if (s == "epoll") return weft::io_backend::epoll;
    if (s == "io_uring" || s == "uring") return weft::io_backend::io_uring;
    if (s == "automatic" || s == "auto") return weft::io_backend::automatic;
    throw value_error("WEFT_IO_BACKEND: unknown backend '" + s +
                      "' (expected epoll, io_uring or automatic)");
}

} // namespace

reactor& reactor::install(event_loop& loop) {
    const weft::io_backend want = backend_from_environment(loop.preferred_io_backend());
    reactor* r = nullptr;
    // automatic means epoll: the io_uring backend polls readiness through the
    // ring and then makes the same recv/send calls, which costs about twice
    // the CPU per request of epoll on small request/response traffic
    // (bench/RESULTS.md, the quiet-machine echo re-run).
    if (want == weft::io_backend::io_uring) {
        std::string why;
        r = make_uring_reactor(why);
        if (!r && want == weft::io_backend::io_uring && loop.get_debug())
            loop.call_exception_handler(
                {"io_uring refused (" + why + "); this loop uses epoll instead", nullptr, {}});
    }
    if (!r) r = make_epoll_reactor();
    try {
        loop.install_io_driver(r);
    } catch (...) {
        r->detach();
        throw;
    }
    return *r;
}

reactor& reactor_of(event_loop& loop) {
    if (io_driver* d = loop.io_driver()) return static_cast<reactor&>(*d);
    return reactor::install(loop);
}

weft::io_backend loop_io_backend(event_loop& loop) { return reactor_of(loop).backend(); }

source_owner register_fd(int fd, const char* what, bool owns_fd,
                         void (*on_notify)(io_source&, bool, bool) noexcept, void* context) {
    event_loop* loop = running_loop();
    if (!loop) {
        if (owns_fd) ::close(fd);
        throw error(std::string(what) + ": I/O needs a running event loop");
    }
    reactor* r;
    try {
        r = &reactor_of(*loop);
    } catch (...) {
        if (owns_fd) ::close(fd);
        throw;
    }
    source_ref s(new io_source(fd, *r, owns_fd));  // owns fd from here on
    s->on_notify = on_notify;
    s->context = context;
    try {
        r->add(*s);
    } catch (const std::system_error& e) {
        throw std::system_error(e.code(), std::string(what) + ": registering fd " +
                                              std::to_string(fd) + " with " +
                                              (r->backend() == weft::io_backend::epoll ? "epoll" : "io_uring"));
    }
    return source_owner(std::move(s));
}

wake_fd::wake_fd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (fd_ < 0) throw std::system_error(errno, std::system_category(), "eventfd for the reactor's wake-ups");
}

wake_fd::~wake_fd() {
    if (fd_ >= 0) ::close(fd_);
}

void wake_fd::signal() noexcept {
    // acq_rel: pairs with consume()'s release store; only the first signal
    // after a consumption writes.
    if (pending_.exchange(true, std::memory_order_acq_rel)) return;
    const std::uint64_t one = 1;
    ssize_t n;
    do {
        n = ::write(fd_, &one, sizeof one);
    } while (n < 0 && errno == EINTR);
    // EAGAIN (counter saturated) still leaves the fd readable: nothing lost.
}

void wake_fd::consume() noexcept {
    std::uint64_t v;
    ssize_t n;
    do {
        n = ::read(fd_, &v, sizeof v);
    } while (n < 0 && errno == EINTR);
    // Read first, then re-arm: see the class comment.
    pending_.store(false, std::memory_order_release);
}

} // namespace weft::detail
