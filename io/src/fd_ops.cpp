#include <weft/io/detail/fd_ops.hpp>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <sys/socket.h>
#include <unistd.h>

namespace weft::detail {

void throw_io_error(int err, std::string_view what, std::string_view where) {
    std::string msg(what);
    if (!where.empty()) {
        msg += ' ';
        msg += where;
    }
    throw std::system_error(err, std::system_category(), msg);
}

int open_socket(int family, int type, int protocol, std::string_view what) {
    const int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd < 0) throw_io_error(errno, what, "(socket)");
    return fd;
}

namespace {

void check_open(const io_source& s, std::string_view what, std::string_view where) {
    if (s.closed()) throw_io_error(EBADF, std::string(what) + " on a closed socket", where);
}

} // namespace

coro<std::size_t> recv_some(source_ref s, std::span<std::byte> buf, std::string where) {
    for (;;) {
        check_open(*s, "recv from", where);
        const auto seen = s->seq(io_dir::read);
        const ssize_t n = ::recv(s->fd(), buf.data(), buf.size(), 0);
        if (n >= 0) co_return static_cast<std::size_t>(n);
        const int e = errno;
        if (e == EINTR) continue;
        if (!would_block(e)) throw_io_error(e, "recv from", where);
        co_await s->ready(io_dir::read, seen);
    }
}

coro<std::size_t> send_some(source_ref s, std::span<const std::byte> buf, std::string where) {
    for (;;) {
        check_open(*s, "send to", where);
        const auto seen = s->seq(io_dir::write);
        const ssize_t n = ::send(s->fd(), buf.data(), buf.size(), MSG_NOSIGNAL);
        if (n >= 0) co_return static_cast<std::size_t>(n);
        const int e = errno;
        if (e == EINTR) continue;
        if (!would_block(e)) throw_io_error(e, "send to", where);
        co_await s->ready(io_dir::write, seen);
    }
}

coro<void> send_all(source_ref s, std::span<const std::byte> buf, std::string where) {
    while (!buf.empty()) {
        const std::size_t n = co_await send_some(s, buf, where);
        buf = buf.subspan(n);
    }
}

coro<std::size_t> read_some(source_ref s, std::span<std::byte> buf, std::string where) {
    for (;;) {
        check_open(*s, "read from", where);
        const auto seen = s->seq(io_dir::read);
        const ssize_t n = ::read(s->fd(), buf.data(), buf.size());
        if (n >= 0) co_return static_cast<std::size_t>(n);
        const int e = errno;
        if (e == EINTR) continue;
        if (!would_block(e)) throw_io_error(e, "read from", where);
        co_await s->ready(io_dir::read, seen);
    }
}

coro<std::size_t> write_some(source_ref s, std::span<const std::byte> buf, std::string where) {
    for (;;) {
        check_open(*s, "write to", where);
        const auto seen = s->seq(io_dir::write);
        const ssize_t n = ::write(s->fd(), buf.data(), buf.size());
        if (n >= 0) co_return static_cast<std::size_t>(n);
        const int e = errno;
        if (e == EINTR) continue;
        if (!would_block(e)) throw_io_error(e, "write to", where);
        co_await s->ready(io_dir::write, seen);
    }
}

coro<int> accept_one(source_ref s, socket_address* peer, std::string where) {
    for (;;) {
        check_open(*s, "accept on", where);
        const auto seen = s->seq(io_dir::read);
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        const int fd = ::accept4(s->fd(), reinterpret_cast<sockaddr*>(&ss), &len,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            if (peer) *peer = socket_address::from_native(reinterpret_cast<sockaddr*>(&ss), len);
            co_return fd;
        }
        const int e = errno;
        // The connection died in the backlog, or a signal: try the next.
        if (e == EINTR || e == ECONNABORTED || e == EPROTO) continue;
        if (!would_block(e)) throw_io_error(e, "accept on", where);
        co_await s->ready(io_dir::read, seen);
    }
}

coro<void> connect_to(source_ref s, socket_address to) {
    const std::string where = to.to_string();
    check_open(*s, "connect to", where);
    auto seen = s->seq(io_dir::write);
    if (::connect(s->fd(), to.native(), to.size()) == 0) co_return;
    // EINTR: the connection still goes on asynchronously (POSIX), as for
    // EINPROGRESS. EAGAIN: a Unix socket's backlog is full; the socket turns
    // writable when the server accepts.
    const int e = errno;
    if (e != EINPROGRESS && e != EINTR && e != EAGAIN) throw_io_error(e, "connect to", where);
    // The handshake goes on: the socket turns writable when it ends, and
    // SO_ERROR tells how.
    for (;;) {
        co_await s->ready(io_dir::write, seen);
        check_open(*s, "connect to", where);
        seen = s->seq(io_dir::write);
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(s->fd(), SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err == 0) {
            // Writable with no error may still be "in progress" on a
            // spurious edge: a connected socket has a peer.
            sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            if (::getpeername(s->fd(), reinterpret_cast<sockaddr*>(&ss), &sl) == 0) co_return;
            if (errno != ENOTCONN) throw_io_error(errno, "connect to", where);
            continue;
        }
        if (err == EINPROGRESS || err == EALREADY) continue;
        throw_io_error(err, "connect to", where);
    }
}

} // namespace weft::detail
