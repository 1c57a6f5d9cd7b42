// start_server / start_unix_server and weft::server (see server_state.hpp
// for the two accept modes).
#include "server_state.hpp"

#include <weft/errors.hpp>
#include <weft/io/detail/fd_ops.hpp>
#include <weft/io/dns.hpp>
#include <weft/scheduler/sleep.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace weft {

namespace detail {

namespace {

/// How long an acceptor waits after the kernel ran out of descriptors or
/// memory before it tries again (asyncio's ACCEPT_RETRY_DELAY is 1 s;
/// shorter serves sooner once resources come back, and still never spins).
constexpr auto accept_retry_delay = std::chrono::milliseconds(100);

bool out_of_resources(int err) noexcept {
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

socket_address local_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    return socket_address::from_native(reinterpret_cast<sockaddr*>(&ss), len);
}

/// Closes a descriptor unless released (for the steps of a bind).
struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
    int release() noexcept { return std::exchange(fd, -1); }
};

void set_option(int fd, int level, int name, const char* option, const socket_address& a) {
    const int one = 1;
    if (::setsockopt(fd, level, name, &one, sizeof one) != 0)
        throw_io_error(errno, std::string("setsockopt(") + option + ") on", a.to_string());
}

/// A listening socket bound to a.
int listen_on(const socket_address& a, const server_options& o, bool reuse_port) {
    fd_guard fd{open_socket(a.family(), SOCK_STREAM, 0, "listen on " + a.to_string())};
    if (a.family() != AF_UNIX) {
        if (o.reuse_address) set_option(fd.fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", a);
        if (reuse_port) set_option(fd.fd, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT", a);
        // As asyncio: an IPv6 listener does not take IPv4 connections too
        // (a wildcard host binds both families separately).
        if (a.family() == AF_INET6) set_option(fd.fd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", a);
    }
    if (::bind(fd.fd, a.native(), a.size()) != 0) throw_io_error(errno, "bind to", a.to_string());
    if (::listen(fd.fd, o.backlog) != 0) throw_io_error(errno, "listen on", a.to_string());
    return fd.release();
}

void check_server_arguments(const connection_handler& handler, const server_options& o, const char* what) {
    if (!handler) throw value_error(std::string(what) + ": empty connection handler");
    if (o.backlog < 0)
        throw value_error(std::string(what) + ": backlog must be >= 0, got " + std::to_string(o.backlog));
    check_stream_limit(o.limit, what);
}

} // namespace

// --- listener -------------------------------------------------------------------------

listener::~listener() { close(); }

void listener::close() noexcept {
    std::lock_guard<std::mutex> g(mu);
    if (closed) return;
    closed = true;
    if (src) {
        // shutdown() of a listening TCP socket makes the kernel stop
        // listening now (and fails a blocked accept), even though the
        // descriptor closes only with the source's last reference.
        (void)::shutdown(src->fd(), SHUT_RDWR);
        close_source_promptly(src);
    } else if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

// --- server_state ---------------------------------------------------------------------

server_state::~server_state() { close(); }

server_state::ticket::ticket(std::shared_ptr<server_state> s, int fd, socket_address peer) noexcept
    : s_(std::move(s)), fd_(fd), peer_(std::move(peer)) {
    std::lock_guard<std::mutex> g(s_->mu_);
    ++s_->active_;
}

server_state::ticket::~ticket() {
    if (fd_ >= 0) ::close(fd_);
    if (!s_) return;  // moved from
    {
        std::lock_guard<std::mutex> g(s_->mu_);
        --s_->active_;
    }
    s_->changed_.notify();
}

void server_state::start() {
    event_loop& here = get_running_loop();
    {
        std::lock_guard<std::mutex> g(mu_);
        started_ = true;
    }
    task_options o;
    o.name = "server-accept";
    o.stealable = false;  // the listener is polled by this loop's reactor
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        std::shared_ptr<listener> l = listeners_[i];
        event_loop* target = opts_.reuse_port ? loops_[i % loops_.size()] : &here;
        if (target == &here) {
            (void)create_task(accept_loop(shared_from_this(), std::move(l)), o);
            continue;
        }
        // The task must be created by its own loop to be pinned there.
        auto create = [self = shared_from_this(), l = std::move(l), o]() mutable {
            (void)create_task(accept_loop(std::move(self), std::move(l)), o);
        };
        target->call_soon_threadsafe(std::move(create));
    }
}

void server_state::report(event_loop& loop, std::string message, std::exception_ptr e) noexcept {
    try {
        basic_task t = weft::current_task();
        loop.call_exception_handler({std::move(message), std::move(e), t ? t.get_name() : std::string()});
    } catch (...) {
        loop.call_exception_handler({"weft::server: out of memory reporting an error", e, {}});
    }
}

coro<void> server_state::accept_loop(std::shared_ptr<server_state> self, std::shared_ptr<listener> l) {
    event_loop& loop = get_running_loop();  // this task is not stealable
    const std::string where = l->address.to_string();
    source_ref s;
    {
        std::lock_guard<std::mutex> g(l->mu);
        if (l->closed) co_return;
        try {
            l->src = register_fd(std::exchange(l->fd, -1), "start_server");
        } catch (...) {
            self->report(loop, "weft::server: cannot poll the listening socket " + where,
                         std::current_exception());
            co_return;
        }
        s = l->src.ref();
    }
    bool reported = false;  // a run of resource failures is reported once
    for (;;) {
        int fd = -1;
        socket_address peer;
        bool back_off = false;
        try {
            fd = co_await accept_one(s, &peer, where);
            reported = false;
        } catch (const std::system_error& e) {
            bool closed;
            {
                std::lock_guard<std::mutex> g(l->mu);
                closed = l->closed;
            }
            if (closed) co_return;  // close(): the accept failed because of it
            back_off = true;
            if (out_of_resources(e.code().value())) {
                // Linux keeps reporting the listener readable while the
                // connection waits in the backlog: retry after a delay
                // instead of spinning, and keep listening.
                if (!reported && loop.get_debug())
                    self->report(loop,
                                 "weft::server: accept on " + where +
                                     " is out of system resources; retrying every 100 ms",
                                 std::current_exception());
                reported = true;
            } else {
                self->report(loop, "weft::server: accept on " + where + " failed; retrying in 100 ms",
                             std::current_exception());
            }
        }
        if (back_off) {
            co_await sleep(accept_retry_delay);
            continue;
        }
        self->dispatch(fd, std::move(peer), loop);
    }
}

void server_state::dispatch(int fd, socket_address peer, event_loop& here) noexcept {
    ticket t(shared_from_this(), fd, std::move(peer));
    event_loop* target = &here;
    if (!opts_.reuse_port && loops_.size() > 1)
        target = loops_[next_loop_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
    if (target == &here) {
        spawn_handler(std::move(t));
        return;
    }
    try {
        // If the loop never runs the callback (it closes), the ticket goes
        // with it and closes the descriptor.
        auto hand_off = [t = std::move(t)]() mutable { spawn_handler(std::move(t)); };
        target->call_soon_threadsafe(std::move(hand_off));
    } catch (...) {
        report(here, "weft::server: could not hand a connection to another worker", std::current_exception());
    }
}

void server_state::spawn_handler(ticket t) noexcept {
    server_state& st = t.state();
    try {
        (void)create_task(serve_connection(std::move(t)));
    } catch (...) {
        // The ticket (in the argument or the frame) closed the connection.
        if (event_loop* loop = running_loop())
            st.report(*loop, "weft::server: could not start a connection handler", std::current_exception());
    }
}

coro<void> server_state::serve_connection(ticket t) {
    server_state& st = t.state();  // t holds the state until this task ends
    const std::string peer = t.peer().empty() ? std::string("(unnamed)") : t.peer().to_string();
    std::pair<stream_reader, stream_writer> streams =
        make_connected_streams(t.release_fd(), st.opts_.limit, t.peer());
    stream_reader r = std::move(streams.first);
    stream_writer w = std::move(streams.second);
    std::exception_ptr failure;
    bool cancelled = false;
    try {
        co_await st.handler_(r, w);
    } catch (const cancelled_error&) {
        cancelled = true;
        failure = std::current_exception();
    } catch (...) {
        failure = std::current_exception();
    }
    // Whatever the handler did, its connection ends with it (the bytes it
    // wrote are still sent first).
    w.close();
    if (cancelled) std::rethrow_exception(failure);
    if (failure)
        st.report(get_running_loop(), "weft::server: the connection handler for " + peer + " failed", failure);
}

void server_state::close() noexcept {
    {
        std::lock_guard<std::mutex> g(mu_);
        if (closed_) return;
        closed_ = true;
    }
    for (const auto& l : listeners_) l->close();
    remove_unix_path();
    changed_.notify();
}

void server_state::remove_unix_path() noexcept {
    if (unix_path_.empty()) return;
    // Only the file this server bound: another server may have replaced it.
    struct stat sb {};
    if (::stat(unix_path_.c_str(), &sb) == 0 && sb.st_dev == unix_dev_ && sb.st_ino == unix_ino_)
        ::unlink(unix_path_.c_str());
}

bool server_state::closed() const {
    std::lock_guard<std::mutex> g(mu_);
    return closed_;
}

bool server_state::is_serving() const {
    std::lock_guard<std::mutex> g(mu_);
    return started_ && !closed_;
}

coro<void> server_state::wait_closed() {
    for (;;) {
        std::uint32_t seen;
        {
            std::lock_guard<std::mutex> g(mu_);
            if (closed_ && active_ == 0) co_return;
            seen = changed_.seq();
        }
        co_await changed_.wait(seen, "server::wait_closed()");
    }
}

coro<void> server_state::serve_forever() {
    {
        std::lock_guard<std::mutex> g(mu_);
        if (closed_) throw invalid_state_error("server::serve_forever(): the server is closed");
        if (serving_forever_)
            throw invalid_state_error("server::serve_forever(): another task is already awaiting it");
        serving_forever_ = true;
    }
    std::exception_ptr cancel;
    try {
        for (;;) {
            std::uint32_t seen;
            {
                std::lock_guard<std::mutex> g(mu_);
                if (closed_) break;
                seen = changed_.seq();
            }
            co_await changed_.wait(seen, "server::serve_forever()");
        }
    } catch (const cancelled_error&) {
        cancel = std::current_exception();
    }
    {
        std::lock_guard<std::mutex> g(mu_);
        serving_forever_ = false;
    }
    if (cancel) {
        // As asyncio: cancelling serve_forever closes the server and waits
        // for its connections before the cancellation goes on.
        close();
        co_await wait_closed();
        std::rethrow_exception(cancel);
    }
}

} // namespace detail

// --- the public API -------------------------------------------------------------------

namespace {

detail::server_state& checked(const std::shared_ptr<detail::server_state>& s, const char* op) {
    if (!s) throw error(std::string("server::") + op + ": empty server (default-constructed)");
    return *s;
}

coro<void> do_serve_forever(std::shared_ptr<detail::server_state> s) {
    co_await checked(s, "serve_forever()").serve_forever();
}

coro<void> do_wait_closed(std::shared_ptr<detail::server_state> s) {
    co_await checked(s, "wait_closed()").wait_closed();
}

} // namespace

coro<void> server::serve_forever() { return do_serve_forever(s_); }

void server::close() {
    if (s_) s_->close();
}

coro<void> server::wait_closed() { return do_wait_closed(s_); }

bool server::is_serving() const noexcept { return s_ && s_->is_serving(); }

std::vector<socket_address> server::sockets() const { return s_ ? s_->sockets() : std::vector<socket_address>{}; }

coro<server> start_server(connection_handler handler, std::string host, std::uint16_t port,
                          server_options opts) {
    detail::check_server_arguments(handler, opts, "start_server()");
    std::vector<socket_address> addresses;
    bool numeric = !host.empty();
    if (numeric) {
        try {
            addresses.push_back(socket_address::from_ip(host, port));
        } catch (const value_error&) {
            numeric = false;
        }
    }
    if (!numeric) {
        // A name, or "" for every interface (both families, as asyncio).
        getaddrinfo_options o;
        o.socktype = SOCK_STREAM;
        o.flags = AI_PASSIVE;
        std::vector<address_info> found = co_await weft::getaddrinfo(host, port, o);
        for (const address_info& i : found)
            if (std::find(addresses.begin(), addresses.end(), i.address) == addresses.end())
                addresses.push_back(i.address);
        if (addresses.empty())
            throw std::system_error(EADDRNOTAVAIL, std::system_category(),
                                    "start_server(): no stream address for '" + host + "'");
    }
    // After the lookup: this task may have moved to another worker.
    event_loop& loop = get_running_loop();
    auto st = std::make_shared<detail::server_state>(std::move(handler), opts, loop.runtime_loops());
    const std::size_t per_address = opts.reuse_port ? loop.runtime_loops().size() : 1;
    for (const socket_address& a : addresses) {
        // Port 0: the kernel picks one for the first socket; the others of
        // the SO_REUSEPORT group bind that one.
        socket_address bound;
        for (std::size_t i = 0; i < per_address; ++i) {
            const int fd = detail::listen_on(i == 0 ? a : bound, opts, opts.reuse_port);
            if (i == 0) bound = detail::local_address(fd);
            st->add_listener(std::make_shared<detail::listener>(fd, bound));
        }
        st->add_address(bound);
    }
    st->start();
    co_return server(std::move(st));
}

coro<server> start_unix_server(connection_handler handler, std::string path, server_options opts) {
    detail::check_server_arguments(handler, opts, "start_unix_server()");
    const socket_address addr = socket_address::from_unix_path(path);  // value_error if empty or too long
    // SO_REUSEPORT does not apply to Unix sockets: one listener, handing
    // connections to the workers in turn.
    opts.reuse_port = false;
    // As asyncio: a socket file left at path (a stale server's) is replaced.
    struct stat sb {};
    if (::lstat(path.c_str(), &sb) == 0 && S_ISSOCK(sb.st_mode)) ::unlink(path.c_str());
    event_loop& loop = get_running_loop();
    auto st = std::make_shared<detail::server_state>(std::move(handler), opts, loop.runtime_loops());
    const int fd = detail::listen_on(addr, opts, false);
    st->add_listener(std::make_shared<detail::listener>(fd, addr));
    st->add_address(addr);
    if (::stat(path.c_str(), &sb) == 0) st->set_unix_path(path, sb.st_dev, sb.st_ino);
    st->start();
    co_return server(std::move(st));
}

} // namespace weft
