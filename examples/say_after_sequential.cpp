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

#include <string>

weft::coro<> say_after(double delay, std::string what) {
    co_await weft::sleep(example::units(delay));
    example::println(what);
}

weft::coro<> async_main() {
    example::println("started at ", example::wall_clock());
    // co_await on a coroutine runs it inline: the second one starts only
    // when the first has finished.
    co_await say_after(1, "hello");
    co_await say_after(2, "world");
    example::println("finished at ", example::wall_clock());
}

int main() {
    weft::run(async_main());
}
