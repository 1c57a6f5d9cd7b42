// Mirrors asyncio's say_after program, awaiting the coroutines one after
// the other: 1 + 2 = 3 seconds in all.
//
//     async def say_after(delay, what):
//         await asyncio.sleep(delay)
//         print(what)
//
//     async def main():
//         print(f"started at {time.strftime('%X')}")
//         await say_after(1, 'hello')
//         await say_after(2, 'world')
//         print(f"finished at {time.strftime('%X')}")
//
//     asyncio.run(main())
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <iostream>
#include <string>

weft::coro<> say_after(double delay, std::string what) {
    co_await weft::sleep(example::units(delay));
    std::cout << what << std::endl;
}

weft::coro<> async_main() {
    std::cout << "started at " << example::wall_clock() << std::endl;
    // co_await on a coroutine runs it inline: the second one starts only
    // when the first has finished.
    co_await say_after(1, "hello");
    co_await say_after(2, "world");
    std::cout << "finished at " << example::wall_clock() << std::endl;
}

int main() {
    weft::run(async_main());
}
