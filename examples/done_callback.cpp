// Mirrors asyncio's add_done_callback program:
//
//     async def calculate_task(a, b, t):
//         print("start calculate at {}".format(time.time()))
//         await asyncio.sleep(t)
//         print("finished")
//         return a + b
//
//     def done_callback(*args):
//         print("finished callback")
//         r = args[0].result()
//         print("result is {}".format(r))
//         print("now is {}".format(time.time()))
//
//     async def main():
//         task1 = asyncio.create_task(calculate_task(1, 3, 5))
//         task2 = asyncio.create_task(calculate_task(1, 6, 3))
//         task1.add_done_callback(done_callback)
//         task2.add_done_callback(done_callback)
//         await task1
//         await task2
//
//     t = time.time()
//     asyncio.run(main())
//     print("total time is {}".format(time.time() - t))
//
// task2 sleeps less, so it finishes (and its callback runs) first. A
// done-callback runs on the loop soon after the task is done, never inside
// the task itself. Times print with six decimals (std::fixed,
// std::setprecision(6)), which println applies to its line.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <chrono>
#include <iomanip>

// Seconds since the Unix epoch, like Python's time.time().
double unix_time() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

weft::coro<int> calculate_task(int a, int b, double t) {
    // Both tasks start at once, possibly on two workers: one write per line.
    example::println("start calculate at ", std::fixed, std::setprecision(6), unix_time());
    co_await weft::sleep(example::units(t));
    example::println("finished");
    co_return a + b;
}

void done_callback(weft::task<int>& task) {
    example::println("finished callback");
    int r = task.result();
    example::println("result is ", r);
    example::println("now is ", std::fixed, std::setprecision(6), unix_time());
}

weft::coro<> async_main() {
    weft::task<int> task1 = weft::create_task(calculate_task(1, 3, 5));
    weft::task<int> task2 = weft::create_task(calculate_task(1, 6, 3));
    task1.add_done_callback(done_callback);
    task2.add_done_callback(done_callback);
    co_await task1;
    co_await task2;
}

int main() {
    const auto start = std::chrono::steady_clock::now();
    weft::run(async_main());
    const std::chrono::duration<double> total = std::chrono::steady_clock::now() - start;
    example::println("total time is ", std::fixed, std::setprecision(6), total.count());
}
