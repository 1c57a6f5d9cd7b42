// Ctrl-C stops a server gracefully. Mirrors the asyncio pattern:
//
//     async def main():
//         server = await asyncio.start_server(handle_echo, '127.0.0.1', 0)
//         print(f'serving on {server.sockets[0].getsockname()[0]}')
//         loop = asyncio.get_running_loop()
//         for sig, name in ((signal.SIGINT, 'SIGINT'), (signal.SIGTERM, 'SIGTERM')):
//             loop.add_signal_handler(sig, stop, server, name)
//
//         reader, writer = await asyncio.open_connection('127.0.0.1', port)
//         writer.write(b'hello\n')
//         print(f'received: {(await reader.readline()).decode().rstrip()!r}')
//         writer.close()
//
//         async with server:
//             await server.serve_forever()   # until stop() closes it
//         print('closed')
//
//     def stop(server, name):
//         print(f'{name} received, closing')
//         server.close()
//
// Press Ctrl-C (or send SIGTERM) to stop it. So that the test suite sees
// the same thing without a terminal, the program sends itself SIGINT after
// one unit unless WEFT_EXAMPLE_SELF_SIGNAL is "0" (then it serves until a
// real signal comes).
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <csignal>
#include <cstdlib>
#include <string>

#include <signal.h>
#include <unistd.h>

weft::coro<> handle_echo(weft::stream_reader reader, weft::stream_writer writer) {
    for (;;) {
        std::string line = co_await reader.readline();
        if (line.empty()) break;
        writer.write(line);
        co_await writer.drain();
    }
    writer.close();
    co_await writer.wait_closed();
}

bool self_signal() {
    const char* v = std::getenv("WEFT_EXAMPLE_SELF_SIGNAL");
    return !v || std::string(v) != "0";
}

weft::coro<> async_main() {
    weft::server server = co_await weft::start_server(handle_echo, "127.0.0.1", 0);
    const weft::socket_address address = server.sockets().front();
    example::println("serving on ", address.host());

    // The handlers run on this loop, as ordinary callbacks: they may use
    // the server freely.
    weft::event_loop& loop = weft::get_running_loop();
    loop.add_signal_handler(SIGINT, [server]() mutable {
        example::println("SIGINT received, closing");
        server.close();
    });
    loop.add_signal_handler(SIGTERM, [server]() mutable {
        example::println("SIGTERM received, closing");
        server.close();
    });

    // One client, to show the server at work.
    auto [reader, writer] = co_await weft::open_connection("127.0.0.1", address.port());
    writer.write("hello\n");
    co_await writer.drain();
    std::string reply = co_await reader.readline();
    reply.pop_back();
    example::println("received: '", reply, "'");
    writer.close();
    co_await writer.wait_closed();

    // (On the loop running this task now: it may have moved to another
    // worker while it waited.)
    if (self_signal()) weft::get_running_loop().call_later(example::unit(), [] { ::kill(::getpid(), SIGINT); });

    co_await server.serve_forever();  // returns once a handler closed the server
    co_await server.wait_closed();
    // remove_signal_handler may be called from any worker.
    loop.remove_signal_handler(SIGINT);
    loop.remove_signal_handler(SIGTERM);
    example::println("closed");
}

int main() {
    weft::run(async_main());
}
