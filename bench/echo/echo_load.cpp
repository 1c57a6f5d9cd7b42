// echo_load: a closed-loop load generator for TCP echo servers.
//
// Each of --connections connections sends a --size byte request, waits for
// the whole echo, checks every byte, and sends the next one, for --seconds
// after --warmup seconds. A few threads (--threads, default 1) each drive
// their share of the connections through one epoll instance with
// non-blocking sockets, so the generator stays cheap next to the server on
// a small machine. Every request carries its connection number and sequence
// number, so a response that is late, reordered or from another connection
// fails the check.
//
// Reports requests per second over the measured window and the latency of
// the requests completed in it (from the send of the request to the last
// byte of its echo): p50, p99 and max, from per-thread log-linear histograms
// (within ~3 %) merged at the end; max is exact. Also the generator's own
// CPU time per request (warm-up included, with the count it is divided by,
// total_requests), so a script can divide a server's CPU time the same way.
//
// --idle N opens N connections, prints "idle: N connections open" and holds
// them without sending until SIGINT/SIGTERM (or --seconds if given), for
// measuring what an idle connection costs the server.
//
// Usage:
//   echo_load --port P [--host 127.0.0.1] [--connections 50] [--seconds 10]
//             [--warmup 1] [--size 64] [--threads 1] [--json]
//   echo_load --port P --idle N [--seconds S]
//
// Exit status: 0 on success, 1 on a wrong byte, a closed connection or a
// socket error, 2 on a usage error.
#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace {

struct options {
    std::string host = "127.0.0.1";
    int port = -1;
    int connections = 50;
    double seconds = 10;
    bool seconds_given = false;
    double warmup = 1;
    std::size_t size = 64;
    int threads = 1;
    bool json = false;
    long idle = 0;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "echo_load: %s\n"
                 "usage: echo_load --port P [--host H] [--connections N] [--seconds S] [--warmup S]\n"
                 "                 [--size BYTES] [--threads T] [--json]\n"
                 "       echo_load --port P --idle N [--seconds S]\n",
                 why);
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) usage(("missing value after " + std::string(a)).c_str());
            return argv[++i];
        };
        if (a == "--host") o.host = value();
        else if (a == "--port") o.port = std::atoi(value());
        else if (a == "--connections") o.connections = std::atoi(value());
        else if (a == "--seconds") { o.seconds = std::atof(value()); o.seconds_given = true; }
        else if (a == "--warmup") o.warmup = std::atof(value());
        else if (a == "--size") o.size = static_cast<std::size_t>(std::atol(value()));
        else if (a == "--threads") o.threads = std::atoi(value());
        else if (a == "--idle") o.idle = std::atol(value());
        else if (a == "--json") o.json = true;
        else usage(("unknown option " + std::string(a)).c_str());
    }
    if (o.port <= 0 || o.port > 65535) usage("--port 1..65535 is required");
    if (o.idle < 0) usage("--idle must be >= 0");
    if (o.idle == 0) {
        if (o.connections <= 0) usage("--connections must be > 0");
        if (o.seconds <= 0) usage("--seconds must be > 0");
        if (o.warmup < 0) usage("--warmup must be >= 0");
        if (o.size < 16) usage("--size must be >= 16 (the request carries two 8-byte numbers)");
        if (o.threads <= 0 || o.threads > o.connections) usage("--threads must be 1..connections");
    }
    return o;
}

std::uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

[[noreturn]] void die(const char* what, int err) {
    std::fprintf(stderr, "echo_load: %s: %s\n", what, std::strerror(err));
    std::exit(1);
}

void raise_fd_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

/// A blocking connect (setup only), then non-blocking with TCP_NODELAY.
int connect_one(const sockaddr_in& to) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket", errno);
    while (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
        if (errno != EINTR) die("connect", errno);
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

// Log-linear latency histogram in nanoseconds: exact below 64 ns, then 32
// buckets per power of two (relative error below 1/32).
class histogram {
public:
    static constexpr int sub_bits = 5;
    static constexpr int linear = 64;
    static constexpr int buckets = linear + (64 - 6) * (1 << sub_bits);

    void record(std::uint64_t v) {
        ++counts_[index(v)];
        ++total_;
        max_ = std::max(max_, v);
    }
    void merge(const histogram& o) {
        for (int i = 0; i < buckets; ++i) counts_[static_cast<std::size_t>(i)] += o.counts_[static_cast<std::size_t>(i)];
        total_ += o.total_;
        max_ = std::max(max_, o.max_);
    }
    std::uint64_t total() const { return total_; }
    std::uint64_t max() const { return max_; }
    /// The value at quantile q (0..1): the midpoint of its bucket.
    double quantile(double q) const {
        if (total_ == 0) return 0;
        const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_ - 1));
        std::uint64_t seen = 0;
        for (int i = 0; i < buckets; ++i) {
            seen += counts_[static_cast<std::size_t>(i)];
            if (seen > rank) return std::min(midpoint(i), static_cast<double>(max_));
        }
        return static_cast<double>(max_);
    }

private:
    static int index(std::uint64_t v) {
        if (v < linear) return static_cast<int>(v);
        const int msb = 63 - __builtin_clzll(v);  // >= 6
        const int sub = static_cast<int>((v >> (msb - sub_bits)) & ((1u << sub_bits) - 1));
        return linear + (msb - 6) * (1 << sub_bits) + sub;
    }
    static double midpoint(int i) {
        if (i < linear) return i;
        const int msb = (i - linear) / (1 << sub_bits) + 6;
        const int sub = (i - linear) % (1 << sub_bits);
        const double width = std::ldexp(1.0, msb - sub_bits);
        return std::ldexp(1.0, msb) + sub * width + width / 2;
    }

    std::array<std::uint64_t, buckets> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0;
};

struct connection {
    int fd = -1;
    std::uint64_t id = 0;
    std::uint64_t seq = 0;
    std::vector<unsigned char> request;
    std::vector<unsigned char> response;
    std::size_t sent = 0;
    std::size_t received = 0;
    std::uint64_t started = 0;
    bool want_write = false;
};

void fill_request(connection& c) {
    // Connection id and sequence number first, then bytes that depend on
    // both, so any misplaced byte shows.
    std::memcpy(c.request.data(), &c.id, 8);
    std::memcpy(c.request.data() + 8, &c.seq, 8);
    for (std::size_t i = 16; i < c.request.size(); ++i)
        c.request[i] = static_cast<unsigned char>(c.id * 131 + c.seq * 7 + i);
}

struct thread_result {
    histogram hist;
    std::uint64_t requests = 0;  // completed in the measured window
    std::uint64_t total = 0;     // completed, warm-up included
    std::string error;
};

struct phase_clock {
    std::uint64_t measure_from = 0;  // completions from here on count
    std::uint64_t measure_to = 0;    // the run ends here
};

class driver {
public:
    driver(std::vector<connection>& conns, const phase_clock& clock, thread_result& out)
        : conns_(conns), clock_(clock), out_(out) {}

    void run() {
        ep_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (ep_ < 0) return fail("epoll_create1", errno);
        for (std::size_t i = 0; i < conns_.size(); ++i) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = i;
            if (::epoll_ctl(ep_, EPOLL_CTL_ADD, conns_[i].fd, &ev) != 0) return fail("epoll_ctl", errno);
        }
        for (auto& c : conns_)
            if (!start_request(c)) return;
        std::vector<epoll_event> events(conns_.size());
        for (;;) {
            const int n = ::epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 5);
            if (n < 0) {
                if (errno == EINTR) continue;
                return fail("epoll_wait", errno);
            }
            if (now_ns() >= clock_.measure_to) break;
            for (int i = 0; i < n; ++i) {
                // One clock read per event: the latency of a request is not
                // stretched by the others handled in the same batch.
                now_ = now_ns();
                connection& c = conns_[events[static_cast<std::size_t>(i)].data.u64];
                const std::uint32_t what = events[static_cast<std::size_t>(i)].events;
                if ((what & EPOLLOUT) && !send_more(c)) return;
                if ((what & (EPOLLIN | EPOLLERR | EPOLLHUP)) && !receive(c)) return;
            }
        }
        ::close(ep_);
    }

private:
    void fail(const char* what, int err) { out_.error = std::string(what) + ": " + std::strerror(err); }
    void fail_msg(std::string msg) { out_.error = std::move(msg); }

    bool start_request(connection& c) {
        fill_request(c);
        c.sent = 0;
        c.received = 0;
        c.started = now_ns();
        return send_more(c);
    }

    bool send_more(connection& c) {
        while (c.sent < c.request.size()) {
            const ssize_t n = ::send(c.fd, c.request.data() + c.sent, c.request.size() - c.sent, MSG_NOSIGNAL);
            if (n > 0) {
                c.sent += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return watch_write(c, true);
            fail("send", errno);
            return false;
        }
        return watch_write(c, false);
    }

    bool watch_write(connection& c, bool on) {
        if (c.want_write == on) return true;
        epoll_event ev{};
        ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
        ev.data.u64 = static_cast<std::uint64_t>(&c - conns_.data());
        if (::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev) != 0) {
            fail("epoll_ctl", errno);
            return false;
        }
        c.want_write = on;
        return true;
    }

    bool receive(connection& c) {
        for (;;) {
            const std::size_t room = c.response.size() - c.received;
            if (room == 0) {
                // The echo of the whole request is in: more bytes before the
                // next request would be an error, found on the next read.
                break;
            }
            const ssize_t n = ::recv(c.fd, c.response.data() + c.received, room, 0);
            if (n > 0) {
                c.received += static_cast<std::size_t>(n);
                continue;
            }
            if (n == 0) {
                fail_msg("connection " + std::to_string(c.id) + " closed by the server");
                return false;
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
            fail("recv", errno);
            return false;
        }
        if (c.received > c.sent) {
            fail_msg("connection " + std::to_string(c.id) + ": echo arrived before the request was sent");
            return false;
        }
        if (std::memcmp(c.request.data(), c.response.data(), c.request.size()) != 0) {
            fail_msg("connection " + std::to_string(c.id) + ": wrong bytes in the echo of request " +
                     std::to_string(c.seq));
            return false;
        }
        ++out_.total;
        if (now_ >= clock_.measure_from) {
            out_.hist.record(now_ - c.started);
            ++out_.requests;
        }
        ++c.seq;
        // Level-triggered: bytes beyond this echo (none expected) would
        // show as readable again and fail the check above.
        return start_request(c);
    }

    std::vector<connection>& conns_;
    const phase_clock& clock_;
    thread_result& out_;
    int ep_ = -1;
    std::uint64_t now_ = 0;
};

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

int run_idle(const options& o, const sockaddr_in& to) {
    std::vector<int> fds;
    fds.reserve(static_cast<std::size_t>(o.idle));
    for (long i = 0; i < o.idle; ++i) fds.push_back(connect_one(to));
    std::printf("idle: %ld connections open\n", o.idle);
    std::fflush(stdout);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.seconds);
    while (!stop_requested && (!o.seconds_given || std::chrono::steady_clock::now() < until))
        ::usleep(50'000);
    for (int fd : fds) ::close(fd);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    raise_fd_limit();

    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(o.port));
    if (::inet_pton(AF_INET, o.host.c_str(), &to.sin_addr) != 1) usage("--host must be an IPv4 address");

    if (o.idle > 0) return run_idle(o, to);

    std::vector<std::vector<connection>> shares(static_cast<std::size_t>(o.threads));
    for (int i = 0; i < o.connections; ++i) {
        connection c;
        c.fd = connect_one(to);
        c.id = static_cast<std::uint64_t>(i);
        c.request.resize(o.size);
        c.response.resize(o.size);
        shares[static_cast<std::size_t>(i % o.threads)].push_back(std::move(c));
    }

    phase_clock clock;
    const std::uint64_t start = now_ns();
    clock.measure_from = start + static_cast<std::uint64_t>(o.warmup * 1e9);
    clock.measure_to = clock.measure_from + static_cast<std::uint64_t>(o.seconds * 1e9);

    std::vector<thread_result> results(static_cast<std::size_t>(o.threads));
    std::vector<std::thread> threads;
    for (int t = 0; t < o.threads; ++t) {
        const auto ti = static_cast<std::size_t>(t);
        threads.emplace_back([&, ti] { driver(shares[ti], clock, results[ti]).run(); });
    }
    for (auto& t : threads) t.join();
    const std::uint64_t end = now_ns();

    histogram all;
    std::uint64_t requests = 0, total = 0;
    std::string error;
    for (const auto& r : results) {
        all.merge(r.hist);
        requests += r.requests;
        total += r.total;
        if (error.empty() && !r.error.empty()) error = r.error;
    }
    for (auto& share : shares)
        for (auto& c : share) ::close(c.fd);
    if (!error.empty()) {
        std::fprintf(stderr, "echo_load: %s\n", error.c_str());
        return 1;
    }

    const double window = static_cast<double>(std::min(end, clock.measure_to) - clock.measure_from) / 1e9;
    const double rps = static_cast<double>(requests) / window;
    const double p50 = all.quantile(0.50) / 1e3;
    const double p99 = all.quantile(0.99) / 1e3;
    const double mx = static_cast<double>(all.max()) / 1e3;
    // What the generator itself cost, per request (warm-up included).
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    const double cpu_us_per_req = total ? cpu_s * 1e6 / static_cast<double>(total) : 0;
    if (o.json) {
        std::printf("{\"connections\":%d,\"size\":%zu,\"seconds\":%.3f,\"requests\":%" PRIu64
                    ",\"req_per_s\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f"
                    ",\"total_requests\":%" PRIu64 ",\"client_cpu_us_per_req\":%.2f}\n",
                    o.connections, o.size, window, requests, rps, p50, p99, mx, total, cpu_us_per_req);
    } else {
        std::printf("%d connections, %zu-byte requests, %.2f s: %" PRIu64 " requests, %.0f req/s\n",
                    o.connections, o.size, window, requests, rps);
        std::printf("latency: p50 %.1f us, p99 %.1f us, max %.1f us\n", p50, p99, mx);
        std::printf("load generator CPU: %.2f us per request (%" PRIu64 " requests with the warm-up)\n",
                    cpu_us_per_req, total);
    }
    return 0;
}
