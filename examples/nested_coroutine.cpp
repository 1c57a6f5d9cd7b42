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
#include <weft/weft.hpp>

#include <iostream>

weft::coro<int> nested() {
    std::cout << "nested() runs" << std::endl;
    co_return 42;
}

weft::coro<> async_main() {
    std::cout << "calling nested() without awaiting it" << std::endl;
    {
        // Creates the coroutine; its body never runs. (Python warns
        // "coroutine was never awaited"; weft reports it in debug mode,
        // WEFT_DEBUG=1.)
        weft::coro<int> never_awaited = nested();
    }

    std::cout << "awaiting nested()" << std::endl;
    std::cout << co_await nested() << std::endl;

    std::cout << "create_task(nested())" << std::endl;
    weft::task<int> task = weft::create_task(nested());
    // The task is scheduled but has not run yet: this task has not suspended.
    std::cout << "task created, done() = " << std::boolalpha << task.done() << std::endl;
    int value = co_await task;
    std::cout << "task result: " << value << std::endl;
}

int main() {
    weft::run(async_main());
}
