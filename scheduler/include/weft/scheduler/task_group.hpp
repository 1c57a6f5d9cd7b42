// weft::task_group: asyncio.TaskGroup.
//
//   weft::task_group tg;
//   auto a = tg.create_task(f());
//   auto b = tg.create_task(g());
//   co_await tg.join();
//
// When a child fails with an exception, the other children are cancelled at
// once, and join() throws exception_group holding every child's exception
// (children that were cancelled contribute none). If the task awaiting join()
// is cancelled, the children are cancelled, join() waits for them and then
// rethrows cancelled_error (or exception_group when children failed too).
// A group destroyed without join() cancels its children.
// All of it runs on the loop that created the group.
#pragma once

#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/task.hpp>

#include <memory>
#include <vector>

namespace weft {

class task_group {
public:
    /// Binds the group to the running loop (throws weft::error outside one).
    task_group();
    ~task_group();
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;

    /// Starts c as a child task. Throws weft::error once the group is
    /// shutting down (a child failed) or finished.
    template <class T>
    task<T> create_task(coro<T> c, const task_options& opts = {}) {
        check_accepting();
        task<T> t = loop_->create_task(std::move(c), opts);
        adopt(t);
        return t;
    }

    /// Waits for every child; see the header comment.
    coro<void> join();

    /// Number of children not done yet.
    std::size_t pending() const;

private:
    struct state;
    void check_accepting() const;
    void adopt(const basic_task& t);

    event_loop* loop_;
    std::shared_ptr<state> st_;
};

} // namespace weft
