// Mirrors asyncio.as_completed from the asyncio notes:
//
//     async def main():
//         for fs in asyncio.as_completed([foo(i) for i in range(10)]):
//             res = await fs
//             print(res)
//
// foo(i) returns len(range(i)) == i after sleeping (10 - i) tenths of a unit,
// so the results arrive in completion order: 9, 8, ..., 0.
//
// asyncio fires all the timers from one queue, in deadline order even when
// it wakes late. weft's tasks are spread over the workers, each with its own
// timers, so two results only 0.1 unit apart may swap when a worker wakes
// late (e.g. more workers than cores on a busy machine).
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <vector>

weft::coro<int> foo(int i) {
    co_await weft::sleep(example::units((10 - i) * 0.1));
    co_return i;
}

weft::coro<> async_main() {
    std::vector<weft::coro<int>> coros;
    for (int i = 0; i < 10; ++i) coros.push_back(foo(i));

    // as_completed wraps the coroutines in tasks at once; each `next` awaits
    // whichever task finishes next.
    for (auto next : weft::as_completed(std::move(coros))) {
        int res = co_await next;
        example::println(res);
    }
}

int main() {
    weft::run(async_main());
}
