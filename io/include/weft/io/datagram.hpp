// UDP: asyncio's create_datagram_endpoint, with the transport and protocol
// pair replaced by one awaitable socket.
//
//     auto server = co_await weft::datagram_socket::bind("127.0.0.1", 9999);
//     auto [data, from] = co_await server.recvfrom();
//     co_await server.sendto(data, from);
//
//     auto client = co_await weft::datagram_socket::connect("127.0.0.1", 9999);
//     co_await client.send("ping");
//     std::string reply = co_await client.recv();
//
// Datagrams are std::string (Python's bytes). Each sendto/send sends one
// datagram whole or fails; each recvfrom/recv returns one datagram, cut to
// max_size if it is longer (as socket.recvfrom; the rest is discarded by
// the kernel). Several tasks may send and receive at once on one socket,
// on any workers of its runtime; each datagram goes to one receiver.
//
// Registration: the socket is registered with the reactor of the worker
// that created it; operations may run on any worker of that runtime.
//
// Cancellation: cancelling a task waiting in recvfrom/recv consumes
// nothing (the next call gets the datagram); a cancelled sendto/send either
// sent its datagram or did not start it.
//
// Errors: std::system_error with the errno and a message naming the
// operation and the address: "sendto 127.0.0.1:9: Message too long"
// (EMSGSIZE, a datagram over the limit of the path), "recv from
// 127.0.0.1:9: Connection refused" (a connected socket learns from ICMP
// that nobody listens at the peer: the error comes with a later send or
// recv). An operation on a closed socket (or a moved-from or default one)
// is EBADF ("recvfrom on a closed socket ..."). Bad arguments are
// value_error; failed name lookups are getaddrinfo's errors (dns.hpp).
#pragma once

#include <weft/io/detail/io_source.hpp>
#include <weft/io/socket_address.hpp>
#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/task.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include <sys/socket.h>

namespace weft {

/// What recvfrom returns: one datagram and its sender.
struct datagram {
    std::string data;
    socket_address from;
};

struct datagram_options {
    /// AF_INET or AF_INET6 narrows the addresses the hosts resolve to.
    /// Required (with no hosts) for a socket that is neither bound nor
    /// connected.
    int family = AF_UNSPEC;
    /// SO_REUSEPORT before binding: several sockets share one port.
    bool reuse_port = false;
    /// SO_BROADCAST: sending to broadcast addresses is allowed.
    bool allow_broadcast = false;
};

/// asyncio's default size of one read from a datagram socket is the
/// largest UDP datagram over IPv4; 64 KiB covers every one.
inline constexpr std::size_t default_datagram_size = 65536;

class datagram_socket {
public:
    /// An empty socket: every operation throws std::system_error(EBADF).
    datagram_socket() noexcept = default;
    datagram_socket(datagram_socket&&) noexcept = default;
    /// Closes the socket held before.
    datagram_socket& operator=(datagram_socket&&) noexcept = default;
    /// Closes the socket.
    ~datagram_socket() = default;

    /// A socket bound to (host, port): host a name or a numeric address,
    /// "" for every interface; port 0 lets the kernel choose (sockname()
    /// tells which).
    static coro<datagram_socket> bind(std::string host, std::uint16_t port,
                                      datagram_options opts = {});
    /// A socket connected to (host, port), bound by the kernel to a local
    /// port: send() and recv() talk to that peer only. value_error if host
    /// is empty.
    static coro<datagram_socket> connect(std::string host, std::uint16_t port,
                                         datagram_options opts = {});

    /// Sends one datagram to `to`.
    coro<void> sendto(std::string data, socket_address to);
    /// Sends one datagram to the connected peer (EDESTADDRREQ if none).
    coro<void> send(std::string data);
    /// The next datagram and its sender (at most max_size bytes of it).
    coro<datagram> recvfrom(std::size_t max_size = default_datagram_size);
    /// The next datagram's bytes (on a connected socket: from the peer).
    coro<std::string> recv(std::size_t max_size = default_datagram_size);

    /// The local address (as the kernel has it now: a socket that was
    /// neither bound nor connected is bound by its first sendto). After
    /// close(), the one it had when it was closed.
    socket_address sockname() const;
    /// The connected peer; empty if not connected.
    socket_address peername() const { return peer_; }
    /// The descriptor (-1 when closed), for socket options.
    int fileno() const noexcept;

    /// Closes the socket: operations in flight end with EBADF. The
    /// descriptor (and with it the port) is released once they have and the
    /// reactor has let go of it, at its loop's next poll, as asyncio's
    /// transport closes its socket on a later turn. Idempotent.
    void close() noexcept;
    bool is_closed() const noexcept { return !src_; }

    /// Internal: adopts a registered socket (see create_datagram_endpoint).
    datagram_socket(detail::source_owner src, socket_address local, socket_address peer) noexcept
        : src_(std::move(src)), local_(local), peer_(peer) {}

private:
    detail::source_owner src_;
    socket_address local_;  // refreshed by close()
    socket_address peer_;
};

/// asyncio's loop.create_datagram_endpoint, returning the socket. The local
/// side: with local_host "" and local_port 0 the socket is not bound (the
/// kernel binds it at the first send or at connect); otherwise it is bound
/// to (local_host, local_port), "" meaning every interface. The remote
/// side: with remote_host "" and remote_port 0 the socket is not connected;
/// otherwise it is connected to (remote_host, remote_port), and a remote
/// port without a host is value_error. Names are resolved with
/// weft::getaddrinfo; every local/remote pair of one family is tried in the
/// resolver's order, and the first failure is thrown if none works. With
/// neither side given, opts.family must say which socket to make
/// (value_error otherwise). Inside a task only.
coro<datagram_socket> create_datagram_endpoint(std::string local_host, std::uint16_t local_port,
                                               std::string remote_host = {},
                                               std::uint16_t remote_port = 0,
                                               datagram_options opts = {});

} // namespace weft
