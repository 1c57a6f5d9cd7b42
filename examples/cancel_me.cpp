// Mirrors asyncio's task cancellation program:
//
//     async def cancel_me():
//         print('cancel_me(): before sleep')
//         try:
//             # Wait for 1 hour
//             await asyncio.sleep(3600)
//         except asyncio.CancelledError:
//             print('cancel_me(): cancel sleep')
//             raise
//         finally:
//             print('cancel_me(): after sleep')
//
//     async def main():
//         # Create a "cancel_me" Task
//         task = asyncio.create_task(cancel_me())
//         # Wait for 1 second
//         await asyncio.sleep(1)
//         task.cancel()
//         try:
//             await task
//         except asyncio.CancelledError:
//             print("main(): cancel_me is cancelled now")
//
// C++ has no `finally`: a guard object's destructor plays its part.
#include "example_unit.hpp"

#include <weft/weft.hpp>

weft::coro<> cancel_me() {
    example::println("cancel_me(): before sleep");

    struct finally {
        ~finally() { example::println("cancel_me(): after sleep"); }
    } after_sleep;

    try {
        // Wait for one hour.
        co_await weft::sleep(3600 * example::unit());
    } catch (const weft::cancelled_error&) {
        example::println("cancel_me(): cancel sleep");
        throw;
    }
}

weft::coro<> async_main() {
    weft::task<> task = weft::create_task(cancel_me());

    // Wait for one unit.
    co_await weft::sleep(example::unit());

    task.cancel();
    try {
        co_await task;
    } catch (const weft::cancelled_error&) {
        example::println("main(): cancel_me is cancelled now");
    }
}

int main() {
    weft::run(async_main());
}
