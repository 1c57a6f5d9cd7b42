// Mirrors asyncio's "running tasks concurrently" program:
//
//     async def factorial(name, number):
//         f = 1
//         for i in range(2, number + 1):
//             print(f"Task {name}: Compute factorial({i})...")
//             await asyncio.sleep(1)
//             f *= i
//         print(f"Task {name}: factorial({number}) = {f}")
//
//     async def main():
//         # Schedule three calls *concurrently*:
//         await asyncio.gather(
//             factorial("A", 2),
//             factorial("B", 3),
//             factorial("C", 4),
//         )
//
// The output interleaves exactly as asyncio's.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <iostream>
#include <string>

weft::coro<> factorial(std::string name, int number) {
    long f = 1;
    for (int i = 2; i <= number; ++i) {
        std::cout << "Task " << name << ": Compute factorial(" << i << ")..." << std::endl;
        co_await weft::sleep(example::unit());
        f *= i;
    }
    std::cout << "Task " << name << ": factorial(" << number << ") = " << f << std::endl;
}

weft::coro<> async_main() {
    co_await weft::gather(factorial("A", 2), factorial("B", 3), factorial("C", 4));
}

int main() {
    weft::run(async_main());
}
