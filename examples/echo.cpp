// Mirrors asyncio's TCP echo client and server (the streams documentation):
//
//     async def handle_echo(reader, writer):
//         while line := await reader.readline():
//             writer.write(b'echo: ' + line)
//             await writer.drain()
//         writer.close()
//         await writer.wait_closed()
//
//     async def main():
//         server = await asyncio.start_server(handle_echo, '127.0.0.1', 0)
//         host, port = server.sockets[0].getsockname()
//         print(f'serving on {host}')
//
//         reader, writer = await asyncio.open_connection('127.0.0.1', port)
//         for message in ('hello', 'weft', 'goodbye'):
//             print(f'send: {message!r}')
//             writer.write(message.encode() + b'\n')
//             await writer.drain()
//             reply = await reader.readline()
//             print(f'received: {reply.decode().rstrip()!r}')
//         writer.close()
//         await writer.wait_closed()
//
//         server.close()
//         await server.wait_closed()
//         print(f'server closed after {lines} lines')
//
//     asyncio.run(main())
//
// Port 0 lets the kernel choose a free port; server.sockets() tells which.
// The handler runs as a task of its own (on any worker), so it prints
// nothing: the client's lines alone give a fixed output.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <atomic>
#include <string>
#include <vector>

std::atomic<int> echoed_lines{0};

weft::coro<> handle_echo(weft::stream_reader reader, weft::stream_writer writer) {
    for (;;) {
        std::string line = co_await reader.readline();
        if (line.empty()) break;  // the client closed its side
        writer.write("echo: " + line);
        co_await writer.drain();
        echoed_lines.fetch_add(1, std::memory_order_relaxed);
    }
    writer.close();
    co_await writer.wait_closed();
}

std::string without_newline(std::string s) {
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

weft::coro<> async_main() {
    weft::server server = co_await weft::start_server(handle_echo, "127.0.0.1", 0);
    const weft::socket_address address = server.sockets().front();
    example::println("serving on ", address.host());

    auto [reader, writer] = co_await weft::open_connection("127.0.0.1", address.port());
    const std::vector<std::string> messages = {"hello", "weft", "goodbye"};
    for (const std::string& message : messages) {
        example::println("send: '", message, "'");
        writer.write(message + "\n");
        co_await writer.drain();
        std::string reply = co_await reader.readline();
        example::println("received: '", without_newline(reply), "'");
    }
    writer.close();
    co_await writer.wait_closed();

    server.close();
    co_await server.wait_closed();
    example::println("server closed after ", echoed_lines.load(), " lines");
}

int main() {
    weft::run(async_main());
}
