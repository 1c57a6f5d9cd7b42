// Mirrors asyncio.shield from the asyncio notes:
//
//     async def main():
//         res = await asyncio.shield(say_later(1, 'hahaha'))
//
// shield() protects what it awaits from cancellation: here the task that
// awaits the shield is cancelled after half a unit. It gets cancelled_error
// at once, while the shielded say_later() keeps running and still prints.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <string>

weft::coro<std::string> say_later(double delay, std::string what) {
    co_await weft::sleep(example::units(delay));
    example::println(what);
    co_return what;
}

weft::coro<> outer(weft::task<std::string> inner) {
    try {
        std::string res = co_await weft::shield(inner);
        example::println("outer(): got ", res);
    } catch (const weft::cancelled_error&) {
        example::println("outer(): cancelled while awaiting the shield");
        throw;
    }
}

weft::coro<> async_main() {
    weft::task<std::string> inner = weft::create_task(say_later(1, "hahaha"));
    weft::task<> outer_task = weft::create_task(outer(inner));

    co_await weft::sleep(example::units(0.5));
    example::println("main(): cancelling outer()");
    outer_task.cancel();
    try {
        co_await outer_task;
    } catch (const weft::cancelled_error&) {
        example::println("main(): outer cancelled = ", outer_task.cancelled(),
                         ", inner done = ", inner.done());
    }

    // The shielded task was not cancelled: it finishes on time.
    std::string res = co_await inner;
    example::println("main(): inner result = ", res);
}

int main() {
    weft::run(async_main());
}
