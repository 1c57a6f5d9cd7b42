// weft::getaddrinfo: asyncio's loop.getaddrinfo. The resolver (the C
// library's getaddrinfo) blocks, so it runs on the blocking pool, and the
// awaiting task waits without blocking its worker. Cancelling the awaiting
// task raises cancelled_error in it at once; the lookup finishes on the
// pool and its result is dropped.
#pragma once

#include <weft/io/socket_address.hpp>
#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/task.hpp>

#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include <netdb.h>
#include <sys/socket.h>

namespace weft {

/// One result of getaddrinfo (Python's 5-tuple).
struct address_info {
    int family = 0;    ///< AF_INET, AF_INET6
    int socktype = 0;  ///< SOCK_STREAM, SOCK_DGRAM
    int protocol = 0;
    std::string canonname;  ///< set on the first result with AI_CANONNAME
    socket_address address;
};

struct getaddrinfo_options {
    int family = AF_UNSPEC;
    int socktype = 0;  ///< 0: every type the service has
    int protocol = 0;
    int flags = 0;     ///< AI_* flags (AI_PASSIVE, AI_CANONNAME, AI_NUMERICHOST...)
};

/// The error category of getaddrinfo's EAI_* codes (messages from
/// gai_strerror). EAI_SYSTEM is reported as the errno it stands for, in
/// std::system_category().
const std::error_category& gai_category() noexcept;

/// Resolves host (a name or a numeric address; empty for the wildcard with
/// AI_PASSIVE) and service (a port number or a service name). Throws
/// std::system_error naming the host, the service and the resolver's
/// message (its gai_category) when the lookup fails, e.g. for an unknown
/// name; value_error for a host or service with an embedded NUL. Numeric
/// hosts with numeric services are converted at once, without the pool.
/// Inside a task only.
coro<std::vector<address_info>> getaddrinfo(std::string host, std::string service,
                                            getaddrinfo_options opts = {});
coro<std::vector<address_info>> getaddrinfo(std::string host, std::uint16_t port,
                                            getaddrinfo_options opts = {});

} // namespace weft
