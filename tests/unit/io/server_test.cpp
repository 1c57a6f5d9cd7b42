// start_server / start_unix_server / open_connection: echo round trips in
// both accept modes, many concurrent clients, Unix sockets, close and
// wait_closed with live connections, serve_forever, handler exceptions and
// bad input, on both backends and on one and two workers.
#include "support/io_test.hpp"

#include <atomic>
#include <cerrno>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;

class server_test : public weft_test::io_test {};

/// reuse_port off (one acceptor handing connections out) and on (one
/// listener per worker). An array, not a braced list: the loops below
/// await in their bodies.
constexpr bool accept_modes[] = {false, true};

/// Echoes each line back as "echo: <line>" until end of stream.
weft::coro<void> echo_lines(weft::stream_reader r, weft::stream_writer w) {
    for (;;) {
        std::string line = co_await r.readline();
        if (line.empty()) co_return;
        w.write("echo: " + line);
        co_await w.drain();
    }
}

/// One client: `rounds` lines, each answered; returns how many answers
/// were right.
weft::coro<int> echo_client(std::uint16_t port, int id, int rounds) {
    auto conn = co_await weft::open_connection("127.0.0.1", port);
    weft::stream_reader r = conn.first;
    weft::stream_writer w = conn.second;
    int ok = 0;
    for (int i = 0; i < rounds; ++i) {
        const std::string line = "client " + std::to_string(id) + " message " + std::to_string(i) + "\n";
        w.write(line);
        co_await w.drain();
        std::string reply = co_await r.readline();
        if (reply == "echo: " + line) ++ok;
    }
    w.close();
    co_await w.wait_closed();
    co_return ok;
}

std::string unique_socket_path(const char* what) {
    static std::atomic<int> counter{0};
    return "/tmp/weft-" + std::string(what) + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(counter.fetch_add(1)) + ".sock";
}

bool path_exists(const std::string& p) {
    struct stat sb {};
    return ::lstat(p.c_str(), &sb) == 0;
}

TEST_P(server_test, EchoesInBothAcceptModes) {
    auto body = []() -> weft::coro<void> {
        for (bool reuse_port : accept_modes) {
            weft::server_options o;
            o.reuse_port = reuse_port;
            weft::server srv = co_await weft::start_server(echo_lines, "127.0.0.1", 0, o);
            EXPECT_TRUE(srv.is_serving());
            const std::vector<weft::socket_address> socks = srv.sockets();
            EXPECT_EQ(socks.size(), 1u);
            EXPECT_EQ(socks.at(0).host(), "127.0.0.1");
            EXPECT_NE(socks.at(0).port(), 0);
            const int ok = co_await echo_client(socks.at(0).port(), 0, 5);
            EXPECT_EQ(ok, 5) << "reuse_port=" << reuse_port;
            srv.close();
            EXPECT_FALSE(srv.is_serving());
            co_await srv.wait_closed();
        }
    };
    run(body());
}

/// Counts connections and the loops their handlers started on.
struct served_log {
    std::mutex m;
    std::set<weft::event_loop*> loops;
    std::atomic<int> connections{0};
};

weft::coro<void> logged_echo(weft::stream_reader r, weft::stream_writer w, served_log* log) {
    {
        std::lock_guard<std::mutex> g(log->m);
        log->loops.insert(&weft::get_running_loop());
    }
    log->connections.fetch_add(1);
    co_await echo_lines(r, w);
}

TEST_P(server_test, ManyConcurrentClientsInBothAcceptModes) {
    auto body = [](unsigned workers) -> weft::coro<void> {
        for (bool reuse_port : accept_modes) {
            served_log log;
            weft::server_options o;
            o.reuse_port = reuse_port;
            o.backlog = 512;
            auto handler = [&log](weft::stream_reader r, weft::stream_writer w) {
                return logged_echo(std::move(r), std::move(w), &log);
            };
            weft::server srv = co_await weft::start_server(handler, "127.0.0.1", 0, o);
            const std::uint16_t port = srv.sockets().at(0).port();
            constexpr int clients = 200, rounds = 20;
            std::vector<weft::coro<int>> all;
            for (int c = 0; c < clients; ++c) all.push_back(echo_client(port, c, rounds));
            auto together = weft::gather(std::move(all));
            std::vector<int> oks = co_await std::move(together);
            int total = 0;
            for (int k : oks) total += k;
            EXPECT_EQ(total, clients * rounds) << "reuse_port=" << reuse_port;
            srv.close();
            co_await srv.wait_closed();
            EXPECT_EQ(log.connections.load(), clients);
            // Both workers served connections (round robin, or the kernel
            // spreading them over the per-worker listeners).
            if (workers > 1) {
                std::lock_guard<std::mutex> g(log.m);
                EXPECT_GE(log.loops.size(), 2u) << "reuse_port=" << reuse_port;
            }
        }
    };
    run(body(GetParam().workers));
}

TEST_P(server_test, UnixServerReplacesAStaleSocketFileAndRemovesItsOwn) {
    auto body = []() -> weft::coro<void> {
        const std::string path = unique_socket_path("unix-server");
        {
            // A socket file left behind by a server that did not clean up.
            int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            const weft::socket_address a = weft::socket_address::from_unix_path(path);
            EXPECT_EQ(::bind(fd, a.native(), a.size()), 0);
            ::close(fd);
        }
        EXPECT_TRUE(path_exists(path));
        weft::server srv = co_await weft::start_unix_server(echo_lines, path);
        EXPECT_EQ(srv.sockets().at(0).to_string(), "unix:" + path);
        auto conn = co_await weft::open_unix_connection(path);
        weft::stream_reader r = conn.first;
        weft::stream_writer w = conn.second;
        EXPECT_EQ(w.get_extra_info("peername"), "unix:" + path);
        for (int i = 0; i < 3; ++i) {
            const std::string line = "over a unix socket " + std::to_string(i) + "\n";
            w.write(line);
            std::string reply = co_await r.readline();
            EXPECT_EQ(reply, "echo: " + line);
        }
        w.close();
        co_await w.wait_closed();
        srv.close();
        co_await srv.wait_closed();
        EXPECT_FALSE(path_exists(path));
        bool refused = false;
        try {
            (void)co_await weft::open_unix_connection(path);
        } catch (const std::system_error& e) {
            refused = e.code().value() == ENOENT;
            EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        }
        EXPECT_TRUE(refused);
    };
    run(body());
}

TEST_P(server_test, UnixServersServeManyClients) {
    auto body = []() -> weft::coro<void> {
        const std::string path = unique_socket_path("unix-many");
        weft::server srv = co_await weft::start_unix_server(echo_lines, path);
        auto client = [](std::string path, int id) -> weft::coro<int> {
            auto conn = co_await weft::open_unix_connection(path);
            int ok = 0;
            for (int i = 0; i < 10; ++i) {
                const std::string line = std::to_string(id) + ":" + std::to_string(i) + "\n";
                conn.second.write(line);
                std::string reply = co_await conn.first.readline();
                if (reply == "echo: " + line) ++ok;
            }
            conn.second.close();
            co_return ok;
        };
        std::vector<weft::coro<int>> all;
        for (int c = 0; c < 50; ++c) all.push_back(client(path, c));
        auto together = weft::gather(std::move(all));
        std::vector<int> oks = co_await std::move(together);
        int total = 0;
        for (int k : oks) total += k;
        EXPECT_EQ(total, 500);
        srv.close();
        co_await srv.wait_closed();
    };
    run(body());
}

/// Echoes lines until "quit\n"; tells the test when it started.
weft::coro<void> until_quit(weft::stream_reader r, weft::stream_writer w, std::atomic<int>* started) {
    started->fetch_add(1);
    for (;;) {
        std::string line = co_await r.readline();
        if (line.empty() || line == "quit\n") co_return;
        w.write(line);
        co_await w.drain();
    }
}

TEST_P(server_test, CloseStopsListeningWhileConnectionsGoOnAndWaitClosedWaitsForThem) {
    auto body = []() -> weft::coro<void> {
        for (bool reuse_port : accept_modes) {
            std::atomic<int> started{0};
            auto handler = [&started](weft::stream_reader r, weft::stream_writer w) {
                return until_quit(std::move(r), std::move(w), &started);
            };
            weft::server_options o;
            o.reuse_port = reuse_port;
            weft::server srv = co_await weft::start_server(handler, "127.0.0.1", 0, o);
            const std::uint16_t port = srv.sockets().at(0).port();
            auto conn = co_await weft::open_connection("127.0.0.1", port);
            weft::stream_reader r = conn.first;
            weft::stream_writer w = conn.second;
            w.write("before\n");
            std::string a = co_await r.readline();
            EXPECT_EQ(a, "before\n");

            srv.close();
            srv.close();  // idempotent
            EXPECT_FALSE(srv.is_serving());
            bool refused = false;
            try {
                (void)co_await weft::open_connection("127.0.0.1", port);
            } catch (const std::system_error& e) {
                refused = e.code().value() == ECONNREFUSED;
            }
            EXPECT_TRUE(refused) << "reuse_port=" << reuse_port;

            // The connection accepted before close() is still served, and
            // wait_closed() waits for its handler.
            w.write("after\n");
            std::string b = co_await r.readline();
            EXPECT_EQ(b, "after\n");
            bool waited = false;
            try {
                auto wc = weft::wait_for(srv.wait_closed(), 50ms);
                co_await std::move(wc);
            } catch (const weft::timeout_error&) {
                waited = true;
            }
            EXPECT_TRUE(waited);
            w.write("quit\n");
            auto wc = weft::wait_for(srv.wait_closed(), 5s);
            co_await std::move(wc);
            std::string end = co_await r.read();
            EXPECT_EQ(end, "");  // the server closed the connection after its handler
            EXPECT_EQ(started.load(), 1);
            w.close();
        }
    };
    run(body());
}

TEST_P(server_test, ServeForeverReturnsAfterCloseAndACancelClosesTheServer) {
    auto body = []() -> weft::coro<void> {
        weft::server srv = co_await weft::start_server(echo_lines, "127.0.0.1", 0);
        auto forever = weft::create_task(srv.serve_forever());
        co_await weft::sleep(10ms);
        EXPECT_FALSE(forever.done());
        bool second = false;
        try {
            co_await srv.serve_forever();
        } catch (const weft::invalid_state_error&) {
            second = true;
        }
        EXPECT_TRUE(second);
        srv.close();
        co_await forever;
        bool closed = false;
        try {
            co_await srv.serve_forever();
        } catch (const weft::invalid_state_error&) {
            closed = true;
        }
        EXPECT_TRUE(closed);

        weft::server srv2 = co_await weft::start_server(echo_lines, "127.0.0.1", 0);
        auto forever2 = weft::create_task(srv2.serve_forever());
        co_await weft::sleep(10ms);
        forever2.cancel();
        bool cancelled = false;
        try {
            co_await forever2;
        } catch (const weft::cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        EXPECT_FALSE(srv2.is_serving());
        co_await srv2.wait_closed();
    };
    run(body());
}

/// Reads a line, then fails.
weft::coro<void> failing_handler(weft::stream_reader r, weft::stream_writer w) {
    (void)co_await r.readline();
    w.write("about to fail\n");
    throw std::runtime_error("handler failed on purpose");
}

TEST_P(server_test, AHandlerExceptionGoesToTheLoopExceptionHandler) {
    auto body = []() -> weft::coro<void> {
        struct reports {
            std::mutex m;
            std::vector<std::string> messages, whats;
            weft::future<void> first;
        };
        auto log = std::make_shared<reports>();
        for (weft::event_loop* loop : weft::get_running_loop().runtime_loops()) {
            loop->set_exception_handler([log](weft::event_loop&, const weft::exception_context& c) {
                std::lock_guard<std::mutex> g(log->m);
                log->messages.push_back(c.message);
                try {
                    if (c.exception) std::rethrow_exception(c.exception);
                } catch (const std::exception& e) {
                    log->whats.push_back(e.what());
                }
                if (!log->first.done()) log->first.set_result();
            });
        }
        weft::server srv = co_await weft::start_server(failing_handler, "127.0.0.1", 0);
        auto conn = co_await weft::open_connection("127.0.0.1", srv.sockets().at(0).port());
        conn.second.write("hello\n");
        // The bytes written before the throw still arrive, then the
        // connection closes.
        std::string all = co_await conn.first.read();
        EXPECT_EQ(all, "about to fail\n");
        auto await_future = [](weft::future<void> f) -> weft::coro<void> { co_await f; };
        auto reported = weft::wait_for(await_future(log->first), 5s);
        co_await std::move(reported);
        {
            std::lock_guard<std::mutex> g(log->m);
            EXPECT_EQ(log->messages.size(), 1u);
            if (!log->messages.empty()) {
                EXPECT_NE(log->messages[0].find("connection handler"), std::string::npos) << log->messages[0];
            }
            EXPECT_EQ(log->whats, std::vector<std::string>{"handler failed on purpose"});
        }
        srv.close();
        co_await srv.wait_closed();
        for (weft::event_loop* loop : weft::get_running_loop().runtime_loops()) loop->set_exception_handler({});
    };
    run(body());
}

TEST_P(server_test, OpenConnectionResolvesNames) {
    auto body = []() -> weft::coro<void> {
        weft::server srv = co_await weft::start_server(echo_lines, "127.0.0.1", 0);
        // "localhost" may resolve to ::1 first (refused: nobody listens
        // there); every address is tried in order.
        auto conn = co_await weft::open_connection("localhost", srv.sockets().at(0).port());
        conn.second.write("by name\n");
        std::string reply = co_await conn.first.readline();
        EXPECT_EQ(reply, "echo: by name\n");
        conn.second.close();
        srv.close();
        co_await srv.wait_closed();
    };
    run(body());
}

TEST_P(server_test, BadArgumentsAndBusyAddressesAreRefused) {
    auto body = []() -> weft::coro<void> {
        int errors = 0;
        try {
            (void)co_await weft::start_server(weft::connection_handler{}, "127.0.0.1", 0);
        } catch (const weft::value_error&) {
            ++errors;
        }
        try {
            weft::server_options o;
            o.backlog = -1;
            (void)co_await weft::start_server(echo_lines, "127.0.0.1", 0, o);
        } catch (const weft::value_error&) {
            ++errors;
        }
        try {
            weft::server_options o;
            o.limit = 0;
            (void)co_await weft::start_server(echo_lines, "127.0.0.1", 0, o);
        } catch (const weft::value_error&) {
            ++errors;
        }
        try {
            (void)co_await weft::start_unix_server(echo_lines, "");
        } catch (const weft::value_error&) {
            ++errors;
        }
        weft::server srv = co_await weft::start_server(echo_lines, "127.0.0.1", 0);
        const std::uint16_t port = srv.sockets().at(0).port();
        try {
            weft::server_options o;
            o.reuse_address = false;
            (void)co_await weft::start_server(echo_lines, "127.0.0.1", port, o);
        } catch (const std::system_error& e) {
            if (e.code().value() == EADDRINUSE) ++errors;
            EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos)
                << e.what();
        }
        EXPECT_EQ(errors, 5);
        weft::server empty;
        EXPECT_FALSE(empty.is_serving());
        EXPECT_TRUE(empty.sockets().empty());
        bool empty_refused = false;
        try {
            co_await empty.wait_closed();
        } catch (const weft::error&) {
            empty_refused = true;
        }
        EXPECT_TRUE(empty_refused);
        srv.close();
        co_await srv.wait_closed();
    };
    run(body());
}

TEST_P(server_test, AStandaloneLoopServesToo) {
    // new_event_loop(): runtime_loops() is the loop itself, in both modes.
    auto loop = weft::new_event_loop();
    auto body = []() -> weft::coro<int> {
        int ok = 0;
        for (bool reuse_port : accept_modes) {
            weft::server_options o;
            o.reuse_port = reuse_port;
            weft::server srv = co_await weft::start_server(echo_lines, "127.0.0.1", 0, o);
            ok += co_await echo_client(srv.sockets().at(0).port(), 1, 3);
            srv.close();
            co_await srv.wait_closed();
        }
        co_return ok;
    };
    EXPECT_EQ(loop->run_until_complete(body()), 6);
    loop->close();
}

INSTANTIATE_TEST_SUITE_P(Servers, server_test, weft_test::io_configs(), weft_test::io_config_name);

} // namespace
