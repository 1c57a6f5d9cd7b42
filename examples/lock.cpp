// Mirrors asyncio.Lock: three tasks update a shared counter, one at a time.
//
//     async def worker(name, lock, shared):
//         async with lock:
//             value = shared.counter
//             print(f'{name}: has the lock (locked() = {lock.locked()}), '
//                   f'counter = {value}')
//             # Without the lock, the other workers would read the same
//             # value meanwhile and the counter would end at 1.
//             await asyncio.sleep(0.5)
//             shared.counter = value + 1
//             print(f'{name}: releases the lock, counter = {shared.counter}')
//
//     async def main():
//         lock = asyncio.Lock()
//         shared = Shared(counter=0)
//         print(f'locked() before: {lock.locked()}')
//         await asyncio.gather(
//             worker('worker-1', lock, shared),
//             worker('worker-2', lock, shared),
//             worker('worker-3', lock, shared),
//         )
//         print(f'locked() after: {lock.locked()}')
//         print(f'counter = {shared.counter}')
//
//         # The explicit form of `async with lock:`.
//         await lock.acquire()
//         try:
//             print(f'acquire(): locked() = {lock.locked()}')
//         finally:
//             lock.release()
//         print(f'release(): locked() = {lock.locked()}')
//
// `auto g = co_await lk.scoped();` is the C++ spelling of `async with lock:`:
// the guard releases the lock when it leaves its scope.
//
// The workers run on several workers (threads), so which of them gets the
// lock first is not fixed; the counter values they print are, since the
// lock lets only one of them in at a time.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <string>

weft::coro<> worker(std::string name, weft::lock& lk, int& counter) {
    auto g = co_await lk.scoped();
    const int value = counter;
    example::println(name, ": has the lock (locked() = ", lk.locked(), "), counter = ", value);
    co_await weft::sleep(example::units(0.5));
    counter = value + 1;
    example::println(name, ": releases the lock, counter = ", counter);
    // g leaves its scope here and releases the lock.
}

weft::coro<> async_main() {
    weft::lock lk;
    int counter = 0;  // only touched with lk held

    example::println("locked() before: ", lk.locked());
    auto all = weft::gather(worker("worker-1", lk, counter), worker("worker-2", lk, counter),
                            worker("worker-3", lk, counter));
    co_await all;
    example::println("locked() after: ", lk.locked());
    example::println("counter = ", counter);

    // The explicit form. Nothing between acquire() and release() can throw
    // here; code that can should hold a lock_guard (scoped()) instead.
    co_await lk.acquire();
    example::println("acquire(): locked() = ", lk.locked());
    lk.release();
    example::println("release(): locked() = ", lk.locked());
}

int main() {
    weft::run(async_main());
}
