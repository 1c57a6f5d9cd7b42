// The reactor under the loops: parking in epoll / io_uring, wake-ups from
// other threads, timers while parked, add_reader / add_writer, and the
// loop.sock_* calls, on both backends and on one and two workers.
#include "support/io_test.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using weft_test::io_test;

/// A connected pair of non-blocking Unix stream sockets, closed at the end.
struct socket_pair {
    int fd[2] = {-1, -1};
    socket_pair() {
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) != 0)
            throw std::system_error(errno, std::system_category(), "socketpair");
    }
    ~socket_pair() {
        for (int f : fd)
            if (f >= 0) ::close(f);
    }
};

std::span<const std::byte> bytes(const std::string& s) {
    return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

/// A listening TCP socket on 127.0.0.1 with a kernel-chosen port.
int listen_loopback(std::uint16_t& port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0)
        throw std::system_error(errno, std::system_category(), "bind/listen");
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
}

TEST_P(io_test, TheLoopUsesTheBackendItAskedFor) {
    auto body = []() -> weft::coro<weft::io_backend> {
        co_return weft::detail::loop_io_backend(weft::get_running_loop());
    };
    EXPECT_EQ(run(body()), GetParam().backend);
}

TEST_P(io_test, ATimerFiresWhileTheLoopParksInTheReactor) {
    auto body = []() -> weft::coro<double> {
        (void)weft::detail::loop_io_backend(weft::get_running_loop());  // install the reactor
        const auto start = weft::clock::now();
        co_await weft::sleep(30ms);
        co_return weft_test::ms_since(start);
    };
    const double ms = run(body());
    EXPECT_GE(ms, 30.0);
    EXPECT_LT(ms, 5000.0);
}

TEST_P(io_test, AnotherThreadWakesALoopParkedInTheReactor) {
    weft::runtime rt(options());
    auto install = []() -> weft::coro<void> {
        (void)weft::detail::loop_io_backend(weft::get_running_loop());
        co_return;
    };
    rt.run(install());
    // Every loop is idle now; a submission must wake one up.
    for (int i = 0; i < 50; ++i) {
        auto add = [](int x) -> weft::coro<int> { co_return x + 1; };
        EXPECT_EQ(rt.submit(add(i)).result(std::chrono::seconds(20)), i + 1);
    }
}

TEST_P(io_test, ATaskWokenByIoWhileEveryWorkerParksRuns) {
    // The reader parks in the reactor with no timer pending and no other
    // work anywhere; only the readiness of its socket can wake it.
    socket_pair sp;
    weft::runtime rt(options());
    auto reader = [](int fd) -> weft::coro<std::string> {
        std::byte buf[16];
        const std::size_t n = co_await weft::get_running_loop().sock_recv(fd, buf);
        co_return std::string(reinterpret_cast<const char*>(buf), n);
    };
    auto parks = [&rt] {
        std::uint64_t n = 0;
        for (const auto& m : rt.metrics()) n += m.parks;
        return n;
    };
    auto result = rt.submit(reader(sp.fd[1]));
    // Wait (bounded) until every worker parked after the reader suspended.
    const auto deadline = weft::clock::now() + std::chrono::seconds(20);
    const std::uint64_t before = parks();
    while (parks() < before + GetParam().workers && weft::clock::now() < deadline)
        std::this_thread::yield();
    ASSERT_EQ(::write(sp.fd[0], "wake", 4), 4);
    EXPECT_EQ(result.result(std::chrono::seconds(20)), "wake");
}

TEST_P(io_test, SockRecvWaitsForDataAndSockSendallSendsIt) {
    socket_pair sp;
    auto body = [](int a, int b) -> weft::coro<std::string> {
        weft::event_loop& loop = weft::get_running_loop();
        auto reader = [](int fd) -> weft::coro<std::string> {
            std::string got;
            std::byte buf[4096];
            while (got.size() < 200000) {
                const std::size_t n = co_await weft::get_running_loop().sock_recv(fd, buf);
                if (n == 0) break;
                got.append(reinterpret_cast<const char*>(buf), n);
            }
            co_return got;
        };
        weft::task<std::string> r = weft::create_task(reader(b));
        const std::string payload(200000, 'x');
        co_await loop.sock_sendall(a, bytes(payload));
        co_return co_await r;
    };
    const std::string got = run(body(sp.fd[0], sp.fd[1]));
    EXPECT_EQ(got.size(), 200000u);
    EXPECT_EQ(got, std::string(200000, 'x'));
}

TEST_P(io_test, SockAcceptAndSockConnectOverLoopback) {
    std::uint16_t port = 0;
    const int lfd = listen_loopback(port);
    auto body = [](int lfd, std::uint16_t port) -> weft::coro<std::string> {
        weft::event_loop& loop = weft::get_running_loop();
        auto server = [](int lfd) -> weft::coro<std::string> {
            auto [conn, peer] = co_await weft::get_running_loop().sock_accept(lfd);
            std::byte buf[16];
            const std::size_t n = co_await weft::get_running_loop().sock_recv(conn, buf);
            ::close(conn);
            co_return std::string(reinterpret_cast<const char*>(buf), n) + " from " + peer.host();
        };
        weft::task<std::string> s = weft::create_task(server(lfd));
        const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        co_await loop.sock_connect(c, weft::socket_address::from_ip("127.0.0.1", port));
        const std::string hello = "hello";
        co_await loop.sock_sendall(c, bytes(hello));
        std::string r = co_await s;
        ::close(c);
        co_return r;
    };
    EXPECT_EQ(run(body(lfd, port)), "hello from 127.0.0.1");
    ::close(lfd);
}

TEST_P(io_test, ConnectionRefusedNamesTheOperationAndTheAddress) {
    std::uint16_t port = 0;
    ::close(listen_loopback(port));  // a port nobody listens on now
    auto body = [](std::uint16_t port) -> weft::coro<std::string> {
        const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        try {
            co_await weft::get_running_loop().sock_connect(
                c, weft::socket_address::from_ip("127.0.0.1", port));
        } catch (const std::system_error& e) {
            ::close(c);
            EXPECT_EQ(e.code().value(), ECONNREFUSED);
            co_return e.what();
        }
        ::close(c);
        co_return "connected";
    };
    const std::string what = run(body(port));
    EXPECT_NE(what.find("connect to 127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
}

TEST_P(io_test, ACancelledSockRecvLeavesTheSocketUsable) {
    socket_pair sp;
    auto body = [](int a, int b) -> weft::coro<std::string> {
        auto reader = [](int fd) -> weft::coro<std::string> {
            std::byte buf[16];
            const std::size_t n = co_await weft::get_running_loop().sock_recv(fd, buf);
            co_return std::string(reinterpret_cast<const char*>(buf), n);
        };
        weft::task<std::string> first = weft::create_task(reader(b));
        co_await weft::sleep(10ms);  // first parks in the reactor
        first.cancel();
        bool cancelled = false;
        try {
            (void)co_await first;
        } catch (const weft::cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        weft::task<std::string> second = weft::create_task(reader(b));
        const std::string ping = "ping";
        co_await weft::get_running_loop().sock_sendall(a, bytes(ping));
        co_return co_await second;
    };
    EXPECT_EQ(run(body(sp.fd[0], sp.fd[1])), "ping");
}

TEST_P(io_test, AddReaderIsLevelTriggeredUntilRemoved) {
    socket_pair sp;
    auto body = [](int a, int b) -> weft::coro<int> {
        weft::event_loop& loop = weft::get_running_loop();
        int calls = 0;
        weft::future<void> third = loop.create_future<void>();
        // The data is never read: a level-triggered reader is called again
        // every iteration while it stays.
        loop.add_reader(b, [&] {
            if (++calls == 3) third.set_result();
        });
        ::write(a, "x", 1);
        co_await third;
        EXPECT_TRUE(loop.remove_reader(b));
        EXPECT_FALSE(loop.remove_reader(b));
        const int seen = calls;
        co_await weft::sleep(20ms);
        EXPECT_EQ(calls, seen) << "a removed reader was called";
        co_return calls;
    };
    EXPECT_EQ(run_pinned(body(sp.fd[0], sp.fd[1])), 3);
}

TEST_P(io_test, AddReaderSeesDataThatArrivedBeforeIt) {
    socket_pair sp;
    ::write(sp.fd[0], "early", 5);
    auto body = [](int b) -> weft::coro<std::string> {
        weft::event_loop& loop = weft::get_running_loop();
        weft::future<std::string> got = loop.create_future<std::string>();
        loop.add_reader(b, [&] {
            char buf[16];
            const ssize_t n = ::read(b, buf, sizeof buf);
            if (n > 0 && !got.done()) got.set_result(std::string(buf, static_cast<std::size_t>(n)));
        });
        std::string s = co_await got;
        loop.remove_reader(b);
        co_return s;
    };
    EXPECT_EQ(run_pinned(body(sp.fd[1])), "early");
}

TEST_P(io_test, AddWriterIsCalledWhileWritable) {
    socket_pair sp;
    auto body = [](int a) -> weft::coro<bool> {
        weft::event_loop& loop = weft::get_running_loop();
        weft::future<void> called = loop.create_future<void>();
        loop.add_writer(a, [&] {
            if (!called.done()) called.set_result();
        });
        co_await called;
        EXPECT_TRUE(loop.remove_writer(a));
        co_return true;
    };
    EXPECT_TRUE(run_pinned(body(sp.fd[0])));
}

TEST_P(io_test, FdCallsRejectBadInput) {
    auto body = []() -> weft::coro<void> {
        weft::event_loop& loop = weft::get_running_loop();
        EXPECT_THROW(loop.add_reader(-1, [] {}), weft::value_error);
        EXPECT_THROW(loop.add_reader(0, nullptr), weft::value_error);
        std::byte buf[4];
        bool threw = false;
        try {
            (void)co_await loop.sock_recv(-3, buf);
        } catch (const weft::value_error&) {
            threw = true;
        }
        EXPECT_TRUE(threw);
        EXPECT_FALSE(loop.remove_reader(12345));
    };
    run(body());
}

INSTANTIATE_TEST_SUITE_P(Io, io_test, weft_test::io_configs(), weft_test::io_config_name);

TEST(IoBackend, AnUnknownWeftIoBackendValueIsAValueError) {
    ::setenv("WEFT_IO_BACKEND", "kqueue", 1);
    auto body = []() -> weft::coro<void> {
        (void)weft::detail::loop_io_backend(weft::get_running_loop());
        co_return;
    };
    try {
        weft_test::run(body());
        ADD_FAILURE() << "no error";
    } catch (const weft::value_error& e) {
        EXPECT_NE(std::string(e.what()).find("kqueue"), std::string::npos);
    }
    ::unsetenv("WEFT_IO_BACKEND");
}

TEST(IoBackend, AutomaticChoosesEpoll) {
    ::unsetenv("WEFT_IO_BACKEND");
    EXPECT_EQ(weft_test::effective_backend(weft::io_backend::automatic), weft::io_backend::epoll);
}

TEST(IoBackend, WeftIoBackendOverridesTheOptions) {
    ::setenv("WEFT_IO_BACKEND", "epoll", 1);
    EXPECT_EQ(weft_test::effective_backend(weft::io_backend::io_uring), weft::io_backend::epoll);
    ::unsetenv("WEFT_IO_BACKEND");
}

} // namespace
