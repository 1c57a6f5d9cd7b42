// The non-blocking system calls every weft::io object is made of, each
// retried on EINTR and waiting on its io_source on EAGAIN (the sequence
// protocol of io_source.hpp). Failures throw std::system_error with the
// errno and a message naming the operation and the address (`where`).
// An operation on a source that was shut down throws EBADF ("... on a
// closed socket"). Inside a task only.
#pragma once

#include <weft/io/detail/io_source.hpp>
#include <weft/io/socket_address.hpp>
#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/task.hpp>

#include <cstddef>
#include <span>
#include <string>

namespace weft::detail {

/// Throws std::system_error(err, "<what> <where>: <strerror>").
[[noreturn]] void throw_io_error(int err, std::string_view what, std::string_view where);

/// A non-blocking, close-on-exec socket; throws naming `what`.
int open_socket(int family, int type, int protocol, std::string_view what);

/// recv() once some bytes are there; 0 at end of stream.
coro<std::size_t> recv_some(source_ref s, std::span<std::byte> buf, std::string where);
/// send() of what the kernel takes now (MSG_NOSIGNAL: a closed peer is
/// EPIPE, never SIGPIPE); waits only while nothing can be sent.
coro<std::size_t> send_some(source_ref s, std::span<const std::byte> buf, std::string where);
/// send_some until every byte is sent.
coro<void> send_all(source_ref s, std::span<const std::byte> buf, std::string where);
/// read() / write() for pipes and other non-socket descriptors.
coro<std::size_t> read_some(source_ref s, std::span<std::byte> buf, std::string where);
coro<std::size_t> write_some(source_ref s, std::span<const std::byte> buf, std::string where);
/// accept4() of the next connection (non-blocking, close-on-exec); fills
/// peer. EMFILE/ENFILE/ENOBUFS/ENOMEM are thrown for the caller to decide
/// (a server backs off and keeps listening).
coro<int> accept_one(source_ref s, socket_address* peer, std::string where);
/// connect() to `to`, waiting for the handshake; throws the SO_ERROR.
coro<void> connect_to(source_ref s, socket_address to);

/// Not waiting: true if errno means "would block".
inline bool would_block(int e) noexcept { return e == EAGAIN || e == EWOULDBLOCK; }

} // namespace weft::detail
