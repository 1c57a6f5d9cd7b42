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

#include <iostream>

weft::coro<> async_main() {
    std::cout << "hello" << std::endl;
    co_await weft::sleep(example::unit());
    std::cout << "world" << std::endl;
}

int main() {
    weft::run(async_main());
}
