// A minimal HTTP/1.1 server on weft's streams: "Hello, World!" for every
// request, with keep-alive and pipelining, fast enough to point wrk at.
//
//     example_http_hello [port]        serves on 127.0.0.1:port (default 8080)
//                                      until killed, e.g. for
//                                      wrk -t1 -c50 -d10s http://127.0.0.1:8080/
//     example_http_hello --self-test   serves on a port the kernel chooses,
//                                      sends itself a few requests, prints
//                                      what came back and exits (also what
//                                      it does when run by the test suite,
//                                      which sets WEFT_EXAMPLE_UNIT_MS)
//
// Each connection is one task reading a request head at a time with
// readuntil("\r\n\r\n"). Requests that arrive together (pipelined) are
// answered in order: write() queues each response without waiting, and
// drain() only waits when the client stops reading.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>

namespace {

constexpr std::string_view body = "Hello, World!";

const std::string ok_keep_alive = "HTTP/1.1 200 OK\r\n"
                                  "Content-Type: text/plain\r\n"
                                  "Content-Length: " + std::to_string(body.size()) + "\r\n"
                                  "\r\n" + std::string(body);
const std::string ok_close = "HTTP/1.1 200 OK\r\n"
                             "Content-Type: text/plain\r\n"
                             "Content-Length: " + std::to_string(body.size()) + "\r\n"
                             "Connection: close\r\n"
                             "\r\n" + std::string(body);
const std::string bad_request = "HTTP/1.1 400 Bad Request\r\n"
                                "Content-Length: 0\r\n"
                                "Connection: close\r\n"
                                "\r\n";
const std::string too_large = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                              "Content-Length: 0\r\n"
                              "Connection: close\r\n"
                              "\r\n";

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

/// The value of header `name` (lower case) in a request head, trimmed; ""
/// when absent.
std::string header(std::string_view head, std::string_view name) {
    std::size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos + 2 < head.size()) {
        const std::size_t start = pos + 2;
        const std::size_t end = head.find("\r\n", start);
        const std::string_view line = head.substr(start, end - start);
        const std::size_t colon = line.find(':');
        if (colon != std::string_view::npos && lower(line.substr(0, colon)) == name) {
            std::string_view v = line.substr(colon + 1);
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
            while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
            return std::string(v);
        }
        pos = end;
    }
    return "";
}

struct request {
    bool valid = false;
    bool keep_alive = false;
    std::size_t content_length = 0;
};

request parse(std::string_view head) {
    request r;
    const std::string_view line = head.substr(0, head.find("\r\n"));
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) return r;
    const std::string_view version = line.substr(sp2 + 1);
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return r;
    const std::string connection = lower(header(head, "connection"));
    // HTTP/1.1 keeps the connection unless told to close; 1.0 the reverse.
    r.keep_alive = version == "HTTP/1.1" ? connection != "close" : connection == "keep-alive";
    const std::string length = header(head, "content-length");
    if (!length.empty()) {
        char* end = nullptr;
        const unsigned long long n = std::strtoull(length.c_str(), &end, 10);
        if (*end != '\0' || n > 1024 * 1024) return r;
        r.content_length = static_cast<std::size_t>(n);
    }
    r.valid = true;
    return r;
}

weft::coro<> handle(weft::stream_reader reader, weft::stream_writer writer) {
    try {
        for (;;) {
            const std::string head = co_await reader.readuntil("\r\n\r\n");
            const request req = parse(head);
            if (!req.valid) {
                writer.write(bad_request);
                break;
            }
            // A body, if any, is read and ignored.
            if (req.content_length > 0) co_await reader.readexactly(req.content_length);
            writer.write(req.keep_alive ? ok_keep_alive : ok_close);
            co_await writer.drain();
            if (!req.keep_alive) break;
        }
    } catch (const weft::incomplete_read_error&) {
        // The client closed the connection (between requests, or in one).
    } catch (const weft::limit_overrun_error&) {
        writer.write(too_large);
    } catch (const std::system_error&) {
        // Reset by the client.
    }
    // Sends what is queued, then closes.
    writer.close();
}

// --- the self-test client -------------------------------------------------

/// Reads one response and returns "<status line>, body '<body>'".
weft::coro<std::string> read_response(weft::stream_reader& reader) {
    const std::string head = co_await reader.readuntil("\r\n\r\n");
    const std::string status = head.substr(0, head.find("\r\n"));
    const std::string length = header(head, "content-length");
    const std::size_t n = length.empty() ? 0 : std::stoul(length);
    const std::string content = co_await reader.readexactly(n);
    co_return status + ", body '" + content + "'";
}

weft::coro<> self_test() {
    weft::connection_handler handler = handle;
    weft::server srv = co_await weft::start_server(handler, "127.0.0.1", 0);
    const std::uint16_t port = srv.sockets().at(0).port();

    auto [reader, writer] = co_await weft::open_connection("127.0.0.1", port);

    writer.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    std::string response = co_await read_response(reader);
    example::println("one request: ", response);

    // Two requests in one write: two responses, in order.
    writer.write("GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n"
                 "GET /b HTTP/1.1\r\nHost: localhost\r\n\r\n");
    response = co_await read_response(reader);
    example::println("pipelined 1: ", response);
    response = co_await read_response(reader);
    example::println("pipelined 2: ", response);

    // A request with a body: the body is skipped, the next request is read.
    writer.write("POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello");
    response = co_await read_response(reader);
    example::println("with a body: ", response);

    writer.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    response = co_await read_response(reader);
    example::println("connection close: ", response);
    const std::string rest = co_await reader.read();
    example::println("then end of stream: ", rest.empty() && reader.at_eof());
    writer.close();

    // A malformed request line.
    auto [reader2, writer2] = co_await weft::open_connection("127.0.0.1", port);
    writer2.write("HELLO\r\n\r\n");
    response = co_await read_response(reader2);
    example::println("malformed: ", response);
    writer2.close();

    srv.close();
    co_await srv.wait_closed();
}

weft::coro<> serve(std::uint16_t port) {
    weft::connection_handler handler = handle;
    weft::server srv = co_await weft::start_server(handler, "127.0.0.1", port);
    example::println("serving HTTP on 127.0.0.1 port ", srv.sockets().at(0).port());
    co_await srv.serve_forever();
}

} // namespace

int main(int argc, char** argv) {
    const std::string_view arg = argc > 1 ? argv[1] : "";
    if (arg == "--self-test" || (argc == 1 && std::getenv("WEFT_EXAMPLE_UNIT_MS"))) {
        weft::run(self_test());
        return 0;
    }
    long port = 8080;
    if (!arg.empty()) {
        char* end = nullptr;
        port = std::strtol(argv[1], &end, 10);
        if (*end != '\0' || port < 0 || port > 65535) {
            example::println("usage: example_http_hello [port | --self-test]");
            return 2;
        }
    }
    weft::run(serve(static_cast<std::uint16_t>(port)));
    return 0;
}
