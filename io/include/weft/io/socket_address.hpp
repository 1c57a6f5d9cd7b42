// weft::socket_address: an IPv4, IPv6 or Unix-domain socket address, as the
// kernel takes it, with the "host:port" text every error message names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <sys/socket.h>

namespace weft {

class socket_address {
public:
    socket_address() noexcept = default;
    /// A numeric IPv4 or IPv6 host ("127.0.0.1", "::1") and a port. Names
    /// are not resolved here (see weft::getaddrinfo); throws value_error
    /// for anything that is not a numeric address.
    static socket_address from_ip(std::string_view host, std::uint16_t port);
    /// A Unix-domain socket path; throws value_error if it does not fit
    /// sockaddr_un (107 bytes).
    static socket_address from_unix_path(std::string_view path);
    /// Copies what the kernel returned (accept, getpeername, recvfrom).
    static socket_address from_native(const sockaddr* sa, socklen_t len);

    int family() const noexcept { return storage_.ss_family; }
    bool empty() const noexcept { return len_ == 0; }
    const sockaddr* native() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
    sockaddr* native() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
    socklen_t size() const noexcept { return len_; }
    /// The numeric host ("127.0.0.1", "::1"), or the path of a Unix socket.
    std::string host() const;
    /// The port (0 for Unix sockets).
    std::uint16_t port() const noexcept;
    /// "127.0.0.1:8080", "[::1]:8080", or the Unix path ("unix:<path>").
    std::string to_string() const;

    friend bool operator==(const socket_address& a, const socket_address& b) noexcept;

private:
    sockaddr_storage storage_{};
    socklen_t len_ = 0;
};

} // namespace weft
