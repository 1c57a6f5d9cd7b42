// weft::datagram_socket and create_datagram_endpoint: UDP over io_source,
// with the sequence protocol of io_source.hpp around sendto / recvfrom.
#include <weft/io/datagram.hpp>

#include <weft/errors.hpp>
#include <weft/io/detail/fd_ops.hpp>
#include <weft/io/dns.hpp>

#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

namespace weft {

namespace {

/// One side of an endpoint to set up.
struct endpoint_spec {
    std::string host;
    std::uint16_t port = 0;
};

/// Datagrams up to this size are received on the stack and copied into a
/// string of their own size, not into one of max_size.
constexpr std::size_t stack_receive_size = 65536;

socket_address local_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    return socket_address::from_native(reinterpret_cast<sockaddr*>(&ss), len);
}

/// What an operation names in its errors: the operation and the address it
/// talks to (the destination, the connected peer, or else the local
/// address). The text is made only when an error is thrown.
struct op_site {
    const char* what;  ///< "sendto", "send to", "recvfrom", "recv"
    socket_address peer;
    socket_address local;

    /// The local address as the kernel has it now (a socket bound by its
    /// first send), else as it was known.
    socket_address local_now(const detail::source_ref& s) const {
        socket_address now = s && !s->closed() ? local_address(s->fd()) : socket_address();
        return now.empty() ? local : now;
    }
    std::string where(const detail::source_ref& s) const {
        const bool receiving = what[0] == 'r';
        if (!peer.empty()) return (receiving ? "from " : "") + peer.to_string();
        if (!receiving) return "(not connected)";
        return "on " + local_now(s).to_string();
    }
    [[noreturn]] void fail(int err, const detail::source_ref& s) const {
        detail::throw_io_error(err, what, where(s));
    }
    void check_open(const detail::source_ref& s) const {
        if (s && !s->closed()) return;
        std::string msg = std::string(what) + " on a closed socket";
        const socket_address a = peer.empty() ? local : peer;
        if (!a.empty()) msg += " (" + a.to_string() + ")";
        throw std::system_error(EBADF, std::system_category(), msg);
    }
};

/// One datagram to `to` (to the connected peer if `to` is empty).
coro<void> send_datagram(detail::source_ref s, std::string data, socket_address to, op_site site) {
    for (;;) {
        site.check_open(s);
        const auto seen = s->seq(detail::io_dir::write);
        const ssize_t n = to.empty() ? ::send(s->fd(), data.data(), data.size(), MSG_NOSIGNAL)
                                     : ::sendto(s->fd(), data.data(), data.size(), MSG_NOSIGNAL,
                                                to.native(), to.size());
        if (n >= 0) co_return;  // a datagram goes whole or not at all
        const int e = errno;
        if (e == EINTR) continue;
        if (!detail::would_block(e)) site.fail(e, s);
        co_await s->ready(detail::io_dir::write, seen);
    }
}

/// recvfrom() once; -1 with errno set on failure.
ssize_t receive_once(int fd, std::size_t max_size, std::string& out, socket_address& from) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    auto* sa = reinterpret_cast<sockaddr*>(&ss);
    ssize_t n;
    if (max_size <= stack_receive_size) {
        char buf[stack_receive_size];
        n = ::recvfrom(fd, buf, max_size, 0, sa, &len);
        if (n >= 0) out.assign(buf, static_cast<std::size_t>(n));
    } else {
        out.resize(max_size);
        n = ::recvfrom(fd, out.data(), max_size, 0, sa, &len);
        if (n >= 0) {
            out.resize(static_cast<std::size_t>(n));
            out.shrink_to_fit();
        }
    }
    if (n >= 0) from = socket_address::from_native(sa, len);
    return n;
}

coro<datagram> receive_datagram(detail::source_ref s, std::size_t max_size, op_site site) {
    for (;;) {
        site.check_open(s);
        const auto seen = s->seq(detail::io_dir::read);
        datagram d;
        const ssize_t n = receive_once(s->fd(), max_size, d.data, d.from);
        if (n >= 0) co_return d;
        const int e = errno;
        if (e == EINTR) continue;
        if (!detail::would_block(e)) site.fail(e, s);
        co_await s->ready(detail::io_dir::read, seen);
    }
}

coro<std::string> receive_bytes(detail::source_ref s, std::size_t max_size, op_site site) {
    datagram d = co_await receive_datagram(std::move(s), max_size, std::move(site));
    co_return std::move(d.data);
}

/// Closes fd unless released.
struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
    int release() noexcept { return std::exchange(fd, -1); }
};

void apply_options(int fd, const datagram_options& opts) {
    const int on = 1;
    if (opts.reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0)
        detail::throw_io_error(errno, "create_datagram_endpoint", "(SO_REUSEPORT)");
    if (opts.allow_broadcast && ::setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on) != 0)
        detail::throw_io_error(errno, "create_datagram_endpoint", "(SO_BROADCAST)");
}

/// A socket of the family of whichever side is given, bound to local and
/// connected to remote (each if given). The descriptor on success.
int open_one(const address_info* local, const address_info* remote, const datagram_options& opts) {
    const address_info& a = local ? *local : *remote;
    fd_guard fd{detail::open_socket(a.family, SOCK_DGRAM, a.protocol, "create_datagram_endpoint")};
    apply_options(fd.fd, opts);
    if (local && ::bind(fd.fd, local->address.native(), local->address.size()) != 0)
        detail::throw_io_error(errno, "bind to", local->address.to_string());
    // A datagram connect only records the peer: it never waits.
    if (remote && ::connect(fd.fd, remote->address.native(), remote->address.size()) != 0)
        detail::throw_io_error(errno, "connect to", remote->address.to_string());
    return fd.release();
}

coro<datagram_socket> open_endpoint(std::optional<endpoint_spec> local, std::optional<endpoint_spec> remote,
                                    datagram_options opts) {
    if (opts.family != AF_UNSPEC && opts.family != AF_INET && opts.family != AF_INET6)
        throw value_error("create_datagram_endpoint(): family " + std::to_string(opts.family) +
                          " is not AF_UNSPEC, AF_INET or AF_INET6");
    if (!local && !remote) {
        if (opts.family == AF_UNSPEC)
            throw value_error(
                "create_datagram_endpoint(): neither a local nor a remote address, and no family "
                "to make the socket of");
        fd_guard fd{detail::open_socket(opts.family, SOCK_DGRAM, 0, "create_datagram_endpoint")};
        apply_options(fd.fd, opts);
        detail::source_owner src = detail::register_fd(fd.release(), "create_datagram_endpoint");
        co_return datagram_socket(std::move(src), local_address(src->fd()), socket_address());
    }

    std::vector<address_info> locals;
    std::vector<address_info> remotes;
    if (local) {
        getaddrinfo_options hints;
        hints.family = opts.family;
        hints.socktype = SOCK_DGRAM;
        hints.flags = AI_PASSIVE;
        locals = co_await getaddrinfo(local->host, local->port, hints);
    }
    if (remote) {
        getaddrinfo_options hints;
        hints.family = opts.family;
        hints.socktype = SOCK_DGRAM;
        remotes = co_await getaddrinfo(remote->host, remote->port, hints);
    }

    std::exception_ptr first_error;
    int fd = -1;
    socket_address peer;
    auto attempt = [&](const address_info* l, const address_info* r) {
        try {
            fd = open_one(l, r, opts);
            if (r) peer = r->address;
        } catch (const std::system_error&) {
            if (!first_error) first_error = std::current_exception();
        }
    };
    if (remote) {
        for (const address_info& r : remotes) {
            if (!local) {
                attempt(nullptr, &r);
            } else {
                for (const address_info& l : locals) {
                    if (l.family != r.family) continue;
                    attempt(&l, &r);
                    if (fd >= 0) break;
                }
            }
            if (fd >= 0) break;
        }
    } else {
        for (const address_info& l : locals) {
            attempt(&l, nullptr);
            if (fd >= 0) break;
        }
    }
    if (fd < 0) {
        if (first_error) std::rethrow_exception(first_error);
        throw value_error("create_datagram_endpoint(): the local address " + local->host + " and the remote address " +
                          remote->host + " have no address family in common");
    }
    detail::source_owner src = detail::register_fd(fd, "create_datagram_endpoint");
    co_return datagram_socket(std::move(src), local_address(src->fd()), peer);
}

} // namespace

coro<datagram_socket> create_datagram_endpoint(std::string local_host, std::uint16_t local_port,
                                               std::string remote_host, std::uint16_t remote_port,
                                               datagram_options opts) {
    std::optional<endpoint_spec> local;
    std::optional<endpoint_spec> remote;
    if (!local_host.empty() || local_port != 0) local = endpoint_spec{std::move(local_host), local_port};
    if (!remote_host.empty())
        remote = endpoint_spec{std::move(remote_host), remote_port};
    else if (remote_port != 0)
        throw value_error("create_datagram_endpoint(): remote port " + std::to_string(remote_port) +
                          " without a remote host");
    return open_endpoint(std::move(local), std::move(remote), opts);
}

coro<datagram_socket> datagram_socket::bind(std::string host, std::uint16_t port, datagram_options opts) {
    return open_endpoint(endpoint_spec{std::move(host), port}, std::nullopt, opts);
}

coro<datagram_socket> datagram_socket::connect(std::string host, std::uint16_t port, datagram_options opts) {
    if (host.empty())
        throw value_error("datagram_socket::connect(): empty host (to connect to port " + std::to_string(port) +
                          ", give the host)");
    return open_endpoint(std::nullopt, endpoint_spec{std::move(host), port}, opts);
}

coro<void> datagram_socket::sendto(std::string data, socket_address to) {
    if (to.empty()) throw value_error("datagram_socket::sendto(): empty destination address");
    op_site site{"sendto", to, local_};
    return send_datagram(src_.ref(), std::move(data), std::move(to), std::move(site));
}

coro<void> datagram_socket::send(std::string data) {
    return send_datagram(src_.ref(), std::move(data), socket_address(), op_site{"send to", peer_, local_});
}

coro<datagram> datagram_socket::recvfrom(std::size_t max_size) {
    return receive_datagram(src_.ref(), max_size, op_site{"recvfrom", peer_, local_});
}

coro<std::string> datagram_socket::recv(std::size_t max_size) {
    return receive_bytes(src_.ref(), max_size, op_site{"recv", peer_, local_});
}

socket_address datagram_socket::sockname() const {
    if (src_) {
        socket_address now = local_address(src_->fd());
        if (!now.empty()) return now;
    }
    return local_;
}

int datagram_socket::fileno() const noexcept { return src_ ? src_->fd() : -1; }

void datagram_socket::close() noexcept {
    if (!src_) return;
    socket_address now = local_address(src_->fd());
    if (!now.empty()) local_ = now;
    src_.close();
}

} // namespace weft
