// Mirrors the asyncio.Task API listed in the asyncio notes:
//
//     cancel() cancelled() done() result() exception()
//     add_done_callback(cb) remove_done_callback(cb)
//     get_name() set_name() get_stack() print_stack()
//
// result() raises InvalidStateError while the task is pending and
// CancelledError once it is cancelled; exception() returns what the task
// raised.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

weft::coro<int> compute(int value) {
    co_await weft::sleep(example::unit());
    co_return value;
}

weft::coro<int> work(int value) {
    int result = co_await compute(value);  // an inner coroutine: two stack frames
    co_return result;
}

weft::coro<int> fail() {
    co_await weft::sleep(example::units(0.1));
    throw std::runtime_error("boom");
}

weft::coro<> async_main() {
    weft::task<int> t = weft::create_task(work(7), {.name = "worker"});
    example::println("get_name(): ", t.get_name());
    t.set_name("renamed");
    example::println("after set_name(): ", t.get_name());
    example::println("done(): ", t.done(), ", cancelled(): ", t.cancelled());
    try {
        t.result();
    } catch (const weft::invalid_state_error&) {
        example::println("result() while pending: invalid_state_error");
    }

    // Let the task start: it is now suspended in compute()'s sleep.
    co_await weft::sleep(0s);
    // The async stack: the task's coroutine and the one it awaits, innermost last.
    std::string frames;
    for (const weft::stack_frame& frame : t.get_stack()) frames += " " + frame.function;
    example::println("get_stack():", frames);
    std::ostringstream stack;
    t.print_stack(stack);
    std::string first_line = stack.str().substr(0, stack.str().find('\n'));
    example::println("print_stack(): ", first_line);

    auto kept = [](weft::task<int>& done) {
        example::println("done callback: result ", done.result());
    };
    auto removed = [](weft::task<int>&) { example::println("never printed"); };
    t.add_done_callback(kept);
    std::size_t id = t.add_done_callback(removed);
    example::println("remove_done_callback(): ", t.remove_done_callback(id));

    int value = co_await t;
    co_await weft::sleep(0s);  // the done callback runs soon after, on the loop
    example::println("awaited: ", value, ", result(): ", t.result());
    example::println("done(): ", t.done(), ", exception() is null: ", !t.exception());

    weft::task<int> failing = weft::create_task(fail());
    try {
        co_await failing;
    } catch (const std::runtime_error& e) {
        example::println("awaiting a failed task throws: ", e.what());
    }
    try {
        std::rethrow_exception(failing.exception());
    } catch (const std::runtime_error& e) {
        example::println("exception(): ", e.what());
    }

    weft::task<int> victim = weft::create_task(compute(0));
    co_await weft::sleep(0s);
    example::println("cancel(): ", victim.cancel());
    try {
        co_await victim;
    } catch (const weft::cancelled_error&) {
        example::println("awaiting a cancelled task throws cancelled_error");
    }
    example::println("cancelled(): ", victim.cancelled());
    try {
        victim.result();
    } catch (const weft::cancelled_error&) {
        example::println("result() of a cancelled task: cancelled_error");
    }
    example::println("cancel() on a done task: ", victim.cancel());
}

int main() {
    weft::run(async_main());
}
