#include <weft/io/socket_address.hpp>

#include <weft/errors.hpp>

#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

namespace weft {

socket_address socket_address::from_ip(std::string_view host, std::uint16_t port) {
    socket_address a;
    const std::string h(host);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
    if (::inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        a.len_ = sizeof(sockaddr_in);
        return a;
    }
    a.storage_ = {};
    std::string h6 = h;
    if (h6.size() > 2 && h6.front() == '[' && h6.back() == ']') h6 = h6.substr(1, h6.size() - 2);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
    if (::inet_pton(AF_INET6, h6.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        a.len_ = sizeof(sockaddr_in6);
        return a;
    }
    throw value_error("socket_address::from_ip(): '" + h +
                      "' is not a numeric IPv4 or IPv6 address (resolve names with weft::getaddrinfo)");
}

socket_address socket_address::from_unix_path(std::string_view path) {
    socket_address a;
    auto* un = reinterpret_cast<sockaddr_un*>(&a.storage_);
    if (path.empty()) throw value_error("socket_address::from_unix_path(): empty path");
    if (path.size() >= sizeof un->sun_path)
        throw value_error("socket_address::from_unix_path(): '" + std::string(path) + "' is " +
                          std::to_string(path.size()) + " bytes; a Unix socket path holds at most " +
                          std::to_string(sizeof un->sun_path - 1));
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, path.data(), path.size());
    a.len_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
    return a;
}

socket_address socket_address::from_native(const sockaddr* sa, socklen_t len) {
    socket_address a;
    if (len > sizeof a.storage_) len = sizeof a.storage_;
    std::memcpy(&a.storage_, sa, len);
    a.len_ = len;
    return a;
}

std::string socket_address::host() const {
    char buf[INET6_ADDRSTRLEN] = {};
    switch (family()) {
    case AF_INET:
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
        return buf;
    case AF_INET6:
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
                    sizeof buf);
        return buf;
    case AF_UNIX: {
        const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
        const std::size_t max = len_ > offsetof(sockaddr_un, sun_path)
                                    ? len_ - offsetof(sockaddr_un, sun_path)
                                    : 0;
        return std::string(un->sun_path, ::strnlen(un->sun_path, max));
    }
    default:
        return {};
    }
}

std::uint16_t socket_address::port() const noexcept {
    switch (family()) {
    case AF_INET:
        return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    case AF_INET6:
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    default:
        return 0;
    }
}

std::string socket_address::to_string() const {
    switch (family()) {
    case AF_INET:
        return host() + ":" + std::to_string(port());
    case AF_INET6:
        return "[" + host() + "]:" + std::to_string(port());
    case AF_UNIX:
        return "unix:" + host();
    default:
        return "(no address)";
    }
}

bool operator==(const socket_address& a, const socket_address& b) noexcept {
    return a.len_ == b.len_ && std::memcmp(&a.storage_, &b.storage_, a.len_) == 0;
}

} // namespace weft
