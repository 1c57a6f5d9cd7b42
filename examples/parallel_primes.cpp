// A CPU-bound step parallelised with tbb::parallel_for inside
// run_in_executor, while the event loop keeps serving a timer.
//
//     async def ticker(stop):
//         ticks = 0
//         while not stop.is_set():
//             await asyncio.sleep(0.2)
//             ticks += 1
//         return ticks
//
//     async def main():
//         stop = asyncio.Event()
//         t = asyncio.create_task(ticker(stop))
//         n = await loop.run_in_executor(None, count_primes, 3_000_000)
//         stop.set()
//         print('primes below 3000000:', n)
//         print('timer ticks during the computation:', await t)
//
// Python would need a process pool for this; in weft the default executor
// is a oneTBB arena, and the function given to it may split its range with
// tbb::parallel_for over every core of the arena. The loops stay free: the
// ticker keeps firing while the arena computes. The wall time of the
// computation, and of the same count done serially on the arena, go to
// stderr (bench/RESULTS.md records the speed-up).
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_reduce.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>

namespace {

bool is_prime(std::uint32_t n) {
    if (n < 2) return false;
    for (std::uint32_t d = 2; d * d <= n; ++d)
        if (n % d == 0) return false;
    return true;
}

std::uint64_t count_primes_serial(std::uint32_t below) {
    std::uint64_t count = 0;
    for (std::uint32_t n = 0; n < below; ++n) count += is_prime(n);
    return count;
}

std::uint64_t count_primes_parallel(std::uint32_t below) {
    return oneapi::tbb::parallel_reduce(
        oneapi::tbb::blocked_range<std::uint32_t>(0, below, 4096), std::uint64_t{0},
        [](const oneapi::tbb::blocked_range<std::uint32_t>& r, std::uint64_t count) {
            for (std::uint32_t n = r.begin(); n != r.end(); ++n) count += is_prime(n);
            return count;
        },
        std::plus<>());
}

weft::coro<int> ticker(weft::event& stop) {
    int ticks = 0;
    while (!stop.is_set()) {
        co_await weft::sleep(example::units(0.2));
        ++ticks;
    }
    co_return ticks;
}

double ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

weft::coro<> amain() {
    constexpr std::uint32_t below = 3'000'000;
    weft::event stop;
    auto ticks = weft::create_task(ticker(stop));

    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t n = co_await weft::run_in_executor(nullptr, count_primes_parallel, below);
    const double parallel_ms = ms_since(t0);
    stop.set();
    example::println("primes below ", below, ": ", n);
    const int during = co_await ticks;
    example::println("timer ticks during the computation: ", during > 0 ? "some" : "none");

    const auto t1 = std::chrono::steady_clock::now();
    const std::uint64_t serial = co_await weft::run_in_executor(nullptr, count_primes_serial, below);
    const double serial_ms = ms_since(t1);
    example::println("serial count agrees: ", serial == n);
    std::fprintf(stderr, "parallel_primes: parallel %.1f ms, serial %.1f ms, speed-up %.2fx, %d ticks\n",
                 parallel_ms, serial_ms, serial_ms / parallel_ms, during);
}

int main() { weft::run(amain()); }
