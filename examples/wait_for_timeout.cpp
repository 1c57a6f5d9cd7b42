// Mirrors asyncio's timeout program:
//
//     async def eternity():
//         # Sleep for one hour
//         await asyncio.sleep(3600)
//         print('yay!')
//
//     async def main():
//         # Wait for at most 1 second
//         try:
//             await asyncio.wait_for(eternity(), timeout=1.0)
//         except asyncio.TimeoutError:
//             print('timeout!')
//
// On timeout wait_for cancels the inner task and waits until it has finished
// cancelling, so eternity() reports its cancellation before "timeout!".
#include "example_unit.hpp"

#include <weft/weft.hpp>

weft::coro<> eternity() {
    try {
        // Sleep for one hour.
        co_await weft::sleep(3600 * example::unit());
    } catch (const weft::cancelled_error&) {
        example::println("eternity(): cancelled");
        throw;
    }
    example::println("yay!");
}

weft::coro<> async_main() {
    try {
        // Wait for at most one unit.
        co_await weft::wait_for(eternity(), example::unit());
    } catch (const weft::timeout_error&) {
        example::println("timeout!");
    }
}

int main() {
    weft::run(async_main());
}
