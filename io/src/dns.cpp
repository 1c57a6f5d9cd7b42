// weft::getaddrinfo: the C library's resolver on the runtime's default
// thread pool (the pool of to_thread).
#include <weft/io/dns.hpp>

#include <weft/errors.hpp>

#include <weft/scheduler/detail/executor_call.hpp>
#include <weft/scheduler/detail/loop_services.hpp>
#include <weft/scheduler/event_loop.hpp>
#include <weft/scheduler/thread_pool_executor.hpp>

#include <cerrno>
#include <memory>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace weft {

namespace {

class gai_error_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "getaddrinfo"; }
    std::string message(int ev) const override { return ::gai_strerror(ev); }
};

std::string describe(const std::string& host, const std::string& service) {
    std::string d = "getaddrinfo for host ";
    d += host.empty() ? std::string("(none)") : '"' + host + '"';
    d += ", service ";
    d += service.empty() ? std::string("(none)") : '"' + service + '"';
    return d;
}

bool is_numeric_host(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

bool is_numeric_service(const std::string& service) {
    if (service.empty() || service.size() > 5) return false;
    for (char c : service)
        if (c < '0' || c > '9') return false;
    return std::stoul(service) <= 65535;
}

/// The resolver call itself: blocking unless the caller made sure that
/// nothing has to be looked up. Throws per the contract of dns.hpp.
std::vector<address_info> resolve(const std::string& host, const std::string& service,
                                  getaddrinfo_options opts) {
    addrinfo hints{};
    hints.ai_family = opts.family;
    hints.ai_socktype = opts.socktype;
    hints.ai_protocol = opts.protocol;
    hints.ai_flags = opts.flags;
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(),
                                 service.empty() ? nullptr : service.c_str(), &hints, &res);
    if (rc != 0) {
        if (rc == EAI_SYSTEM) throw std::system_error(errno, std::system_category(), describe(host, service));
        throw std::system_error(rc, gai_category(), describe(host, service));
    }
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> owned(res, ::freeaddrinfo);
    std::vector<address_info> out;
    for (const addrinfo* ai = res; ai; ai = ai->ai_next) {
        address_info a;
        a.family = ai->ai_family;
        a.socktype = ai->ai_socktype;
        a.protocol = ai->ai_protocol;
        if (ai->ai_canonname) a.canonname = ai->ai_canonname;
        if (ai->ai_addr) a.address = socket_address::from_native(ai->ai_addr, ai->ai_addrlen);
        out.push_back(std::move(a));
    }
    return out;
}

void check_text(const std::string& s, const char* what) {
    if (s.find('\0') != std::string::npos)
        throw value_error(std::string("getaddrinfo(): the ") + what + " contains a NUL byte");
}

} // namespace

const std::error_category& gai_category() noexcept {
    static const gai_error_category category;
    return category;
}

coro<std::vector<address_info>> getaddrinfo(std::string host, std::string service,
                                            getaddrinfo_options opts) {
    check_text(host, "host");
    check_text(service, "service");
    // Nothing to look up (a numeric address, or the caller forbids a
    // lookup): the answer is computed here, as fast as a thread hop costs.
    // AI_CANONNAME keeps the pool: the C library may ask the resolver for
    // the canonical name.
    const bool host_local = host.empty() || (opts.flags & AI_NUMERICHOST) || is_numeric_host(host);
    const bool service_local =
        service.empty() || (opts.flags & AI_NUMERICSERV) || is_numeric_service(service);
    if (host_local && service_local && !(opts.flags & AI_CANONNAME)) {
        if (!host.empty()) opts.flags |= AI_NUMERICHOST;
        if (!service.empty()) opts.flags |= AI_NUMERICSERV;
        co_return resolve(host, service, opts);
    }
    auto lookup = [host = std::move(host), service = std::move(service), opts] {
        return resolve(host, service, opts);
    };
    event_loop* loop = detail::running_loop();
    if (!loop) throw error("getaddrinfo(): no running event loop on this thread");
    thread_pool_executor& pool = detail::default_thread_pool(*loop, "getaddrinfo()");
    co_return co_await detail::call_on_executor(pool, std::move(lookup));
}

coro<std::vector<address_info>> getaddrinfo(std::string host, std::uint16_t port,
                                            getaddrinfo_options opts) {
    return getaddrinfo(std::move(host), std::to_string(port), opts);
}

} // namespace weft
