// Mirrors asyncio.current_task() and asyncio.all_tasks() from the asyncio
// notes: the task running now, and the tasks of the running loop that are
// not done yet.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <algorithm>
#include <string>
#include <vector>

weft::coro<> child(double delay) {
    // Both children start at once, possibly on two workers: either may print
    // first, and println keeps each line whole.
    example::println(weft::current_task().get_name(), " starts");
    co_await weft::sleep(example::units(delay));
}

weft::coro<> async_main() {
    example::println("current_task(): ", weft::current_task().get_name());

    weft::task<> t1 = weft::create_task(child(1), {.name = "child-1"});
    weft::task<> t2 = weft::create_task(child(2), {.name = "child-2"});
    co_await weft::sleep(example::units(0.5));  // both children are sleeping now

    std::vector<weft::basic_task> tasks = weft::all_tasks();
    example::println("all_tasks(): ", tasks.size(), " tasks");
    // all_tasks() is a set: sort the names to print them in a stable order.
    std::vector<std::string> names;
    for (const auto& t : tasks) names.push_back(t.get_name());
    std::sort(names.begin(), names.end());
    for (const auto& name : names) example::println("  ", name);

    co_await t1;
    example::println("after child-1: ", weft::all_tasks().size(), " tasks");
    co_await t2;
    example::println("after child-2: ", weft::all_tasks().size(), " task");
}

int main() {
    example::println("outside a task, current_task() is empty: ", !weft::current_task());
    weft::run(async_main());
}
