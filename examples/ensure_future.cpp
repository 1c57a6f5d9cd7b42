// Mirrors asyncio.ensure_future from the asyncio notes:
//
//     async def main():
//         ef = asyncio.ensure_future(asyncio.sleep(3))
//         await ef
//
// ensure_future turns a coroutine into a task scheduled at once; a task (or
// a future) is returned as it is.
#include "example_unit.hpp"

#include <weft/weft.hpp>

weft::coro<> sleep_units(double n) {
    co_await weft::sleep(example::units(n));
}

weft::coro<> async_main() {
    weft::task<> ef = weft::ensure_future(sleep_units(3));
    example::println("scheduled, done() = ", ef.done());
    example::println("ensure_future(task) is the same task: ", (weft::ensure_future(ef) == ef));
    co_await ef;
    example::println("awaited, done() = ", ef.done());
}

int main() {
    weft::run(async_main());
}
