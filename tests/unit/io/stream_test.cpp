// stream_reader / stream_writer: every read operation (limits, partial
// reads, end of stream, cancellation), writes with backpressure, half-close,
// close, extra info, pipe streams and bad input, on both backends and on
// one and two workers.
#include "support/io_test.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;

class stream_test : public weft_test::io_test {};

/// Streams over one end of a Unix socket pair; the test drives the other
/// end (`peer`) with plain system calls.
struct socket_streams {
    weft::stream_reader r;
    weft::stream_writer w;
    int peer = -1;

    explicit socket_streams(std::size_t limit = weft::default_stream_limit) {
        int fd[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) != 0)
            throw std::system_error(errno, std::system_category(), "socketpair");
        auto s = weft::detail::make_socket_streams(fd[0], limit);
        r = s.first;
        w = s.second;
        peer = fd[1];
    }
    ~socket_streams() {
        if (peer >= 0) ::close(peer);
    }
    socket_streams(const socket_streams&) = delete;
    socket_streams& operator=(const socket_streams&) = delete;

    /// Small writes: the socket buffer takes them at once.
    void send(std::string_view s) const {
        const ssize_t n = ::send(peer, s.data(), s.size(), MSG_NOSIGNAL);
        EXPECT_EQ(n, static_cast<ssize_t>(s.size())) << std::strerror(errno);
    }
    void shut_write() const { ::shutdown(peer, SHUT_WR); }
    int stream_fd() const { return std::stoi(w.get_extra_info("fd")); }
};

int kernel_pending(int fd) {
    int n = -1;
    ::ioctl(fd, FIONREAD, &n);
    return n;
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
}

/// Reads exactly n bytes from a plain non-blocking socket through the loop.
weft::coro<std::string> recv_raw(int fd, std::size_t n) {
    std::string out;
    std::vector<std::byte> buf(64 * 1024);
    while (out.size() < n) {
        const std::size_t k = co_await weft::get_running_loop().sock_recv(fd, buf);
        if (k == 0) break;
        out.append(reinterpret_cast<const char*>(buf.data()), k);
    }
    co_return out;
}

// --- reading -----------------------------------------------------------------------------

TEST_P(stream_test, ReadTakesWhatIsThereAndGivesEmptyAtEndOfStream) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        p.send("hello");
        std::string a = co_await p.r.read(100);
        EXPECT_EQ(a, "hello");
        std::string zero = co_await p.r.read(0);
        EXPECT_EQ(zero, "");
        p.send("0123456789");
        std::string part = co_await p.r.read(4);
        EXPECT_EQ(part, "0123");
        EXPECT_FALSE(p.r.at_eof());
        p.send(" world");
        p.shut_write();
        std::string rest = co_await p.r.read();
        EXPECT_EQ(rest, "456789 world");
        EXPECT_TRUE(p.r.at_eof());
        std::string after = co_await p.r.read();
        EXPECT_EQ(after, "");
        std::string after_n = co_await p.r.read(10);
        EXPECT_EQ(after_n, "");
    };
    run(body());
}

TEST_P(stream_test, ReadWaitsForDataSentLater) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        auto later = [](int fd) -> weft::coro<void> {
            co_await weft::sleep(20ms);
            ::send(fd, "late", 4, MSG_NOSIGNAL);
        };
        auto sender = weft::create_task(later(p.peer));
        std::string got = co_await p.r.readexactly(4);
        EXPECT_EQ(got, "late");
        co_await sender;
    };
    run(body());
}

// Data and the peer's FIN reported in one readiness edge: the read that
// takes the data comes back short, and the end of stream behind it must
// still be seen although no further edge will come.
TEST_P(stream_test, EndOfStreamReportedWithTheLastDataIsSeen) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        auto reading = [](weft::stream_reader r) -> weft::coro<std::string> {
            std::string first = co_await r.read(100);
            std::string second = co_await r.read(100);
            co_return first + "|" + second;
        };
        auto reader = weft::create_task(reading(p.r));
        // Let the reader park on an empty socket first, so that the data and
        // the FIN below reach its reactor as one edge (if it has not parked
        // yet, they are read at once and the test passes all the same).
        co_await weft::sleep(20ms);
        p.send("hello");
        p.shut_write();
        auto bounded = weft::wait_for(std::move(reader), 5s);
        std::string got = co_await bounded;
        EXPECT_EQ(got, "hello|");
        EXPECT_TRUE(p.r.at_eof());
    };
    run(body());
}

TEST_P(stream_test, ReadlineSplitsLinesAndReturnsTheRestAtEndOfStream) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        p.send("a\nbb\n");
        p.send("ccc");
        p.shut_write();
        std::vector<std::string> lines;
        for (int i = 0; i < 4; ++i) lines.push_back(co_await p.r.readline());
        EXPECT_EQ(lines, (std::vector<std::string>{"a\n", "bb\n", "ccc", ""}));
        EXPECT_TRUE(p.r.at_eof());
    };
    run(body());
}

TEST_P(stream_test, ReadlinePastTheLimitDropsTheChunkAndThrowsValueError) {
    auto body = []() -> weft::coro<void> {
        socket_streams p(8);
        EXPECT_EQ(p.r.limit(), 8u);
        // No separator within limit + 1 bytes: the reader stops reading at
        // that point, drops what it holds, and throws.
        p.send("0123456789ABCDEF\nnext\n");
        bool threw = false;
        try {
            (void)co_await p.r.readline();
        } catch (const weft::value_error& e) {
            threw = true;
            EXPECT_NE(std::string(e.what()).find("limit"), std::string::npos) << e.what();
        }
        EXPECT_TRUE(threw);
        std::string tail = co_await p.r.readline();
        EXPECT_EQ(tail, "9ABCDEF\n");
        std::string next = co_await p.r.readline();
        EXPECT_EQ(next, "next\n");
    };
    run(body());
}

TEST_P(stream_test, ReadlineDropsUpToTheSeparatorWhenItIsBufferedPastTheLimit) {
    auto body = []() -> weft::coro<void> {
        socket_streams p(8);
        p.send("0123456789\nrest\n");
        // readuntil with a 3-byte separator buffers up to limit + 3 bytes,
        // so the newline at index 10 is in the buffer, past the limit.
        bool overrun = false;
        try {
            (void)co_await p.r.readuntil("XYZ");
        } catch (const weft::limit_overrun_error& e) {
            overrun = true;
            EXPECT_EQ(e.consumed, 9u);  // asyncio's offset: size + 1 - len(sep)
        }
        EXPECT_TRUE(overrun);
        bool threw = false;
        try {
            (void)co_await p.r.readline();
        } catch (const weft::value_error&) {
            threw = true;
        }
        EXPECT_TRUE(threw);
        std::string rest = co_await p.r.readline();
        EXPECT_EQ(rest, "rest\n");
    };
    run(body());
}

TEST_P(stream_test, ReaduntilFindsALongSeparatorSplitAcrossReceives) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        auto feed = [](int fd) -> weft::coro<void> {
            static const char* const pieces[] = {"head", "er\r", "\n\r", "\nbody"};
            for (const char* piece : pieces) {
                co_await weft::sleep(5ms);
                ::send(fd, piece, std::strlen(piece), MSG_NOSIGNAL);
            }
        };
        auto feeder = weft::create_task(feed(p.peer));
        std::string header = co_await p.r.readuntil("\r\n\r\n");
        EXPECT_EQ(header, "header\r\n\r\n");
        std::string body = co_await p.r.readexactly(4);
        EXPECT_EQ(body, "body");
        co_await feeder;
    };
    run(body());
}

TEST_P(stream_test, ReaduntilOverTheLimitKeepsTheBytesBuffered) {
    auto body = []() -> weft::coro<void> {
        socket_streams p(8);
        p.send("0123456789ABCDEF");
        bool overrun = false;
        try {
            (void)co_await p.r.readuntil("\n");
        } catch (const weft::limit_overrun_error& e) {
            overrun = true;
            EXPECT_EQ(e.consumed, 9u);
        }
        EXPECT_TRUE(overrun);
        // Only limit + 1 bytes were taken from the socket; none is lost.
        EXPECT_EQ(kernel_pending(p.stream_fd()), 7);
        std::string all = co_await p.r.readexactly(16);
        EXPECT_EQ(all, "0123456789ABCDEF");
    };
    run(body());
}

TEST_P(stream_test, ReaduntilAtEndOfStreamThrowsIncompleteReadWithThePartialBytes) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        p.send("no separator");
        p.shut_write();
        bool threw = false;
        try {
            (void)co_await p.r.readuntil("!");
        } catch (const weft::incomplete_read_error& e) {
            threw = true;
            EXPECT_EQ(e.partial, "no separator");
        }
        EXPECT_TRUE(threw);
        EXPECT_TRUE(p.r.at_eof());  // the partial bytes were consumed
    };
    run(body());
}

TEST_P(stream_test, ReaduntilRejectsAnEmptySeparator) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        bool threw = false;
        try {
            (void)co_await p.r.readuntil("");
        } catch (const weft::value_error&) {
            threw = true;
        }
        EXPECT_TRUE(threw);
    };
    run(body());
}

TEST_P(stream_test, ReadexactlyAtEndOfStreamThrowsWithThePartialBytes) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        p.send("abc");
        p.shut_write();
        bool threw = false;
        try {
            (void)co_await p.r.readexactly(5);
        } catch (const weft::incomplete_read_error& e) {
            threw = true;
            EXPECT_EQ(e.partial, "abc");
            EXPECT_EQ(e.expected, 5u);
        }
        EXPECT_TRUE(threw);
        EXPECT_TRUE(p.r.at_eof());
        std::string zero = co_await p.r.readexactly(0);
        EXPECT_EQ(zero, "");
    };
    run(body());
}

TEST_P(stream_test, ReadexactlyTakesMoreThanTheLimit) {
    auto body = []() -> weft::coro<void> {
        socket_streams p(16);
        const std::string data = pattern(100);
        p.send(data);
        std::string got = co_await p.r.readexactly(100);
        EXPECT_EQ(got, data);
    };
    run(body());
}

TEST_P(stream_test, ACancelledReadexactlyLosesNothing) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        p.send("abc");
        bool timed_out = false;
        try {
            auto waiting = weft::wait_for(p.r.readexactly(6), 100ms);
            (void)co_await std::move(waiting);
        } catch (const weft::timeout_error&) {
            timed_out = true;
        }
        EXPECT_TRUE(timed_out);
        // The three bytes left the kernel before the cancel: they are in
        // the reader's buffer.
        EXPECT_EQ(kernel_pending(p.stream_fd()), 0);
        p.send("defgh");
        std::string six = co_await p.r.readexactly(6);
        EXPECT_EQ(six, "abcdef");
        std::string rest = co_await p.r.read(10);
        EXPECT_EQ(rest, "gh");
    };
    run(body());
}

TEST_P(stream_test, ACancelledReadlineLosesNothing) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        p.send("partial ");
        auto t = weft::create_task(p.r.readline());
        co_await weft::sleep(30ms);
        t.cancel();
        bool cancelled = false;
        try {
            (void)co_await t;
        } catch (const weft::cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        p.send("line\n");
        std::string line = co_await p.r.readline();
        EXPECT_EQ(line, "partial line\n");
    };
    run(body());
}

TEST_P(stream_test, ASecondConcurrentReaderIsRejected) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        auto first = weft::create_task(p.r.readline(), weft_test::on_this_loop());
        co_await weft_test::let_others_run();
        bool rejected = false;
        try {
            (void)co_await p.r.read(1);
        } catch (const weft::invalid_state_error&) {
            rejected = true;
        }
        EXPECT_TRUE(rejected);
        p.send("line\n");
        std::string line = co_await first;
        EXPECT_EQ(line, "line\n");
    };
    run_pinned(body());
}

TEST_P(stream_test, AReaderRunsInParallelWithAWriterOfTheSameStream) {
    // A ping-pong through the peer: one task reads while another writes.
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        auto echo_peer = [](int fd, std::size_t total) -> weft::coro<void> {
            std::vector<std::byte> buf(4096);
            std::size_t n = 0;
            auto& loop = weft::get_running_loop();
            while (n < total) {
                const std::size_t k = co_await loop.sock_recv(fd, buf);
                if (k == 0) break;
                co_await loop.sock_sendall(fd, std::span<const std::byte>(buf.data(), k));
                n += k;
            }
        };
        auto writer = [](weft::stream_writer w, int lines) -> weft::coro<void> {
            for (int i = 0; i < lines; ++i) {
                w.write("line " + std::to_string(i) + "\n");
                co_await w.drain();
            }
        };
        auto reader = [](weft::stream_reader r, int lines) -> weft::coro<int> {
            int ok = 0;
            for (int i = 0; i < lines; ++i) {
                std::string l = co_await r.readline();
                if (l == "line " + std::to_string(i) + "\n") ++ok;
            }
            co_return ok;
        };
        constexpr int lines = 500;
        std::size_t total = 0;
        for (int i = 0; i < lines; ++i) total += ("line " + std::to_string(i) + "\n").size();
        auto e = weft::create_task(echo_peer(p.peer, total));
        auto w = weft::create_task(writer(p.w, lines));
        auto r = weft::create_task(reader(p.r, lines));
        co_await w;
        const int ok = co_await r;
        EXPECT_EQ(ok, lines);
        co_await e;
    };
    run(body());
}

// --- writing -----------------------------------------------------------------------------

TEST_P(stream_test, WriteAndWritelinesSendInOrder) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        p.w.write("one ");
        const std::vector<std::string> more = {"two ", "three"};
        p.w.writelines(more);
        co_await p.w.drain();
        std::string got = co_await recv_raw(p.peer, 13);
        EXPECT_EQ(got, "one two three");
        EXPECT_EQ(p.w.write_buffer_size(), 0u);
    };
    run(body());
}

/// Writes data in chunks, draining after each; records the largest
/// buffered size seen and how many chunks were done.
weft::coro<void> write_chunks(weft::stream_writer w, std::string data, std::size_t chunk,
                              std::atomic<int>* done, std::atomic<std::size_t>* max_buffered) {
    for (std::size_t off = 0; off < data.size(); off += chunk) {
        w.write(std::string_view(data).substr(off, chunk));
        const std::size_t b = w.write_buffer_size();
        if (b > max_buffered->load()) max_buffered->store(b);
        co_await w.drain();
        done->fetch_add(1);
    }
}

TEST_P(stream_test, DrainHoldsAWriterBackUntilTheSlowPeerReads) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        const int small = 4096;
        ::setsockopt(p.stream_fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        ::setsockopt(p.peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        const std::size_t chunk = 64 * 1024;
        const std::string data = pattern(16 * chunk);
        std::atomic<int> done{0};
        std::atomic<std::size_t> max_buffered{0};
        auto writer = weft::create_task(write_chunks(p.w, data, chunk, &done, &max_buffered));
        co_await weft::sleep(150ms);
        // The peer reads nothing: drain() keeps the writer at its first
        // chunks, with a bounded buffer.
        EXPECT_FALSE(writer.done());
        EXPECT_LE(done.load(), 2);
        EXPECT_GT(p.w.write_buffer_size(), 0u);
        std::string got = co_await recv_raw(p.peer, data.size());
        co_await writer;
        EXPECT_EQ(done.load(), 16);
        EXPECT_TRUE(got == data) << "received " << got.size() << " bytes of " << data.size();
        EXPECT_LE(max_buffered.load(), 2 * chunk);
        EXPECT_EQ(p.w.write_buffer_size(), 0u);
    };
    run(body());
}

TEST_P(stream_test, DrainReturnsAtOnceBelowTheHighWaterMark) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        const int small = 4096;
        ::setsockopt(p.stream_fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        // Fill the socket, then queue a little: under 64 KiB, no wait.
        const std::string big = pattern(32 * 1024);
        p.w.write(big);
        EXPECT_GT(p.w.write_buffer_size(), 0u);
        auto d = weft::wait_for(p.w.drain(), 2s);
        co_await std::move(d);
        // Lower limits make the same buffer wait.
        p.w.set_write_buffer_limits(1024);
        bool timed_out = false;
        try {
            auto d2 = weft::wait_for(p.w.drain(), 50ms);
            co_await std::move(d2);
        } catch (const weft::timeout_error&) {
            timed_out = true;
        }
        EXPECT_TRUE(timed_out);
        // The cancelled drain left the bytes queued: they all arrive.
        std::string got = co_await recv_raw(p.peer, big.size());
        EXPECT_TRUE(got == big);
        co_await p.w.drain();
        bool bad = false;
        try {
            p.w.set_write_buffer_limits(10, 20);
        } catch (const weft::value_error&) {
            bad = true;
        }
        EXPECT_TRUE(bad);
    };
    run(body());
}

TEST_P(stream_test, CloseFlushesThenTheStreamRefusesUse) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        EXPECT_FALSE(p.w.is_closing());
        const std::string data = pattern(300 * 1024);  // more than the socket takes at once
        p.w.write(data);
        p.w.close();
        EXPECT_TRUE(p.w.is_closing());
        p.w.close();  // idempotent
        auto reader = weft::create_task(recv_raw(p.peer, data.size() + 1));
        co_await p.w.wait_closed();
        std::string got = co_await reader;
        EXPECT_TRUE(got == data) << got.size();  // all of it, then end of stream
        bool refused = false;
        try {
            p.w.write("more");
        } catch (const std::system_error& e) {
            refused = e.code().value() == EBADF;
            EXPECT_NE(std::string(e.what()).find("send to"), std::string::npos) << e.what();
        }
        EXPECT_TRUE(refused);
        bool read_refused = false;
        try {
            (void)co_await p.r.read(1);
        } catch (const std::system_error& e) {
            read_refused = e.code().value() == EBADF;
        }
        EXPECT_TRUE(read_refused);
        co_await p.w.wait_closed();  // again: at once
    };
    run(body());
}

TEST_P(stream_test, WriteEofHalfClosesAndReadingGoesOn) {
    auto body = []() -> weft::coro<void> {
        socket_streams p;
        EXPECT_TRUE(p.w.can_write_eof());
        p.w.write("request");
        p.w.write_eof();
        std::string got = co_await recv_raw(p.peer, 100);  // ends at the half-close
        EXPECT_EQ(got, "request");
        bool epipe = false;
        try {
            p.w.write("late");
        } catch (const std::system_error& e) {
            epipe = e.code().value() == EPIPE;
        }
        EXPECT_TRUE(epipe);
        p.send("reply");
        p.shut_write();
        std::string reply = co_await p.r.read();
        EXPECT_EQ(reply, "reply");
        EXPECT_FALSE(p.w.is_closing());
        p.w.close();
        co_await p.w.wait_closed();
    };
    run(body());
}

TEST_P(stream_test, PipeStreamsCarryBytesAndEndWithTheWriter) {
    auto body = []() -> weft::coro<void> {
        int fd[2];
        EXPECT_EQ(::pipe2(fd, O_NONBLOCK | O_CLOEXEC), 0);
        weft::stream_reader r = weft::detail::make_pipe_reader(fd[0]);
        weft::stream_writer w = weft::detail::make_pipe_writer(fd[1]);
        EXPECT_EQ(w.get_extra_info("peername"), "");
        EXPECT_EQ(w.get_extra_info("fd"), std::to_string(fd[1]));
        const std::string big = pattern(200 * 1024);  // more than a pipe holds
        w.write("first line\n");
        w.write(big);
        auto reading = [](weft::stream_reader r, std::size_t n) -> weft::coro<std::string> {
            std::string line = co_await r.readline();
            std::string rest = co_await r.readexactly(n);
            std::string end = co_await r.read();
            co_return line + rest + end;
        };
        auto t = weft::create_task(reading(r, big.size()));
        co_await w.drain();
        w.write_eof();  // a pipe's end of stream is its close
        EXPECT_TRUE(w.is_closing());
        co_await w.wait_closed();
        std::string got = co_await t;
        EXPECT_TRUE(got == "first line\n" + big);
        EXPECT_TRUE(r.at_eof());
    };
    run(body());
}

// --- addresses and bad input ------------------------------------------------------------

weft::coro<void> report_peer(weft::stream_reader r, weft::stream_writer w) {
    w.write(w.get_extra_info("peername") + "\n");
    co_await w.drain();
    (void)co_await r.read();
}

TEST_P(stream_test, ExtraInfoNamesBothEnds) {
    auto body = []() -> weft::coro<void> {
        weft::server srv = co_await weft::start_server(report_peer, "127.0.0.1", 0);
        const std::uint16_t port = srv.sockets().at(0).port();
        auto conn = co_await weft::open_connection("127.0.0.1", port);
        weft::stream_reader r = conn.first;
        weft::stream_writer w = conn.second;
        EXPECT_EQ(w.get_extra_info("peername"), "127.0.0.1:" + std::to_string(port));
        EXPECT_EQ(w.peername().port(), port);
        const std::string mine = w.get_extra_info("sockname");
        EXPECT_EQ(mine.rfind("127.0.0.1:", 0), 0u) << mine;
        EXPECT_EQ(w.sockname().to_string(), mine);
        EXPECT_EQ(w.get_extra_info("no such thing"), "");
        EXPECT_FALSE(w.get_extra_info("fd").empty());
        std::string seen = co_await r.readline();
        EXPECT_EQ(seen, mine + "\n");  // the server's peer is this end
        w.close();
        co_await w.wait_closed();
        srv.close();
        co_await srv.wait_closed();
    };
    run(body());
}

TEST_P(stream_test, BadInputIsRefused) {
    auto body = []() -> weft::coro<void> {
        int errors = 0;
        weft::stream_reader empty_r;
        weft::stream_writer empty_w;
        try {
            (void)co_await empty_r.read();
        } catch (const weft::error&) {
            ++errors;
        }
        try {
            empty_w.write("x");
        } catch (const weft::error&) {
            ++errors;
        }
        try {
            co_await empty_w.drain();
        } catch (const weft::error&) {
            ++errors;
        }
        EXPECT_TRUE(empty_w.is_closing());
        EXPECT_FALSE(empty_r.at_eof());
        try {
            (void)weft::detail::make_socket_streams(-1);
        } catch (const weft::value_error&) {
            ++errors;
        }
        int fd[2];
        ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd);
        ::close(fd[1]);
        try {
            (void)weft::detail::make_socket_streams(fd[0], 0);  // takes fd[0] even when refusing
        } catch (const weft::value_error&) {
            ++errors;
        }
        try {
            weft::connection_options o;
            o.limit = 0;
            (void)co_await weft::open_connection("127.0.0.1", 1, o);
        } catch (const weft::value_error&) {
            ++errors;
        }
        try {
            (void)co_await weft::open_connection("", 80);
        } catch (const weft::value_error&) {
            ++errors;
        }
        try {
            (void)co_await weft::open_unix_connection(std::string(200, 'x'));
        } catch (const weft::value_error&) {
            ++errors;
        }
        EXPECT_EQ(errors, 8);
    };
    run(body());
}

TEST_P(stream_test, MakeSocketStreamsMakesABlockingSocketNonBlocking) {
    auto body = []() -> weft::coro<void> {
        int fd[2];
        ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd);  // blocking
        auto [r, w] = weft::detail::make_socket_streams(fd[0]);
        EXPECT_NE(::fcntl(fd[0], F_GETFL) & O_NONBLOCK, 0);
        auto t = weft::create_task(r.read(5));
        co_await weft::sleep(10ms);  // the read must wait without blocking the worker
        ::send(fd[1], "hello", 5, MSG_NOSIGNAL);
        std::string got = co_await t;
        EXPECT_EQ(got, "hello");
        ::close(fd[1]);
    };
    run(body());
}

INSTANTIATE_TEST_SUITE_P(Streams, stream_test, weft_test::io_configs(), weft_test::io_config_name);

} // namespace
