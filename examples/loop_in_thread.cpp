// Mirrors the "event loop in another thread" pattern of the asyncio notes:
//
//     def start_loop(loop):
//         asyncio.set_event_loop(loop)
//         loop.run_forever()
//
//     loop = asyncio.new_event_loop()
//     t = threading.Thread(target=start_loop, args=(loop,))
//     t.start()
//     f1 = asyncio.run_coroutine_threadsafe(greet('world', 1), loop)
//     f2 = asyncio.run_coroutine_threadsafe(add(1, 2, 2), loop)
//     print(f1.result())
//     print(f2.result())
//     loop.call_soon_threadsafe(loop.stop)
//     t.join()
//     loop.close()
//
// The main thread is not a loop thread: it feeds the loop and blocks on the
// concurrent futures. Both coroutines run concurrently on the loop's thread,
// so the program takes 2 units, not 3.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <memory>
#include <string>
#include <thread>

void start_loop(weft::event_loop* loop) {
    weft::set_event_loop(loop);
    loop->run_forever();
}

weft::coro<std::string> greet(std::string who, double delay) {
    co_await weft::sleep(example::units(delay));
    co_return "hello, " + who;
}

weft::coro<int> add(int a, int b, double delay) {
    co_await weft::sleep(example::units(delay));
    co_return a + b;
}

int main() {
    std::unique_ptr<weft::event_loop> loop = weft::new_event_loop();
    std::thread t(start_loop, loop.get());

    weft::concurrent_future<std::string> f1 =
        weft::run_coroutine_threadsafe(greet("world", 1), *loop);
    weft::concurrent_future<int> f2 = weft::run_coroutine_threadsafe(add(1, 2, 2), *loop);
    example::println(f1.result());  // blocks this thread, not the loop
    example::println(f2.result());

    weft::event_loop* l = loop.get();
    loop->call_soon_threadsafe([l] { l->stop(); });
    t.join();
    loop->close();
    example::println("loop closed: ", loop->is_closed());
}
