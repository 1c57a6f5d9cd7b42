// Mirrors asyncio.wait from the asyncio notes:
//
//     done, pending = await asyncio.wait({foo(100), foo(10000), foo(1000000)},
//                                        return_when=FIRST_COMPLETED)
//
//     done_set, pending = await asyncio.wait({foo(100), foo(10000), foo(10000)})
//     for d in done_set:
//         print(d.result())
//
// wait() takes tasks (or futures) and returns {done, pending} without
// cancelling anything; here the pending tasks are cancelled by hand.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <vector>

// Sleeps `delay` units, then returns len(range(value)) == value.
weft::coro<long> foo(long value, double delay) {
    co_await weft::sleep(example::units(delay));
    co_return value;
}

weft::coro<> first_completed() {
    std::vector<weft::task<long>> tasks;
    tasks.push_back(weft::create_task(foo(100, 1)));
    tasks.push_back(weft::create_task(foo(10000, 2)));
    tasks.push_back(weft::create_task(foo(1000000, 3)));

    auto [done, pending] = co_await weft::wait(tasks, {.return_when = weft::first_completed});
    for (auto& d : done) example::println("done: ", d.result());
    example::println("pending: ", pending.size());

    for (auto& p : pending) p.cancel();
    // Wait until the cancelled tasks have finished.
    co_await weft::wait(pending);
    for (auto& p : pending) example::println("cancelled: ", p.cancelled());
}

weft::coro<> all_completed() {
    std::vector<weft::task<long>> tasks;
    tasks.push_back(weft::create_task(foo(100, 1)));
    tasks.push_back(weft::create_task(foo(10000, 1)));
    tasks.push_back(weft::create_task(foo(10000, 1)));

    // return_when defaults to all_completed.
    auto [done, pending] = co_await weft::wait(tasks);
    for (auto& d : done) example::println(d.result());
    example::println("pending: ", pending.size());
}

weft::coro<> async_main() {
    co_await first_completed();
    co_await all_completed();
}

int main() {
    weft::run(async_main());
}
