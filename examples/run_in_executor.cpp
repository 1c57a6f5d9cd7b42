// Mirrors the run_in_executor example of asyncio's event loop documentation:
// a blocking read and a CPU-bound sum leave the event loop for executors.
//
//     import asyncio, concurrent.futures
//
//     def blocking_io():
//         # File operations (such as logging) can block the event loop.
//         with open('/dev/urandom', 'rb') as f:
//             return f.read(100)
//
//     def cpu_bound():
//         # CPU-bound operations will block the event loop.
//         return sum(i * i for i in range(10 ** 7))
//
//     async def main():
//         loop = asyncio.get_running_loop()
//
//         # 1. Run in the default loop's executor:
//         result = await loop.run_in_executor(None, blocking_io)
//         print('default thread pool', result)
//
//         # 2. Run in a custom thread pool:
//         with concurrent.futures.ThreadPoolExecutor() as pool:
//             result = await loop.run_in_executor(pool, blocking_io)
//             print('custom thread pool', result)
//
//         # 3. Run in a custom process pool:
//         with concurrent.futures.ProcessPoolExecutor() as pool:
//             result = await loop.run_in_executor(pool, cpu_bound)
//             print('custom process pool', result)
//
//     asyncio.run(main())
//
// In weft the default executor (nullptr) is a oneTBB arena, meant for CPU
// work; blocking calls go to weft::to_thread or a thread_pool_executor,
// because a call sleeping in the kernel would hold an arena slot. CPU-bound
// work needs no process pool (there is no GIL): a tbb_executor runs it on
// every core. The program prints the byte counts, not the random bytes,
// and sums up to 10**6 (10**7 squares overflow 64 bits).
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <cstdint>
#include <fstream>
#include <string>
#include <thread>

std::string blocking_io() {
    std::ifstream f("/dev/urandom", std::ios::binary);
    std::string bytes(100, '\0');
    f.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(f.gcount()));
    return bytes;
}

std::uint64_t cpu_bound() {
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < 1'000'000; ++i) sum += i * i;
    return sum;
}

weft::coro<> amain() {
    weft::event_loop& loop = weft::get_running_loop();

    // 1. The default executor (a oneTBB arena) with a short CPU-bound call,
    //    and the default blocking pool through to_thread.
    auto small_sum = [] {
        std::uint64_t s = 0;
        for (std::uint64_t i = 0; i < 1000; ++i) s += i * i;
        return s;
    };
    const std::uint64_t small = co_await loop.run_in_executor(nullptr, small_sum);
    example::println("default executor ", small);
    const std::string read1 = co_await weft::to_thread(blocking_io);
    example::println("default thread pool ", read1.size(), " bytes");

    // 2. A custom thread pool.
    {
        weft::thread_pool_executor pool;
        const std::string read2 = co_await loop.run_in_executor(&pool, blocking_io);
        example::println("custom thread pool ", read2.size(), " bytes");
    }

    // 3. A custom oneTBB arena for the CPU-bound call.
    {
        weft::tbb_executor arena;
        const std::uint64_t sum = co_await loop.run_in_executor(&arena, cpu_bound);
        example::println("custom tbb arena ", sum);
    }
}

int main() { weft::run(amain()); }
