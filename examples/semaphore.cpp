// Mirrors asyncio.Semaphore: five workers, at most two at a time.
//
//     async def worker(name, sem, stats):
//         await sem.acquire()
//         stats.running += 1
//         stats.peak = max(stats.peak, stats.running)
//         print(f'{name}: start')
//         await asyncio.sleep(1)
//         print(f'{name}: finish')
//         stats.running -= 1
//         sem.release()
//
//     async def main():
//         sem = asyncio.Semaphore(2)
//         stats = Stats(running=0, peak=0)
//         await asyncio.gather(*(worker(f'worker-{i}', sem, stats)
//                                for i in range(1, 6)))
//         print(f'at most {stats.peak} workers ran at once')
//         print(f'value() at the end: {sem._value}')  # private in asyncio
//
// Two workers run at a time, one unit each: the five take three waves, 3
// units in all. (`async with sem:` would do the same as acquire() and
// release(); the explicit form is shown here.)
//
// The workers run on several workers (threads) at once, so the counts are
// atomics, and which workers make up a wave is not fixed: release() hands
// the permit to the worker that has waited longest, but the five start on
// different threads in no fixed order.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

struct stats {
    std::atomic<int> running{0};
    std::atomic<int> peak{0};
};

weft::coro<> worker(std::string name, weft::semaphore& sem, stats& st) {
    co_await sem.acquire();
    const int now = st.running.fetch_add(1) + 1;
    int peak = st.peak.load();
    while (peak < now && !st.peak.compare_exchange_weak(peak, now)) {
    }
    example::println(name, ": start");
    co_await weft::sleep(example::unit());
    example::println(name, ": finish");
    st.running.fetch_sub(1);
    sem.release();
}

weft::coro<> async_main() {
    weft::semaphore sem(2);
    stats st;

    std::vector<weft::coro<>> workers;
    for (int i = 1; i <= 5; ++i) workers.push_back(worker("worker-" + std::to_string(i), sem, st));
    auto all = weft::gather(std::move(workers));
    co_await all;

    example::println("at most ", st.peak.load(), " workers ran at once");
    example::println("value() at the end: ", sem.value());
}

int main() {
    weft::run(async_main());
}
