// Mirrors asyncio's say_after program with create_task: both coroutines
// run concurrently, so it takes 2 seconds instead of 3.
//
//     async def main():
//         task1 = asyncio.create_task(say_after(1, 'hello'))
//         task2 = asyncio.create_task(say_after(2, 'world'))
//         print(f"started at {time.strftime('%X')}")
//         # Wait until both tasks are completed (should take around 2 seconds.)
//         await task1
//         await task2
//         print(f"finished at {time.strftime('%X')}")
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <string>

weft::coro<> say_after(double delay, std::string what) {
    co_await weft::sleep(example::units(delay));
    example::println(what);
}

weft::coro<> async_main() {
    // create_task schedules the coroutine at once; it starts running as soon
    // as this task suspends.
    weft::task<> task1 = weft::create_task(say_after(1, "hello"));
    weft::task<> task2 = weft::create_task(say_after(2, "world"));

    example::println("started at ", example::wall_clock());

    co_await task1;
    co_await task2;

    example::println("finished at ", example::wall_clock());
}

int main() {
    weft::run(async_main());
}
