// weft::datagram_socket and create_datagram_endpoint over 127.0.0.1: echo
// between two sockets, many datagrams both ways at once from several
// tasks, connected send/recv, a cancelled recvfrom that loses nothing,
// ECONNREFUSED from a closed port, EMSGSIZE, truncation, close() waking a
// receiver, and the answers to bad input.
#include "support/io_test.hpp"

#include <weft/io/datagram.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using weft::datagram_socket;

class datagram_test : public weft_test::io_test {};

/// A port on 127.0.0.1 that nobody listens on now (bound, then closed:
/// with plain calls, so the descriptor is closed at once).
std::uint16_t closed_port() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::system_error(errno, std::system_category(), "closed_port");
    ::close(fd);
    return ntohs(a.sin_port);
}

TEST_P(datagram_test, EchoBetweenTwoSockets) {
    auto body = []() -> weft::coro<std::vector<std::string>> {
        datagram_socket server = co_await datagram_socket::bind("127.0.0.1", 0);
        datagram_socket client = co_await weft::create_datagram_endpoint("127.0.0.1", 0);
        const weft::socket_address to = server.sockname();
        EXPECT_EQ(to.host(), "127.0.0.1");
        EXPECT_NE(to.port(), 0);
        EXPECT_TRUE(server.peername().empty());
        co_await client.sendto("ping", to);
        weft::datagram got = co_await server.recvfrom();
        EXPECT_EQ(got.from, client.sockname());
        co_await server.sendto("pong:" + got.data, got.from);
        weft::datagram back = co_await client.recvfrom();
        EXPECT_EQ(back.from, to);
        co_return std::vector<std::string>{got.data, back.data};
    };
    EXPECT_EQ(run(body()), (std::vector<std::string>{"ping", "pong:ping"}));
}

TEST_P(datagram_test, ConnectedSendAndRecvTalkToThePeer) {
    auto body = []() -> weft::coro<std::string> {
        datagram_socket server = co_await datagram_socket::bind("127.0.0.1", 0);
        const std::uint16_t port = server.sockname().port();
        datagram_socket client = co_await datagram_socket::connect("127.0.0.1", port);
        EXPECT_EQ(client.peername(), server.sockname());
        EXPECT_EQ(client.sockname().host(), "127.0.0.1");
        EXPECT_NE(client.sockname().port(), 0);
        co_await client.send("hello");
        weft::datagram got = co_await server.recvfrom();
        EXPECT_EQ(got.from, client.sockname());
        // A datagram from anyone else is filtered out by the kernel.
        datagram_socket stranger = co_await datagram_socket::bind("127.0.0.1", 0);
        co_await stranger.sendto("noise", client.sockname());
        co_await server.sendto(got.data + " back", got.from);
        co_return co_await client.recv();
    };
    EXPECT_EQ(run(body()), "hello back");
}

TEST_P(datagram_test, AnEndpointBothBoundAndConnected) {
    auto body = []() -> weft::coro<std::string> {
        datagram_socket server = co_await datagram_socket::bind("127.0.0.1", 0);
        const std::uint16_t port = server.sockname().port();
        weft::datagram_options v4;
        v4.family = AF_INET;
        datagram_socket c = co_await weft::create_datagram_endpoint("127.0.0.1", 0, "localhost", port, v4);
        EXPECT_EQ(c.peername(), server.sockname());
        co_await c.send("x");
        weft::datagram got = co_await server.recvfrom();
        EXPECT_EQ(got.from, c.sockname());
        co_return got.data;
    };
    EXPECT_EQ(run(body()), "x");
}

TEST_P(datagram_test, AnUnboundSocketIsBoundByItsFirstSend) {
    auto body = []() -> weft::coro<std::string> {
        datagram_socket server = co_await datagram_socket::bind("127.0.0.1", 0);
        weft::datagram_options v4;
        v4.family = AF_INET;
        datagram_socket s = co_await weft::create_datagram_endpoint("", 0, "", 0, v4);
        EXPECT_EQ(s.sockname().port(), 0);
        co_await s.sendto("first", server.sockname());
        EXPECT_NE(s.sockname().port(), 0);
        weft::datagram got = co_await server.recvfrom();
        EXPECT_EQ(got.from.port(), s.sockname().port());
        co_return got.data;
    };
    EXPECT_EQ(run(body()), "first");
}

TEST_P(datagram_test, Ipv6Loopback) {
    auto body = []() -> weft::coro<std::string> {
        datagram_socket a = co_await datagram_socket::bind("::1", 0);
        datagram_socket b = co_await datagram_socket::connect("::1", a.sockname().port());
        EXPECT_EQ(a.sockname().family(), AF_INET6);
        co_await b.send("six");
        weft::datagram got = co_await a.recvfrom();
        EXPECT_EQ(got.from.host(), "::1");
        co_return got.data;
    };
    EXPECT_EQ(run(body()), "six");
}

/// Sends `count` datagrams "<tag>:<i>" from s to `to`.
weft::coro<void> send_burst(datagram_socket* s, weft::socket_address to, std::string tag, int count) {
    for (int i = 0; i < count; ++i) co_await s->sendto(tag + ":" + std::to_string(i), to);
}

/// Receives `count` datagrams on s, all from `from`.
weft::coro<std::vector<std::string>> receive_burst(datagram_socket* s, weft::socket_address from, int count) {
    std::vector<std::string> got;
    for (int i = 0; i < count; ++i) {
        weft::datagram d = co_await s->recvfrom();
        EXPECT_EQ(d.from, from);
        got.push_back(std::move(d.data));
    }
    co_return got;
}

TEST_P(datagram_test, ManyDatagramsBothWaysAtOnce) {
    // Rounds of bursts small enough for the receive buffers, so nothing is
    // dropped: each round both sockets send and receive at the same time,
    // from four tasks that may run on both workers.
    auto body = []() -> weft::coro<int> {
        datagram_socket a = co_await datagram_socket::bind("127.0.0.1", 0);
        datagram_socket b = co_await datagram_socket::bind("127.0.0.1", 0);
        const weft::socket_address aa = a.sockname(), ba = b.sockname();
        constexpr int rounds = 12, burst = 48;
        int received = 0;
        for (int r = 0; r < rounds; ++r) {
            auto ra = weft::create_task(receive_burst(&a, ba, burst));
            auto rb = weft::create_task(receive_burst(&b, aa, burst));
            auto sa = weft::create_task(send_burst(&a, ba, "a" + std::to_string(r), burst));
            auto sb = weft::create_task(send_burst(&b, aa, "b" + std::to_string(r), burst));
            co_await sa;
            co_await sb;
            auto at_a = weft::wait_for(std::move(ra), 10s);
            const std::vector<std::string> got_a = co_await at_a;
            auto at_b = weft::wait_for(std::move(rb), 10s);
            const std::vector<std::string> got_b = co_await at_b;
            std::set<std::string> want_a, want_b;
            for (int i = 0; i < burst; ++i) {
                want_a.insert("b" + std::to_string(r) + ":" + std::to_string(i));
                want_b.insert("a" + std::to_string(r) + ":" + std::to_string(i));
            }
            EXPECT_EQ(std::set<std::string>(got_a.begin(), got_a.end()), want_a);
            EXPECT_EQ(std::set<std::string>(got_b.begin(), got_b.end()), want_b);
            received += static_cast<int>(got_a.size() + got_b.size());
        }
        co_return received;
    };
    EXPECT_EQ(run(body()), 12 * 48 * 2);
}

/// Echoes every datagram back to its sender until cancelled; counts them.
weft::coro<void> echo_forever(datagram_socket* s, std::atomic<int>* echoed) {
    for (;;) {
        weft::datagram d = co_await s->recvfrom();
        co_await s->sendto(std::move(d.data), d.from);
        echoed->fetch_add(1, std::memory_order_relaxed);
    }
}

/// One client: `count` request/answer exchanges with the echo server.
weft::coro<int> echo_client(weft::socket_address server, int id, int count) {
    datagram_socket c = co_await datagram_socket::connect(server.host(), server.port());
    int ok = 0;
    for (int i = 0; i < count; ++i) {
        const std::string msg = "client" + std::to_string(id) + "#" + std::to_string(i);
        co_await c.send(msg);
        auto answer = weft::wait_for(c.recv(), 10s);
        const std::string back = co_await answer;
        if (back == msg) ++ok;
    }
    co_return ok;
}

TEST_P(datagram_test, AnEchoServerWithSeveralReceiversServesManyClients) {
    auto body = []() -> weft::coro<std::pair<int, int>> {
        datagram_socket server = co_await datagram_socket::bind("127.0.0.1", 0);
        std::atomic<int> echoed{0};
        std::vector<weft::task<void>> servers;
        for (int i = 0; i < 3; ++i) servers.push_back(weft::create_task(echo_forever(&server, &echoed)));
        std::vector<weft::task<int>> clients;
        for (int i = 0; i < 8; ++i) clients.push_back(weft::create_task(echo_client(server.sockname(), i, 40)));
        auto all = weft::gather(std::move(clients));
        const std::vector<int> oks = co_await all;
        for (auto& s : servers) s.cancel();
        int cancelled = 0;
        for (auto& s : servers) {
            try {
                co_await s;
            } catch (const weft::cancelled_error&) {
                ++cancelled;
            }
        }
        EXPECT_EQ(cancelled, 3);
        int total = 0;
        for (int k : oks) total += k;
        co_return std::pair<int, int>(total, echoed.load());
    };
    const auto [ok, echoed] = run(body());
    EXPECT_EQ(ok, 8 * 40);
    EXPECT_EQ(echoed, 8 * 40);
}

TEST_P(datagram_test, ACancelledRecvfromLosesNothing) {
    auto body = []() -> weft::coro<std::string> {
        datagram_socket s = co_await datagram_socket::bind("127.0.0.1", 0);
        auto receiver = [](datagram_socket* s) -> weft::coro<weft::datagram> { co_return co_await s->recvfrom(); };
        auto t = weft::create_task(receiver(&s));
        co_await weft::sleep(5ms);
        EXPECT_FALSE(t.done());
        t.cancel();
        bool cancelled = false;
        try {
            co_await t;
        } catch (const weft::cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        // The socket still works, and the next datagram goes to the next call.
        datagram_socket c = co_await datagram_socket::bind("127.0.0.1", 0);
        co_await c.sendto("after the cancel", s.sockname());
        auto next = weft::wait_for(s.recvfrom(), 10s);
        weft::datagram d = co_await next;
        co_return d.data;
    };
    EXPECT_EQ(run(body()), "after the cancel");
}

TEST_P(datagram_test, AConnectedSocketToAClosedPortIsRefused) {
    auto body = [](std::uint16_t port) -> weft::coro<std::string> {
        datagram_socket c = co_await datagram_socket::connect("127.0.0.1", port);
        co_await c.send("anyone?");  // the ICMP answer comes later
        try {
            auto r = weft::wait_for(c.recv(), 10s);
            co_await r;
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code().value(), ECONNREFUSED);
            // The error was consumed: the socket is still usable.
            co_return e.what();
        }
        co_return "received";
    };
    const std::uint16_t port = closed_port();
    const std::string what = run(body(port));
    EXPECT_NE(what.find("recv from 127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
}

TEST_P(datagram_test, AnOversizeDatagramIsEmsgsize) {
    auto body = []() -> weft::coro<std::string> {
        datagram_socket a = co_await datagram_socket::bind("127.0.0.1", 0);
        datagram_socket b = co_await datagram_socket::bind("127.0.0.1", 0);
        try {
            co_await a.sendto(std::string(70000, 'x'), b.sockname());
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code().value(), EMSGSIZE);
            co_return e.what();
        }
        co_return "sent";
    };
    const std::string what = run(body());
    EXPECT_EQ(what.rfind("sendto 127.0.0.1:", 0), 0u) << what;
}

TEST_P(datagram_test, SizesTruncationAndEmptyDatagrams) {
    auto body = []() -> weft::coro<std::vector<std::string>> {
        datagram_socket a = co_await datagram_socket::bind("127.0.0.1", 0);
        datagram_socket b = co_await datagram_socket::bind("127.0.0.1", 0);
        const std::string big(60000, 'b');
        co_await a.sendto("0123456789", b.sockname());
        co_await a.sendto("", b.sockname());
        co_await a.sendto(big, b.sockname());
        co_await a.sendto(big, b.sockname());
        std::vector<std::string> out;
        out.push_back((co_await b.recvfrom(4)).data);  // the rest of it is dropped
        out.push_back(co_await b.recv());
        out.push_back(co_await b.recv());
        out.push_back(co_await b.recv(200000));  // a buffer larger than any datagram
        co_return out;
    };
    const auto r = run(body());
    ASSERT_EQ(r.size(), 4u);
    EXPECT_EQ(r[0], "0123");
    EXPECT_EQ(r[1], "");
    EXPECT_EQ(r[2], std::string(60000, 'b'));
    EXPECT_EQ(r[3], std::string(60000, 'b'));
}

TEST_P(datagram_test, CloseWakesAReceiverAndLaterCallsAreEbadf) {
    auto body = []() -> weft::coro<std::vector<std::string>> {
        datagram_socket s = co_await datagram_socket::bind("127.0.0.1", 0);
        const weft::socket_address where = s.sockname();
        auto receiver = [](datagram_socket* s) -> weft::coro<std::string> {
            try {
                co_await s->recvfrom();
            } catch (const std::system_error& e) {
                EXPECT_EQ(e.code().value(), EBADF);
                co_return e.what();
            }
            co_return "received";
        };
        auto t = weft::create_task(receiver(&s));
        co_await weft::sleep(5ms);
        s.close();
        s.close();  // idempotent
        EXPECT_TRUE(s.is_closed());
        EXPECT_EQ(s.fileno(), -1);
        EXPECT_EQ(s.sockname(), where);
        std::vector<std::string> out;
        auto bounded = weft::wait_for(std::move(t), 10s);
        out.push_back(co_await bounded);
        try {
            co_await s.sendto("x", where);
            out.push_back("sent");
        } catch (const std::system_error& e) {
            out.push_back(e.what());
        }
        datagram_socket empty;
        try {
            co_await empty.recv();
            out.push_back("received");
        } catch (const std::system_error& e) {
            out.push_back(e.what());
        }
        co_return out;
    };
    const auto r = run(body());
    ASSERT_EQ(r.size(), 3u);
    EXPECT_NE(r[0].find("recvfrom on a closed socket"), std::string::npos) << r[0];
    EXPECT_NE(r[1].find("sendto on a closed socket"), std::string::npos) << r[1];
    EXPECT_NE(r[2].find("recv on a closed socket"), std::string::npos) << r[2];
}

TEST_P(datagram_test, ReusePortLetsTwoSocketsShareAPort) {
    auto body = []() -> weft::coro<bool> {
        weft::datagram_options o;
        o.reuse_port = true;
        datagram_socket a = co_await datagram_socket::bind("127.0.0.1", 0, o);
        datagram_socket b = co_await datagram_socket::bind("127.0.0.1", a.sockname().port(), o);
        co_return a.sockname() == b.sockname();
    };
    EXPECT_TRUE(run(body()));
}

TEST_P(datagram_test, BadInputIsRefused) {
    auto body = []() -> weft::coro<std::vector<std::string>> {
        std::vector<std::string> out;
        auto note_value_error = [&out](const weft::value_error& e) { out.push_back(std::string("value_error: ") + e.what()); };
        try {
            co_await datagram_socket::connect("", 9);
        } catch (const weft::value_error& e) {
            note_value_error(e);
        }
        try {
            co_await weft::create_datagram_endpoint("", 0, "", 9);
        } catch (const weft::value_error& e) {
            note_value_error(e);
        }
        try {
            co_await weft::create_datagram_endpoint("", 0);
        } catch (const weft::value_error& e) {
            note_value_error(e);
        }
        datagram_socket s = co_await datagram_socket::bind("127.0.0.1", 0);
        try {
            co_await s.sendto("x", weft::socket_address());
        } catch (const weft::value_error& e) {
            note_value_error(e);
        }
        try {
            co_await s.send("x");  // not connected
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code().value(), EDESTADDRREQ);
            out.push_back(e.what());
        }
        try {
            co_await datagram_socket::bind("no-such-host.invalid", 0);
        } catch (const std::system_error& e) {
            out.push_back(e.what());
        }
        try {
            // The port is taken (no reuse_port).
            co_await datagram_socket::bind("127.0.0.1", s.sockname().port());
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code().value(), EADDRINUSE);
            out.push_back(e.what());
        }
        co_return out;
    };
    const auto r = run(body());
    ASSERT_EQ(r.size(), 7u);
    EXPECT_NE(r[0].find("value_error: datagram_socket::connect(): empty host"), std::string::npos) << r[0];
    EXPECT_NE(r[1].find("without a remote host"), std::string::npos) << r[1];
    EXPECT_NE(r[2].find("neither a local nor a remote address"), std::string::npos) << r[2];
    EXPECT_NE(r[3].find("empty destination address"), std::string::npos) << r[3];
    EXPECT_NE(r[4].find("send to (not connected)"), std::string::npos) << r[4];
    EXPECT_NE(r[5].find("no-such-host.invalid"), std::string::npos) << r[5];
    EXPECT_NE(r[6].find("bind to 127.0.0.1:"), std::string::npos) << r[6];
}

TEST_P(datagram_test, AMovedSocketKeepsWorking) {
    auto body = []() -> weft::coro<std::string> {
        datagram_socket a = co_await datagram_socket::bind("127.0.0.1", 0);
        datagram_socket b;
        b = std::move(a);
        EXPECT_TRUE(a.is_closed());
        datagram_socket c = co_await datagram_socket::connect("127.0.0.1", b.sockname().port());
        co_await c.send("moved");
        co_return co_await b.recv();
    };
    EXPECT_EQ(run(body()), "moved");
}

INSTANTIATE_TEST_SUITE_P(Datagrams, datagram_test, weft_test::io_configs(), weft_test::io_config_name);

} // namespace
