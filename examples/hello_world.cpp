// Mirrors the first asyncio program:
//
//     async def main():
//         print('hello')
//         await asyncio.sleep(1)
//         print('world')
//
//     asyncio.run(main())
#include "example_unit.hpp"

#include <weft/weft.hpp>

weft::coro<> async_main() {
    example::println("hello");
    co_await weft::sleep(example::unit());
    example::println("world");
}

int main() {
    weft::run(async_main());
}
