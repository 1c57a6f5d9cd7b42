// Mirrors asyncio.Condition: consumers wait for a producer's notify.
//
//     async def consumer(name, cond, state):
//         async with cond:
//             print(f'{name}: waiting')
//             await cond.wait()
//             print(f'{name}: woken up, item = {state.item}')
//
//     async def watcher(cond, state):
//         async with cond:
//             print('watcher: waiting for closing')
//             await cond.wait_for(lambda: state.closing)
//             print('watcher: closing is set')
//
//     async def main():
//         cond = asyncio.Condition()
//         state = State(item=None, closing=False)
//         consumers = [asyncio.create_task(consumer(f'consumer-{i}', cond, state))
//                      for i in (1, 2, 3)]
//         await asyncio.sleep(1)  # every consumer is waiting by now
//
//         async with cond:
//             state.item = 'first'
//             print('producer: notify(1)')
//             cond.notify(1)      # wakes one consumer
//
//         watcher_task = asyncio.create_task(watcher(cond, state))
//         await asyncio.sleep(1)
//
//         async with cond:
//             state.item = 'second'
//             state.closing = True
//             print('producer: notify_all()')
//             cond.notify_all()   # wakes the two other consumers and the watcher
//
//         await asyncio.gather(*consumers, watcher_task)
//         print(f'locked() at the end: {cond.locked()}')
//
// `auto g = co_await cv.scoped();` is the C++ spelling of `async with cond:`.
// wait() releases the lock while it waits and takes it back before it
// returns; wait_for(pred) waits until pred() is true, checking it with the
// lock held (the watcher is woken by notify_all() with closing set).
//
// The watcher is created only after notify(1): notify(1) wakes the waiter
// that came first, and the tasks start on several workers in no fixed order,
// so a watcher waiting already might take that notification and go back to
// waiting, leaving every consumer asleep.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <string>
#include <vector>

struct shared_state {
    std::string item = "none";  // these two are only touched with the lock held
    bool closing = false;
};

weft::coro<> consumer(std::string name, weft::condition& cv, shared_state& state) {
    auto g = co_await cv.scoped();
    example::println(name, ": waiting");
    co_await cv.wait();
    example::println(name, ": woken up, item = ", state.item);
}

weft::coro<> watcher(weft::condition& cv, shared_state& state) {
    auto g = co_await cv.scoped();
    example::println("watcher: waiting for closing");
    // The predicate is named first: a lambda temporary inside a co_await
    // expression is one of the g++ 12 traps (docs/api.md, "Using g++ 12").
    auto closing = [&state] { return state.closing; };
    co_await cv.wait_for(closing);
    example::println("watcher: closing is set");
}

weft::coro<> async_main() {
    weft::condition cv;
    shared_state state;

    std::vector<weft::task<>> tasks;
    for (int i = 1; i <= 3; ++i)
        tasks.push_back(weft::create_task(consumer("consumer-" + std::to_string(i), cv, state)));
    co_await weft::sleep(example::unit());  // every consumer is waiting by now

    {
        auto g = co_await cv.scoped();
        state.item = "first";
        example::println("producer: notify(1)");
        cv.notify(1);  // wakes one consumer
    }

    tasks.push_back(weft::create_task(watcher(cv, state)));
    co_await weft::sleep(example::unit());

    {
        auto g = co_await cv.scoped();
        state.item = "second";
        state.closing = true;
        example::println("producer: notify_all()");
        cv.notify_all();  // wakes the two other consumers and the watcher
    }

    auto all = weft::gather(std::move(tasks));
    co_await all;
    example::println("locked() at the end: ", cv.locked());
}

int main() {
    weft::run(async_main());
}
