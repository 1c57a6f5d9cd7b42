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
#include <iostream>
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
    std::cout << std::boolalpha;

    weft::task<int> t = weft::create_task(work(7), {.name = "worker"});
    std::cout << "get_name(): " << t.get_name() << std::endl;
    t.set_name("renamed");
    std::cout << "after set_name(): " << t.get_name() << std::endl;
    std::cout << "done(): " << t.done() << ", cancelled(): " << t.cancelled() << std::endl;
    try {
        t.result();
    } catch (const weft::invalid_state_error&) {
        std::cout << "result() while pending: invalid_state_error" << std::endl;
    }

    // Let the task start: it is now suspended in compute()'s sleep.
    co_await weft::sleep(0s);
    // The async stack: the task's coroutine and the one it awaits, innermost last.
    std::cout << "get_stack():";
    for (const weft::stack_frame& frame : t.get_stack()) std::cout << ' ' << frame.function;
    std::cout << std::endl;
    std::ostringstream stack;
    t.print_stack(stack);
    std::string first_line = stack.str().substr(0, stack.str().find('\n'));
    std::cout << "print_stack(): " << first_line << std::endl;

    auto kept = [](weft::task<int>& done) {
        std::cout << "done callback: result " << done.result() << std::endl;
    };
    auto removed = [](weft::task<int>&) { std::cout << "never printed" << std::endl; };
    t.add_done_callback(kept);
    std::size_t id = t.add_done_callback(removed);
    std::cout << "remove_done_callback(): " << t.remove_done_callback(id) << std::endl;

    int value = co_await t;
    co_await weft::sleep(0s);  // the done callback runs soon after, on the loop
    std::cout << "awaited: " << value << ", result(): " << t.result() << std::endl;
    std::cout << "done(): " << t.done() << ", exception() is null: " << !t.exception() << std::endl;

    weft::task<int> failing = weft::create_task(fail());
    try {
        co_await failing;
    } catch (const std::runtime_error& e) {
        std::cout << "awaiting a failed task throws: " << e.what() << std::endl;
    }
    try {
        std::rethrow_exception(failing.exception());
    } catch (const std::runtime_error& e) {
        std::cout << "exception(): " << e.what() << std::endl;
    }

    weft::task<int> victim = weft::create_task(compute(0));
    co_await weft::sleep(0s);
    std::cout << "cancel(): " << victim.cancel() << std::endl;
    try {
        co_await victim;
    } catch (const weft::cancelled_error&) {
        std::cout << "awaiting a cancelled task throws cancelled_error" << std::endl;
    }
    std::cout << "cancelled(): " << victim.cancelled() << std::endl;
    try {
        victim.result();
    } catch (const weft::cancelled_error&) {
        std::cout << "result() of a cancelled task: cancelled_error" << std::endl;
    }
    std::cout << "cancel() on a done task: " << victim.cancel() << std::endl;
}

int main() {
    weft::run(async_main());
}
