// loop.sock_recv / sock_sendall / sock_accept / sock_connect on sockets the
// application owns. As asyncio does, each call first tries the system call;
// only when it would block is the fd registered with the loop's reactor, for
// the length of that call.
#include <weft/io/detail/fd_ops.hpp>
#include <weft/io/socket_address.hpp>
#include <weft/errors.hpp>
#include <weft/scheduler/event_loop.hpp>

#include <cerrno>

#include <sys/socket.h>

namespace weft {

namespace {

void check_sock_call(event_loop& loop, const char* what, int fd) {
    loop.check_open(what);
    // Any worker of the loop's runtime will do: a stealable task may have
    // moved since it named the loop. The wait registers with the reactor
    // of the worker running the call.
    event_loop* here = detail::running_loop();
    if (!here || (here != &loop && !loop.same_runtime(*here)))
        throw error(std::string(what) + "(): await it in a task running on this loop or its runtime");
    if (fd < 0) throw value_error(std::string(what) + "(): invalid file descriptor " + std::to_string(fd));
}

std::string describe_fd(int fd) { return "(fd " + std::to_string(fd) + ")"; }

/// A registration for the duration of one call (not owning fd).
detail::source_owner watch_fd(int fd, const char* what) {
    return detail::register_fd(fd, what, /*owns_fd=*/false);
}

} // namespace

coro<std::size_t> event_loop::sock_recv(int fd, std::span<std::byte> buf) {
    check_sock_call(*this, "sock_recv", fd);
    for (;;) {
        const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n >= 0) co_return static_cast<std::size_t>(n);
        if (errno == EINTR) continue;
        if (!detail::would_block(errno)) detail::throw_io_error(errno, "sock_recv", describe_fd(fd));
        break;
    }
    detail::source_owner src = watch_fd(fd, "sock_recv");
    co_return co_await detail::recv_some(src.ref(), buf, describe_fd(fd));
}

coro<void> event_loop::sock_sendall(int fd, std::span<const std::byte> data) {
    check_sock_call(*this, "sock_sendall", fd);
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n >= 0) {
            data = data.subspan(static_cast<std::size_t>(n));
            continue;
        }
        if (errno == EINTR) continue;
        if (!detail::would_block(errno)) detail::throw_io_error(errno, "sock_sendall", describe_fd(fd));
        break;
    }
    if (data.empty()) co_return;
    detail::source_owner src = watch_fd(fd, "sock_sendall");
    co_await detail::send_all(src.ref(), data, describe_fd(fd));
}

coro<std::pair<int, socket_address>> event_loop::sock_accept(int fd) {
    check_sock_call(*this, "sock_accept", fd);
    detail::source_owner src = watch_fd(fd, "sock_accept");
    socket_address peer;
    const int conn = co_await detail::accept_one(src.ref(), &peer, describe_fd(fd));
    co_return std::pair<int, socket_address>(conn, peer);
}

coro<void> event_loop::sock_connect(int fd, socket_address to) {
    check_sock_call(*this, "sock_connect", fd);
    if (to.empty()) throw value_error("sock_connect(): empty address");
    detail::source_owner src = watch_fd(fd, "sock_connect");
    co_await detail::connect_to(src.ref(), to);
}

} // namespace weft
