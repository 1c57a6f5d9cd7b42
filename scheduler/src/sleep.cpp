#include <weft/scheduler/sleep.hpp>

namespace weft::detail {

bool sleep_awaiter::await_suspend(std::coroutine_handle<> h) {
    task_ = &require_current_task("weft::sleep");
    loop_ = task_->loop();
    token_ = task_->begin_wait(h, cancel_mode::abandon);
    if (yield_) {
        if (!task_->commit_wait(token_)) return false;  // cancelled: resume and throw
        task_->try_wake(token_);  // to the back of the ready queue
        return true;
    }
    loop_->add_timer(this);
    return task_->commit_wait(token_);
}

void sleep_awaiter::await_resume() {
    if (queued()) loop_->remove_timer(this);  // cancelled before the deadline
    task_->end_wait_or_throw(true);
}

void sleep_awaiter::on_fire(timer_node* t) noexcept {
    auto* self = static_cast<sleep_awaiter*>(t);
    self->task_->try_wake(self->token_);
}

} // namespace weft::detail
