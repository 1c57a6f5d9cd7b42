// Mirrors asyncio.gather from the asyncio notes:
//
//     async def foo(value):
//         await asyncio.sleep(1)
//         return len(range(value))
//
//     async def gather_main():
//         result_list = await asyncio.gather(foo(100), foo(10000), foo(1000000))
//         for ele in result_list:
//             print(ele)
//
// gather of several coroutines gives a std::tuple; gather of a std::vector
// gives a std::vector. Either way results come in argument order.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <vector>

weft::coro<long> foo(long value) {
    co_await weft::sleep(example::unit());
    co_return value;  // len(range(value))
}

weft::coro<> gather_main() {
    auto [a, b, c] = co_await weft::gather(foo(100), foo(10000), foo(1000000));
    example::println(a);
    example::println(b);
    example::println(c);

    std::vector<weft::coro<long>> coros;
    coros.push_back(foo(100));
    coros.push_back(foo(10000));
    coros.push_back(foo(1000000));
    std::vector<long> result_list = co_await weft::gather(std::move(coros));
    for (long ele : result_list) example::println(ele);
}

int main() {
    weft::run(gather_main());
}
