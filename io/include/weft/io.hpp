// weft/io.hpp: umbrella header of the io component (weft::io).
#pragma once

/// \file
/// Asynchronous I/O with asyncio's names (API contract, section 5):
///
/// - Streams: `open_connection(host, port)` returning a
///   `stream_reader`/`stream_writer` pair, `start_server(handler, host, port,
///   options)` returning a server (`serve_forever()`, `close()`,
///   `wait_closed()`, `sockets()`), and the Unix-socket variants
///   `open_unix_connection(path)` and `start_unix_server(handler, path)`.
/// - `stream_reader`: `read(n)`, `readline()`, `readexactly(n)`,
///   `readuntil(sep)`, `at_eof()`.
/// - `stream_writer`: `write(bytes)`, `writelines`, `co_await drain()`,
///   `write_eof()`, `close()`, `co_await wait_closed()`, `is_closing()`,
///   `get_extra_info(name)`.
/// - UDP: `create_datagram_endpoint` and `datagram_socket` with
///   `co_await sendto/recvfrom`.
/// - Low level socket calls on the loop: `sock_recv`, `sock_sendall`,
///   `sock_accept`, `sock_connect`.
/// - DNS: `co_await getaddrinfo(host, port)`.
/// - Subprocesses: `create_subprocess_exec(prog, args, options)` and
///   `create_subprocess_shell(cmd, options)` returning a `process`.
///
/// System call failures are reported as `std::system_error`; the weft
/// exception types used here (`incomplete_read_error`,
/// `limit_overrun_error`, `cancelled_error`, `timeout_error`) are declared
/// in <weft/errors.hpp>.

#include <weft/io/datagram.hpp>
#include <weft/io/dns.hpp>
#include <weft/io/process.hpp>
#include <weft/io/socket_address.hpp>
#include <weft/io/streams.hpp>
#include <weft/scheduler.hpp>
