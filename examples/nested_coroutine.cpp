// Mirrors asyncio's "Awaitables" programs: a coroutine object does nothing
// until it is awaited or wrapped in a task.
//
//     async def nested():
//         return 42
//
//     async def main():
//         # Nothing happens if we just call "nested()".
//         nested()
//         # Let's do it differently now and await it:
//         print(await nested())  # will print "42".
//
//         # Schedule nested() to run soon concurrently with "main()".
//         task = asyncio.create_task(nested())
//         await task
//
// nested() here also prints a line, to show when its body runs.
#include "example_unit.hpp"

#include <weft/weft.hpp>

weft::coro<int> nested() {
    example::println("nested() runs");
    co_return 42;
}

weft::coro<> async_main() {
    example::println("calling nested() without awaiting it");
    {
        // Creates the coroutine; its body never runs. (Python warns
        // "coroutine was never awaited"; weft reports it in debug mode,
        // WEFT_DEBUG=1.)
        weft::coro<int> never_awaited = nested();
    }

    example::println("awaiting nested()");
    example::println(co_await nested());

    example::println("create_task(nested())");
    weft::task<int> task = weft::create_task(nested());
    // The task is scheduled but has not run yet: this task has not suspended.
    example::println("task created, done() = ", task.done());
    int value = co_await task;
    example::println("task result: ", value);
}

int main() {
    weft::run(async_main());
}
