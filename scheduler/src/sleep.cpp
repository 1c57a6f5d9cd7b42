#include <weft/scheduler/sleep.hpp>

namespace weft::detail {

bool sleep_awaiter::await_suspend(std::coroutine_handle<> h) {
    task_ = &require_current_task("weft::sleep");
    loop_ = running_loop();
    if (yield_) {
        // Behind the work already ready. A cancel request is thrown when the
        // task resumes (end_wait_or_throw), as asyncio does after sleep(0).
        token_ = task_->begin_wait(h, cancel_mode::abandon);
        (void)task_->try_wake_inline(token_);
        task_->schedule_yield();
        return true;
    }
    // loop_bound: the timer belongs to this loop, so the task resumes here
    // and removes it on the thread that owns it.
    token_ = task_->begin_wait(h, cancel_mode::abandon, nullptr, nullptr, /*loop_bound=*/true);
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
