// Mirrors loop.run_until_complete from the asyncio notes:
//
//     loop = asyncio.new_event_loop()
//     result = loop.run_until_complete(compute(6, 7))
//     print(result)
//     loop.close()
//
// run_until_complete wraps the coroutine in a task, runs the loop on this
// thread until it is done and returns its result. A closed loop refuses any
// further work with weft::error.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <memory>

weft::coro<int> compute(int a, int b) {
    co_await weft::sleep(example::unit());
    co_return a * b;
}

int main() {
    std::unique_ptr<weft::event_loop> loop = weft::new_event_loop();
    int result = loop->run_until_complete(compute(6, 7));
    example::println("result: ", result);
    example::println("is_running(): ", loop->is_running());

    loop->close();
    example::println("is_closed(): ", loop->is_closed());
    try {
        loop->run_until_complete(compute(1, 2));
    } catch (const weft::error& e) {
        example::println("weft::error: ", e.what());
    }
}
