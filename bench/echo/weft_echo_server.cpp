// weft_echo_server: the weft side of the echo benchmark.
//
// Default: the streams API. weft::start_server on 127.0.0.1 with one handler
// task per connection that reads what is there (reader.read(4096)), writes it
// back and drains; weft::run with --workers workers.
//
// --low-level: the same echo with only the core io layer, to measure the
// reactor without the streams on top: listening sockets registered with
// detail::register_fd, accept_one, and per connection recv_some / send_all
// on its io_source. One acceptor on the first worker hands connections to
// the workers in turn (each connection task stays on the worker whose
// reactor polls its socket), or with --reuse-port one SO_REUSEPORT listener
// per worker, each accepting on its own worker.
//
// --low-level --skip-after-short-read: after a recv that returned less than
// it asked for, the next read waits for a readiness edge instead of first
// trying a recv that would fail with EAGAIN (what a stream could do to save
// one system call per request-response; see bench/RESULTS.md).
//
// Usage: weft_echo_server [--port P] [--workers N] [--reuse-port]
//                         [--backend epoll|io_uring]
//                         [--low-level [--skip-after-short-read]] [--backlog B]
// --port 0 (the default) lets the kernel choose; the first line on stdout
// is "listening on 127.0.0.1:<port>". Runs until SIGINT or SIGTERM.
#include <weft/scheduler.hpp>
#include <weft/io/streams.hpp>
#include <weft/io/detail/fd_ops.hpp>
#include <weft/io/detail/io_source.hpp>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

struct options {
    int port = 0;
    unsigned workers = 2;
    bool reuse_port = false;
    bool low_level = false;
    bool skip_after_short_read = false;
    int backlog = 4096;
    weft::io_backend backend = weft::io_backend::epoll;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "weft_echo_server: %s\n"
                 "usage: weft_echo_server [--port P] [--workers N] [--reuse-port]\n"
                 "                        [--backend epoll|io_uring] [--low-level [--skip-after-short-read]]\n"
                 "                        [--backlog B]\n",
                 why);
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) usage(("missing value after " + std::string(a)).c_str());
            return argv[++i];
        };
        if (a == "--port") o.port = std::atoi(value().data());
        else if (a == "--workers") o.workers = static_cast<unsigned>(std::atoi(value().data()));
        else if (a == "--backlog") o.backlog = std::atoi(value().data());
        else if (a == "--reuse-port") o.reuse_port = true;
        else if (a == "--low-level") o.low_level = true;
        else if (a == "--skip-after-short-read") o.skip_after_short_read = true;
        else if (a == "--backend") {
            const std::string_view b = value();
            if (b == "epoll") o.backend = weft::io_backend::epoll;
            else if (b == "io_uring") o.backend = weft::io_backend::io_uring;
            else usage("--backend must be epoll or io_uring");
        } else usage(("unknown option " + std::string(a)).c_str());
    }
    if (o.port < 0 || o.port > 65535) usage("--port must be 0..65535");
    if (o.workers == 0) usage("--workers must be > 0");
    if (o.backlog <= 0) usage("--backlog must be > 0");
    if (o.skip_after_short_read && !o.low_level) usage("--skip-after-short-read needs --low-level");
    return o;
}

void raise_fd_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

void announce(int port) {
    std::printf("listening on 127.0.0.1:%d\n", port);
    std::fflush(stdout);
}

/// Completed by the signal thread on SIGINT / SIGTERM (a weft::future may
/// be completed from any thread).
weft::future<void>* stop_future = nullptr;

/// SIGINT and SIGTERM are blocked in every thread (the workers inherit the
/// mask from main) and taken here with sigwait. The thread completes its own
/// handle to the future: the main task may end, and drop its handle, as
/// soon as set_result() wakes it.
void start_signal_thread(sigset_t set, weft::future<void> stop) {
    std::thread([set, stop]() mutable {
        int sig = 0;
        sigwait(&set, &sig);
        stop.set_result();
    }).detach();
}

// --- streams --------------------------------------------------------------

weft::coro<void> echo_stream(weft::stream_reader reader, weft::stream_writer writer) {
    try {
        for (;;) {
            std::string data = co_await reader.read(4096);
            if (data.empty()) break;
            writer.write(data);
            co_await writer.drain();
        }
    } catch (const std::system_error&) {
        // A reset peer: the connection is done.
    }
}

weft::coro<void> serve_streams(options o) {
    weft::server_options so;
    so.reuse_port = o.reuse_port;
    so.backlog = o.backlog;
    weft::connection_handler handler = echo_stream;
    weft::server srv = co_await weft::start_server(handler, "127.0.0.1", static_cast<std::uint16_t>(o.port), so);
    announce(srv.sockets().at(0).port());
    co_await *stop_future;
    srv.close();
}

// --- core only (--low-level) ----------------------------------------------

const std::string conn_where = "echo";

/// --skip-after-short-read (set once in main, before the runtime starts).
bool skip_after_short_read = false;

/// recv() on src's socket with io_source's sequence protocol. With
/// skip_after_short_read, a recv that returned less than it asked for (the
/// socket was emptied) is remembered with the sequence read before it;
/// while no readiness edge came since, the next call waits for one instead
/// of trying a recv that would only say EAGAIN.
weft::coro<std::size_t> receive(weft::detail::io_source& src, std::span<std::byte> buf,
                                bool skip_after_short_read, std::optional<std::uint32_t>& drained_at) {
    using weft::detail::io_dir;
    if (skip_after_short_read && drained_at && src.seq(io_dir::read) == *drained_at)
        co_await src.ready(io_dir::read, *drained_at);
    for (;;) {
        if (src.closed()) weft::detail::throw_io_error(EBADF, "recv from", conn_where);
        const std::uint32_t seen = src.seq(io_dir::read);
        const ssize_t n = ::recv(src.fd(), buf.data(), buf.size(), 0);
        if (n >= 0) {
            drained_at.reset();
            if (static_cast<std::size_t>(n) < buf.size()) drained_at = seen;
            co_return static_cast<std::size_t>(n);
        }
        const int e = errno;
        if (e == EINTR) continue;
        if (!weft::detail::would_block(e)) weft::detail::throw_io_error(e, "recv from", conn_where);
        co_await src.ready(io_dir::read, seen);
    }
}

weft::coro<void> echo_fd(int fd, bool skip_after_short_read) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    weft::detail::source_owner src = weft::detail::register_fd(fd, "echo connection");
    std::array<std::byte, 4096> buf;
    std::optional<std::uint32_t> drained_at;
    try {
        for (;;) {
            std::size_t n;
            if (skip_after_short_read) n = co_await receive(*src.get(), buf, true, drained_at);
            else n = co_await weft::detail::recv_some(src.ref(), buf, conn_where);
            if (n == 0) break;
            co_await weft::detail::send_all(src.ref(), std::span<const std::byte>(buf.data(), n), conn_where);
        }
    } catch (const std::system_error&) {
        // A reset peer: the connection is done.
    }
}

/// Starts echo_fd(fd) as a task that stays on `loop` (its socket is then
/// polled by that loop's reactor). Any thread.
void spawn_on(weft::event_loop& loop, int fd) {
    weft::task_options pinned;
    pinned.stealable = false;
    const bool skip = skip_after_short_read;
    if (loop.on_loop_thread()) {
        weft::create_task(echo_fd(fd, skip), pinned);
        return;
    }
    loop.call_soon_threadsafe([fd, pinned, skip] { weft::create_task(echo_fd(fd, skip), pinned); });
}

int open_listener(int port, bool reuse_port, int backlog) {
    const int fd = weft::detail::open_socket(AF_INET, SOCK_STREAM, 0, "socket");
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        weft::detail::throw_io_error(errno, "bind", "127.0.0.1:" + std::to_string(port));
    if (::listen(fd, backlog) != 0) weft::detail::throw_io_error(errno, "listen", "127.0.0.1");
    return fd;
}

int bound_port(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

/// Accepts on fd (registered with the reactor of the loop running this
/// task) and hands the connections to `targets` in turn.
weft::coro<void> accept_loop(int fd, std::vector<weft::event_loop*> targets) {
    weft::detail::source_owner src = weft::detail::register_fd(fd, "listen");
    std::size_t next = 0;
    for (;;) {
        weft::socket_address peer;
        int conn = -1;
        try {
            conn = co_await weft::detail::accept_one(src.ref(), &peer, "127.0.0.1");
        } catch (const std::system_error& e) {
            if (src->closed()) co_return;
            // EMFILE and friends: back off (below), keep listening.
            std::fprintf(stderr, "weft_echo_server: %s\n", e.what());
        }
        if (conn < 0) {
            co_await weft::sleep(std::chrono::milliseconds(10));
            continue;
        }
        spawn_on(*targets[next], conn);
        next = (next + 1) % targets.size();
    }
}

/// Starts accept_loop(fd, targets) as a task that stays on `loop`, so fd is
/// registered with, and polled by, that loop's reactor. Any thread.
void start_acceptor(weft::event_loop& loop, int fd, std::vector<weft::event_loop*> targets) {
    auto start = [fd, targets = std::move(targets)]() mutable {
        weft::task_options pinned;
        pinned.stealable = false;
        weft::create_task(accept_loop(fd, std::move(targets)), pinned);
    };
    if (loop.on_loop_thread()) start();
    else loop.call_soon_threadsafe(std::move(start));
}

weft::coro<void> serve_low_level(options o) {
    std::vector<weft::event_loop*> loops = weft::get_running_loop().runtime_loops();
    if (o.reuse_port) {
        // One listener per worker: each worker accepts on its own and
        // serves what it accepted.
        int port = o.port;
        for (weft::event_loop* loop : loops) {
            const int fd = open_listener(port, true, o.backlog);
            port = bound_port(fd);
            start_acceptor(*loop, fd, {loop});
        }
        announce(port);
    } else {
        const int fd = open_listener(o.port, false, o.backlog);
        announce(bound_port(fd));
        start_acceptor(weft::get_running_loop(), fd, loops);
    }
    co_await *stop_future;
}

weft::coro<void> async_main(options o) {
    weft::future<void> stop = weft::get_running_loop().create_future<void>();
    stop_future = &stop;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    start_signal_thread(set, stop);
    const weft::io_backend actual = weft::detail::loop_io_backend(weft::get_running_loop());
    std::fprintf(stderr, "weft_echo_server: %s, %u workers, backend %s%s%s\n",
                 o.low_level ? "core (low level)" : "streams", o.workers,
                 actual == weft::io_backend::io_uring ? "io_uring" : "epoll",
                 o.reuse_port ? ", reuse_port" : "", o.skip_after_short_read ? ", skip after short read" : "");
    if (o.low_level) co_await serve_low_level(o);
    else co_await serve_streams(o);
}

} // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    raise_fd_limit();
    skip_after_short_read = o.skip_after_short_read;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);

    weft::runtime_options ro;
    ro.workers = o.workers;
    ro.io_backend = o.backend;
    try {
        weft::run(async_main(o), ro);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "weft_echo_server: %s\n", e.what());
        return 1;
    }
    return 0;
}
