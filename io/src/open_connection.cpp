// open_connection / open_unix_connection, and the factories that wrap a
// connected socket or a pipe end in a stream_reader / stream_writer pair.
#include "stream_transport.hpp"

#include <weft/errors.hpp>
#include <weft/io/detail/fd_ops.hpp>
#include <weft/io/dns.hpp>
#include <weft/io/streams.hpp>

#include <cerrno>
#include <exception>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace weft {

namespace detail {

namespace {

socket_address local_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    return socket_address::from_native(reinterpret_cast<sockaddr*>(&ss), len);
}

socket_address peer_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    return socket_address::from_native(reinterpret_cast<sockaddr*>(&ss), len);
}

/// As asyncio, TCP streams do not wait to coalesce small writes (Nagle):
/// a request/response protocol would stall 40 ms per exchange otherwise.
void set_nodelay(int fd, const socket_address& local) {
    if (local.family() != AF_INET && local.family() != AF_INET6) return;
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void set_nonblocking(int fd, const char* what) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) {
        const int e = errno;
        ::close(fd);
        throw_io_error(e, what, "(fd " + std::to_string(fd) + ")");
    }
    if (!(flags & O_NONBLOCK) && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        const int e = errno;
        ::close(fd);
        throw_io_error(e, what, "(fd " + std::to_string(fd) + ")");
    }
}

std::pair<stream_reader, stream_writer> wrap(std::shared_ptr<stream_transport> t) {
    return {stream_reader(t), stream_writer(t)};
}

} // namespace

std::pair<stream_reader, stream_writer> make_connected_streams(source_owner src, std::size_t limit,
                                                               socket_address peer) {
    const int fd = src->fd();
    socket_address local = local_address(fd);
    if (peer.empty()) peer = peer_address(fd);
    set_nodelay(fd, local);
    return wrap(std::make_shared<stream_transport>(std::move(src), stream_transport::kind::socket, limit,
                                                   std::move(peer), std::move(local)));
}

std::pair<stream_reader, stream_writer> make_connected_streams(int fd, std::size_t limit,
                                                               socket_address peer) {
    std::shared_ptr<stream_transport> t;
    try {
        socket_address local = local_address(fd);
        if (peer.empty()) peer = peer_address(fd);
        set_nodelay(fd, local);
        t = std::make_shared<stream_transport>(fd, stream_transport::kind::socket, limit, std::move(peer),
                                               std::move(local));
    } catch (...) {
        ::close(fd);
        throw;
    }
    return wrap(std::move(t));
}

std::pair<stream_reader, stream_writer> make_socket_streams(int fd, std::size_t limit) {
    if (fd < 0) throw value_error("make_socket_streams(): invalid file descriptor " + std::to_string(fd));
    try {
        check_stream_limit(limit, "make_socket_streams()");
    } catch (...) {
        ::close(fd);
        throw;
    }
    set_nonblocking(fd, "make_socket_streams()");
    return make_connected_streams(fd, limit, socket_address());
}

stream_reader make_pipe_reader(int fd, std::size_t limit) {
    if (fd < 0) throw value_error("make_pipe_reader(): invalid file descriptor " + std::to_string(fd));
    std::shared_ptr<stream_transport> t;
    try {
        check_stream_limit(limit, "make_pipe_reader()");
        t = std::make_shared<stream_transport>(fd, stream_transport::kind::pipe, limit, socket_address(),
                                               socket_address());
    } catch (...) {
        ::close(fd);
        throw;
    }
    return stream_reader(std::move(t));
}

stream_writer make_pipe_writer(int fd) {
    if (fd < 0) throw value_error("make_pipe_writer(): invalid file descriptor " + std::to_string(fd));
    std::shared_ptr<stream_transport> t;
    try {
        t = std::make_shared<stream_transport>(fd, stream_transport::kind::pipe, default_stream_limit,
                                               socket_address(), socket_address());
    } catch (...) {
        ::close(fd);
        throw;
    }
    return stream_writer(std::move(t));
}

} // namespace detail

namespace {

/// One attempt: a socket of the address's family, registered with the
/// running loop's reactor, connected.
coro<std::pair<stream_reader, stream_writer>> connect_one(socket_address to, std::size_t limit) {
    const int fd = detail::open_socket(to.family(), SOCK_STREAM, 0, "connect to " + to.to_string());
    detail::source_owner src = detail::register_fd(fd, "open_connection");
    co_await detail::connect_to(src.ref(), to);
    co_return detail::make_connected_streams(std::move(src), limit, to);
}

} // namespace

coro<std::pair<stream_reader, stream_writer>> open_connection(std::string host, std::uint16_t port,
                                                              connection_options opts) {
    detail::check_stream_limit(opts.limit, "open_connection()");
    if (host.empty()) throw value_error("open_connection(): empty host");
    std::vector<socket_address> addresses;
    bool numeric = true;
    try {
        addresses.push_back(socket_address::from_ip(host, port));
    } catch (const value_error&) {
        numeric = false;
    }
    if (!numeric) {
        getaddrinfo_options o;
        o.socktype = SOCK_STREAM;
        std::vector<address_info> found = co_await weft::getaddrinfo(host, port, o);
        for (const address_info& i : found) addresses.push_back(i.address);
        if (addresses.empty())
            throw std::system_error(EHOSTUNREACH, std::system_category(),
                                    "open_connection(): no stream address for " + host);
    }
    // Each address in the resolver's order; the last failure is reported.
    std::exception_ptr last;
    for (const socket_address& a : addresses) {
        try {
            co_return co_await connect_one(a, opts.limit);
        } catch (const std::system_error&) {
            last = std::current_exception();
        }
    }
    std::rethrow_exception(last);
}

coro<std::pair<stream_reader, stream_writer>> open_unix_connection(std::string path, connection_options opts) {
    detail::check_stream_limit(opts.limit, "open_unix_connection()");
    const socket_address to = socket_address::from_unix_path(path);  // value_error if empty or too long
    co_return co_await connect_one(to, opts.limit);
}

} // namespace weft
