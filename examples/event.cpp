// Mirrors asyncio's Event example:
//
//     async def waiter(event):
//         print('waiting for it ...')
//         await event.wait()
//         print('... got it!')
//
//     async def main():
//         # Create an Event object.
//         event = asyncio.Event()
//
//         # Spawn a Task to wait until 'event' is set.
//         waiter_task = asyncio.create_task(waiter(event))
//
//         # Sleep for 1 second and set the event.
//         await asyncio.sleep(1)
//         event.set()
//
//         # Wait until the waiter task is finished.
//         await waiter_task
//
//     asyncio.run(main())
#include "example_unit.hpp"

#include <weft/weft.hpp>

weft::coro<> waiter(weft::event& event) {
    example::println("waiting for it ...");
    co_await event.wait();
    example::println("... got it!");
}

weft::coro<> async_main() {
    // Create an event object.
    weft::event event;

    // Spawn a task to wait until `event` is set.
    weft::task<> waiter_task = weft::create_task(waiter(event));

    // Sleep for one unit and set the event.
    co_await weft::sleep(example::unit());
    event.set();

    // Wait until the waiter task is finished.
    co_await waiter_task;
}

int main() {
    weft::run(async_main());
}
