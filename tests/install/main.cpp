// Uses only the documented API of an installed weft.
#include <weft/weft.hpp>

#include <chrono>

weft::coro<int> answer() {
    co_await weft::sleep(std::chrono::milliseconds(1));
    co_return 42;
}

int main() { return weft::run(answer()) == 42 ? 0 : 1; }
