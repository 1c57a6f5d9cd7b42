// Mirrors the asyncio.Queue example of the asyncio documentation, with fixed
// sleep times instead of random ones so that the output can be checked:
//
//     async def worker(name, queue):
//         while True:
//             # Get a "work item" out of the queue.
//             sleep_for = await queue.get()
//
//             # Sleep for the "sleep_for" seconds.
//             await asyncio.sleep(sleep_for)
//
//             # Notify the queue that the "work item" has been processed.
//             queue.task_done()
//
//             print(f'{name} has slept for {sleep_for:.2f} seconds')
//
//     async def main():
//         # Create a queue that we will use to store our "workload".
//         queue = asyncio.Queue()
//
//         # Put the timings into the queue.
//         total_sleep_time = 0
//         for sleep_for in (0.25, 0.25, 0.25, 1.5, 0.5, 1.0, 1.5, 1.5):
//             total_sleep_time += sleep_for
//             queue.put_nowait(sleep_for)
//
//         # Create three worker tasks to process the queue concurrently.
//         tasks = []
//         for i in range(3):
//             task = asyncio.create_task(worker(f'worker-{i}', queue))
//             tasks.append(task)
//
//         # Wait until the queue is fully processed.
//         started_at = time.monotonic()
//         await queue.join()
//         total_slept_for = time.monotonic() - started_at
//
//         # Cancel our worker tasks.
//         for task in tasks:
//             task.cancel()
//         # Wait until all worker tasks are cancelled.
//         await asyncio.gather(*tasks, return_exceptions=True)
//
//         print('====')
//         print(f'3 workers slept in parallel for {total_slept_for:.2f} seconds')
//         print(f'total expected sleep time: {total_sleep_time:.2f} seconds')
//
// One difference: the worker prints before task_done(), not after. The last
// task_done() wakes main(), which may run at once on another worker (thread)
// and print "====" before the worker's last line; printing first keeps the
// order of asyncio's output.
//
// The timings are chosen so that the jobs end at distinct moments at least
// half a unit apart (or at the very same moment with the same time), so the
// lines come in a fixed order whichever worker takes which job: the three
// 0.25 jobs end at 0.25, then 0.5 ends at 0.75, 1.0 at 1.25 and the three
// 1.5 jobs at 1.75, 2.25 and 2.75 units.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <chrono>
#include <iomanip>
#include <string>
#include <vector>

weft::coro<> worker(std::string name, weft::queue<double>& queue) {
    for (;;) {
        // Get a "work item" out of the queue.
        double sleep_for = co_await queue.get();

        // Sleep for "sleep_for" units.
        co_await weft::sleep(example::units(sleep_for));

        example::println(name, " has slept for ", std::fixed, std::setprecision(2), sleep_for,
                         " units");

        // Notify the queue that the "work item" has been processed.
        queue.task_done();
    }
}

weft::coro<> async_main() {
    // Create a queue that we will use to store our "workload".
    weft::queue<double> queue;

    // Put the timings into the queue.
    const std::vector<double> timings{0.25, 0.25, 0.25, 1.5, 0.5, 1.0, 1.5, 1.5};
    double total_sleep_time = 0;
    for (double sleep_for : timings) {
        total_sleep_time += sleep_for;
        queue.put_nowait(sleep_for);
    }

    // Create three worker tasks to process the queue concurrently.
    std::vector<weft::task<>> tasks;
    for (int i = 0; i < 3; ++i)
        tasks.push_back(weft::create_task(worker("worker-" + std::to_string(i), queue)));

    // Wait until the queue is fully processed.
    const auto started_at = std::chrono::steady_clock::now();
    co_await queue.join();
    const double total_slept_for =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at) /
        std::chrono::duration<double>(example::unit());

    // Cancel our worker tasks.
    for (auto& task : tasks) task.cancel();
    // Wait until all worker tasks are cancelled.
    auto settled = weft::gather_settled(tasks);
    std::vector<weft::outcome<void>> outcomes = co_await settled;
    int cancelled = 0;
    for (const auto& o : outcomes) cancelled += o.cancelled() ? 1 : 0;

    example::println("====");
    example::println("3 workers slept in parallel for ", std::fixed, std::setprecision(2),
                     total_slept_for, " units");
    example::println("total expected sleep time: ", std::fixed, std::setprecision(2),
                     total_sleep_time, " units");
    example::println("cancelled workers: ", cancelled);
}

int main() {
    weft::run(async_main());
}
