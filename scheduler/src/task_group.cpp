#include <weft/scheduler/detail/spinlock.hpp>
#include <weft/scheduler/detail/wait_many.hpp>
#include <weft/scheduler/task_group.hpp>

namespace weft {

struct task_group::state {
    /// Records the order in which children finish (exceptions are reported
    /// in that order). Registered with the child's state; notify runs under
    /// the child's lock and takes only order_lock.
    struct order_node : detail::waiter_node {
        state* group = nullptr;
        std::size_t index = 0;
    };

    std::vector<basic_task> children;
    std::vector<std::unique_ptr<order_node>> nodes;
    detail::spinlock order_lock;
    std::vector<std::size_t> finished;  // guarded by order_lock
    bool aborting = false;
    bool joined = false;    // join() has been called
    bool finished_join = false;  // join() has returned or thrown

    ~state() {
        for (std::size_t i = 0; i < nodes.size(); ++i)
            children[i].raw_state()->remove_waiter(nodes[i].get());
    }

    static void on_finished(detail::waiter_node* w) noexcept {
        auto* n = static_cast<order_node*>(w);
        detail::spin_guard g(n->group->order_lock);
        n->group->finished.push_back(n->index);
    }

    void abort() {
        aborting = true;
        for (auto& c : children)
            if (!c.done()) c.cancel();
    }
};

task_group::task_group() : loop_(&get_running_loop()), st_(std::make_shared<state>()) {}

task_group::~task_group() {
    if (!st_->finished_join) st_->abort();
}

void task_group::check_accepting() const {
    if (st_->finished_join) throw error("task_group::create_task(): the group has finished");
    if (st_->aborting) throw error("task_group::create_task(): the group is shutting down");
}

void task_group::adopt(const basic_task& t) {
    auto node = std::make_unique<state::order_node>();
    node->group = st_.get();
    node->index = st_->children.size();
    node->notify = &state::on_finished;
    st_->children.push_back(t);
    st_->nodes.push_back(std::move(node));
    state::order_node* n = st_->nodes.back().get();
    if (!t.raw_state()->add_waiter(n)) state::on_finished(n);  // already done
    // Runs on the group's loop after the child finished: the first failure
    // cancels the siblings.
    std::weak_ptr<state> weak = st_;
    t.raw_state()->add_callback([weak](detail::future_state_base& s) {
        auto st = weak.lock();
        if (!st || st->aborting) return;
        if (s.state() == detail::status::exception) st->abort();
    });
}

std::size_t task_group::pending() const {
    std::size_t n = 0;
    for (auto& c : st_->children)
        if (!c.done()) ++n;
    return n;
}

coro<void> task_group::join() {
    std::shared_ptr<state> st = st_;
    if (st->joined) throw error("task_group::join(): called twice");
    st->joined = true;
    bool parent_cancelled = false;
    for (;;) {
        std::vector<detail::future_state_base*> pending;
        for (auto& c : st->children)
            if (!c.done()) pending.push_back(c.raw_state());
        if (pending.empty()) break;
        try {
            detail::wait_many w(pending, detail::wake_rule::first_exception,
                                detail::cancel_mode::abandon);
            co_await w;
        } catch (const cancelled_error&) {
            parent_cancelled = true;
            st->abort();
            continue;
        }
        for (auto& c : st->children)
            if (c.done() && !c.cancelled() && c.raw_state()->exception("join")) {
                if (!st->aborting) st->abort();
                break;
            }
    }
    st->finished_join = true;
    std::vector<std::size_t> order;
    {
        detail::spin_guard g(st->order_lock);
        order = st->finished;
    }
    std::vector<std::exception_ptr> errors;
    for (std::size_t i : order) {
        basic_task& c = st->children[i];
        if (c.cancelled()) continue;
        if (auto e = c.exception()) errors.push_back(e);
    }
    if (!errors.empty())
        throw exception_group("unhandled errors in a task_group", std::move(errors));
    if (parent_cancelled) throw detail::require_current_task("task_group::join").make_cancelled_error();
}

} // namespace weft
