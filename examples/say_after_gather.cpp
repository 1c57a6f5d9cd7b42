// Mirrors the first program of the asyncio notes: two tasks, a sleep, then
// asyncio.gather of three more say_after calls.
//
//     async def main():
//         task1 = asyncio.create_task(say_after(1, 'hello'))
//         task2 = asyncio.create_task(say_after(2, 'world'))
//         print(f"started at {time.strftime('%X')}")
//         await asyncio.sleep(1)
//         await task1
//         await task2
//         await asyncio.gather(
//             say_after(1, 'hello'),
//             say_after(2, 'world'),
//             say_after(3, 'world'),
//         )
//         print(f"finished at {time.strftime('%X')}")
//
// The tasks take 2 seconds (the sleep overlaps with them), the gather 3 more.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <string>

weft::coro<> say_after(double delay, std::string what) {
    co_await weft::sleep(example::units(delay));
    example::println(what);
}

weft::coro<> async_main() {
    weft::task<> task1 = weft::create_task(say_after(1, "hello"));
    weft::task<> task2 = weft::create_task(say_after(2, "world"));

    example::println("started at ", example::wall_clock());

    // Suspends this task and lets the other two run meanwhile.
    co_await weft::sleep(example::unit());

    co_await task1;
    co_await task2;

    // gather wraps each coroutine in a task and waits for all of them.
    co_await weft::gather(say_after(1, "hello"), say_after(2, "world"), say_after(3, "world"));

    example::println("finished at ", example::wall_clock());
}

int main() {
    weft::run(async_main());
}
