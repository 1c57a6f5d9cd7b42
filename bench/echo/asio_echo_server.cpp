// asio_echo_server: the baseline for the echo benchmark, standalone Asio
// with C++20 coroutines: one io_context run by --threads threads, one
// coroutine per connection reading what is there (read_some) and writing it
// back (async_write), as Asio's own coroutine echo example does.
//
// Usage: asio_echo_server [--port P] [--threads N]
// --port 0 (the default) lets the kernel choose; the first line on stdout
// is "listening on 127.0.0.1:<port>". Runs until SIGINT or SIGTERM.
#ifndef ASIO_STANDALONE
#define ASIO_STANDALONE
#endif
#include <asio.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/resource.h>

namespace {

using asio::ip::tcp;

asio::awaitable<void> echo(tcp::socket socket) {
    try {
        // The same buffer size the weft server reads with.
        char data[4096];
        for (;;) {
            const std::size_t n = co_await socket.async_read_some(asio::buffer(data), asio::use_awaitable);
            co_await asio::async_write(socket, asio::buffer(data, n), asio::use_awaitable);
        }
    } catch (const std::exception&) {
        // End of stream or a reset: the connection is done.
    }
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
    for (;;) {
        tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
        socket.set_option(tcp::no_delay(true));
        asio::co_spawn(acceptor.get_executor(), echo(std::move(socket)), asio::detached);
    }
}

void raise_fd_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr, "asio_echo_server: %s\nusage: asio_echo_server [--port P] [--threads N]\n", why);
    std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
    int port = 0;
    int threads = 2;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (i + 1 >= argc) usage(("missing value after " + std::string(a)).c_str());
        if (a == "--port") port = std::atoi(argv[++i]);
        else if (a == "--threads") threads = std::atoi(argv[++i]);
        else usage(("unknown option " + std::string(a)).c_str());
    }
    if (port < 0 || port > 65535) usage("--port must be 0..65535");
    if (threads <= 0) usage("--threads must be > 0");
    raise_fd_limit();

    asio::io_context ctx(threads);
    tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                              static_cast<unsigned short>(port)));
    std::printf("listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
    std::fflush(stdout);

    asio::signal_set signals(ctx, SIGINT, SIGTERM);
    signals.async_wait([&](auto, auto) { ctx.stop(); });
    asio::co_spawn(ctx, listen(acceptor), asio::detached);

    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&] { ctx.run(); });
    ctx.run();
    for (auto& t : pool) t.join();
    return 0;
}
