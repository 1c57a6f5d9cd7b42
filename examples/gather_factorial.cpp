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
// The output interleaves as asyncio's, one step per unit. Within a step the
// order may differ: asyncio runs A, B and C one after the other on its one
// thread, while weft's workers may run them at the same time, so the lines
// printed in the same unit come in any order.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <string>

weft::coro<> factorial(std::string name, int number) {
    long f = 1;
    for (int i = 2; i <= number; ++i) {
        // The tasks may print from two workers at once: one write per line.
        example::println("Task ", name, ": Compute factorial(", i, ")...");
        co_await weft::sleep(example::unit());
        f *= i;
    }
    example::println("Task ", name, ": factorial(", number, ") = ", f);
}

weft::coro<> async_main() {
    co_await weft::gather(factorial("A", 2), factorial("B", 3), factorial("C", 4));
}

int main() {
    weft::run(async_main());
}
