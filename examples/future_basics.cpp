// Mirrors asyncio.Future from the asyncio notes:
//
//     fut = loop.create_future()
//     loop.call_later(1, fut.set_result, 42)
//     print(await fut)
//
// and set_exception(), cancel(), result() and the InvalidStateError raised
// by result() while pending and by a second set_result().
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <chrono>
#include <stdexcept>

using namespace std::chrono_literals;

weft::coro<> async_main() {
    weft::event_loop& loop = weft::get_running_loop();

    // A future completed by a timer callback, one unit from now.
    weft::future<int> fut = loop.create_future<int>();
    loop.call_later(example::unit(), [fut]() mutable { fut.set_result(42); });
    fut.add_done_callback([](weft::future<int> done) {
        example::println("done callback: result ", done.result());
    });
    example::println("done(): ", fut.done());
    try {
        fut.result();
    } catch (const weft::invalid_state_error&) {
        example::println("result() while pending: invalid_state_error");
    }
    int value = co_await fut;
    co_await weft::sleep(0s);  // the done callback runs soon after, on the loop
    example::println("awaited: ", value, ", done(): ", fut.done());
    try {
        fut.set_result(1);
    } catch (const weft::invalid_state_error&) {
        example::println("set_result() twice: invalid_state_error");
    }

    // A future holding an exception: awaiting it throws.
    weft::future<int> failed = loop.create_future<int>();
    failed.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
    try {
        co_await failed;
    } catch (const std::runtime_error& e) {
        example::println("awaiting a failed future throws: ", e.what());
    }
    example::println("exception() is set: ", static_cast<bool>(failed.exception()));

    // A cancelled future.
    weft::future<int> cancelled = loop.create_future<int>();
    const bool cancel_result = cancelled.cancel();
    example::println("cancel(): ", cancel_result, ", cancelled(): ", cancelled.cancelled());
    try {
        cancelled.result();
    } catch (const weft::cancelled_error&) {
        example::println("result() of a cancelled future: cancelled_error");
    }
    example::println("cancel() again: ", cancelled.cancel());
}

int main() {
    weft::run(async_main());
}
