// asyncio's streams: stream_reader / stream_writer over a connected socket
// or a pipe, open_connection / start_server over TCP and Unix sockets.
//
// Bytes are std::string (Python's bytes). A reader and its writer share one
// transport (reference counted); copies of a reader or writer are handles to
// the same stream. One task at a time may read a stream, and one may write
// it (as in asyncio); reading and writing may run at once on two workers.
//
// Registration. A stream registers its descriptor with the reactor of the
// worker that runs its first operation, so connections accepted by one
// worker and served by tasks on others are polled by the workers that serve
// them.
//
// Errors: std::system_error with the errno and a message naming the
// operation and the peer ("recv from 127.0.0.1:40522: Connection reset by
// peer"); incomplete_read_error, limit_overrun_error (errors.hpp). Using a
// closed stream is std::system_error(EBADF) naming the operation. Writing
// to a closed peer never raises SIGPIPE.
//
// Cancellation. Cancelling a task in the middle of read, readline,
// readexactly or readuntil loses nothing: bytes already received stay in
// the reader's buffer for the next call. Cancelling drain() leaves the
// buffered bytes queued: they are still sent.
#pragma once

#include <weft/io/detail/io_source.hpp>
#include <weft/io/socket_address.hpp>
#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/task.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft {

namespace detail {
class stream_transport;
}

/// asyncio's default stream buffer limit: 64 KiB.
inline constexpr std::size_t default_stream_limit = 64 * 1024;

class stream_reader {
public:
    /// An empty reader: every operation throws weft::error.
    stream_reader() noexcept = default;
    explicit stream_reader(std::shared_ptr<detail::stream_transport> t) noexcept : t_(std::move(t)) {}

    /// n < 0: everything up to end of stream. n == 0: "". n > 0: up to n
    /// bytes, at least one unless at end of stream ("" then).
    coro<std::string> read(std::ptrdiff_t n = -1);
    /// Up to and including "\n"; at end of stream, what is left (maybe "").
    /// Past the limit without a newline: value_error (as asyncio's
    /// readline turns LimitOverrunError into ValueError), and the bytes
    /// up to the limit are dropped from the buffer.
    coro<std::string> readline();
    /// Exactly n bytes; incomplete_read_error (with .partial) if the stream
    /// ends first.
    coro<std::string> readexactly(std::size_t n);
    /// Up to and including sep; limit_overrun_error if the buffer reaches
    /// the limit without sep (the bytes stay buffered),
    /// incomplete_read_error at end of stream. value_error if sep is empty.
    coro<std::string> readuntil(std::string_view sep = "\n");
    /// True once the peer closed its side and the buffer is empty.
    bool at_eof() const noexcept;
    std::size_t limit() const noexcept;

private:
    std::shared_ptr<detail::stream_transport> t_;
};

class stream_writer {
public:
    stream_writer() noexcept = default;
    explicit stream_writer(std::shared_ptr<detail::stream_transport> t) noexcept : t_(std::move(t)) {}

    /// Sends what the kernel takes now and buffers the rest (sent in the
    /// background). Never blocks, never suspends. Throws std::system_error
    /// (EBADF) after close(), or the error that broke the stream.
    void write(std::string_view data);
    template <class Range>
    void writelines(const Range& lines) {
        for (const auto& l : lines) write(std::string_view(l));
    }
    /// Waits while more than the high-water mark is buffered (resumes below
    /// the low-water mark); rethrows a send error. Returns at once when the
    /// buffer is small.
    coro<void> drain();
    /// Buffer limits for drain(): defaults 64 KiB high, 16 KiB low.
    void set_write_buffer_limits(std::size_t high, std::size_t low = SIZE_MAX);
    std::size_t write_buffer_size() const noexcept;
    bool can_write_eof() const noexcept;
    /// Half-close: after the buffered bytes, the peer reads end of stream;
    /// reading still works.
    void write_eof();
    /// Closes the stream once the buffered bytes are sent (an error while
    /// sending them closes it at once). Idempotent.
    void close();
    bool is_closing() const noexcept;
    /// Waits until close() finished (buffer flushed, descriptor released).
    coro<void> wait_closed();
    /// "peername" and "sockname" (socket_address::to_string(); "" for
    /// pipes), "fd" (the descriptor number as text). Unknown names give "".
    std::string get_extra_info(std::string_view name) const;
    /// The peer's and the local address (empty for pipes).
    socket_address peername() const;
    socket_address sockname() const;

private:
    std::shared_ptr<detail::stream_transport> t_;
};

struct connection_options {
    /// The reader's buffer limit (readuntil, readline).
    std::size_t limit = default_stream_limit;
};

/// Connects to host:port (a numeric address or a name, resolved with
/// getaddrinfo; every address is tried in order). Throws std::system_error
/// naming the address for refused, unreachable or timed-out connections.
coro<std::pair<stream_reader, stream_writer>> open_connection(std::string host, std::uint16_t port,
                                                              connection_options opts = {});
coro<std::pair<stream_reader, stream_writer>> open_unix_connection(std::string path,
                                                                   connection_options opts = {});

/// The handler run, as a task, for each accepted connection. A handler
/// that throws is reported to the loop's exception handler; the
/// connection is closed when the handler returns, whatever it did.
using connection_handler = std::function<coro<void>(stream_reader, stream_writer)>;

struct server_options {
    /// One listening socket per worker with SO_REUSEPORT, each accepting on
    /// its own worker; otherwise one listener whose acceptor hands the
    /// connections out to the workers in turn.
    bool reuse_port = false;
    bool reuse_address = true;
    int backlog = 128;
    std::size_t limit = default_stream_limit;
};

namespace detail {
class server_state;
}

class server {
public:
    server() noexcept = default;
    explicit server(std::shared_ptr<detail::server_state> s) noexcept : s_(std::move(s)) {}

    /// Waits until close() (the server serves from start_server on).
    coro<void> serve_forever();
    /// Stops listening (the listening sockets close). Connections being
    /// served go on.
    void close();
    /// Waits until the server is closed and every connection handler ended.
    coro<void> wait_closed();
    bool is_serving() const noexcept;
    /// The listening addresses (with the port the kernel chose for port 0).
    std::vector<socket_address> sockets() const;

private:
    std::shared_ptr<detail::server_state> s_;
};

/// Listens on host:port (port 0: the kernel chooses; sockets() tells) and
/// serves each connection with handler(reader, writer) in its own task.
coro<server> start_server(connection_handler handler, std::string host, std::uint16_t port,
                          server_options opts = {});
/// Listens on a Unix socket path (a stale socket file at path is replaced).
coro<server> start_unix_server(connection_handler handler, std::string path, server_options opts = {});

namespace detail {
/// Streams over pipes (subprocess stdin/stdout/stderr): fd must be a
/// non-blocking, close-on-exec pipe end; the stream owns it.
stream_reader make_pipe_reader(int fd, std::size_t limit = default_stream_limit);
stream_writer make_pipe_writer(int fd);
/// Streams over a connected socket fd (owned).
std::pair<stream_reader, stream_writer> make_socket_streams(int fd, std::size_t limit = default_stream_limit);
} // namespace detail

} // namespace weft
