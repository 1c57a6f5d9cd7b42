#include <weft/errors.hpp>
#include <weft/scheduler/thread_pool_executor.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace weft {

namespace {

struct pool_thread {
    std::thread thread;
    bool done = false;  // the thread left its loop and touches no more of the pool
};

} // namespace

/// Everything the threads touch, kept alive by each of them: threads
/// detached at shutdown outlive the pool object. All fields under m.
struct thread_pool_executor::shared {
    explicit shared(thread_pool_options o) : opts(std::move(o)) {}

    const thread_pool_options opts;
    std::mutex m;
    std::condition_variable work_cv;  // a job was queued, or stopping
    std::condition_variable gone_cv;  // a job or a thread finished (shutdown waits on it)
    std::deque<detail::unique_function<void()>> queue;
    std::list<pool_thread> workers;  // list: a thread keeps an iterator to its entry
    std::size_t live = 0;     // workers not done
    std::size_t idle = 0;     // of those, waiting in work_cv
    std::size_t running = 0;  // jobs started and not finished
    bool stopping = false;

    /// Moves out the threads of finished workers other than `except`.
    std::vector<std::thread> take_finished(const pool_thread* except) {
        std::vector<std::thread> out;
        for (auto it = workers.begin(); it != workers.end();) {
            if (it->done && &*it != except) {
                if (it->thread.joinable()) out.push_back(std::move(it->thread));
                it = workers.erase(it);
            } else {
                ++it;
            }
        }
        return out;
    }
};

namespace {

void join_all(std::vector<std::thread>& ts) noexcept {
    for (auto& t : ts) t.join();
}

void worker_main(std::shared_ptr<thread_pool_executor::shared> s, std::list<pool_thread>::iterator self) {
    std::unique_lock lk(s->m);
    for (;;) {
        if (!s->queue.empty()) {
            detail::unique_function<void()> job = std::move(s->queue.front());
            s->queue.pop_front();
            ++s->running;
            lk.unlock();
            job();
            job = nullptr;  // its captures go before the lock is taken again
            lk.lock();
            --s->running;
            if (s->stopping) s->gone_cv.notify_all();
            continue;
        }
        if (s->stopping) break;
        ++s->idle;
        const bool woken = s->work_cv.wait_for(lk, s->opts.idle_timeout,
                                               [&] { return !s->queue.empty() || s->stopping; });
        --s->idle;
        if (!woken) break;  // idle for idle_timeout: retire
    }
    self->done = true;
    --s->live;
    // Join the threads that retired before this one (they finished with the
    // pool under this lock earlier, so no two threads ever join each other).
    std::vector<std::thread> finished = s->take_finished(&*self);
    s->gone_cv.notify_all();
    lk.unlock();
    join_all(finished);
}

thread_pool_options normalized(thread_pool_options o) {
    if (o.max_threads == 0) o.max_threads = std::min(32u, std::max(1u, std::thread::hardware_concurrency()) + 4);
    return o;
}

} // namespace

thread_pool_executor::thread_pool_executor(thread_pool_options opts)
    : opts_(normalized(std::move(opts))), s_(std::make_shared<shared>(opts_)) {}

thread_pool_executor::~thread_pool_executor() {
    // After an explicit shutdown() the threads still busy were detached
    // already: no second wait.
    bool called;
    {
        std::lock_guard lk(s_->m);
        called = s_->stopping;
    }
    if (!called) shutdown();
}

std::string thread_pool_executor::describe() const { return "thread_pool_executor '" + opts_.name + "'"; }

void thread_pool_executor::execute(detail::unique_function<void()> job) {
    if (!job) throw value_error(describe() + ": execute() with an empty job");
    std::unique_lock lk(s_->m);
    if (s_->stopping) throw error(describe() + ": execute() after shutdown()");
    std::vector<std::thread> finished = s_->take_finished(nullptr);
    s_->queue.push_back(std::move(job));
    // Start a thread when the idle ones are all spoken for.
    if (s_->queue.size() > s_->idle && s_->live < opts_.max_threads) {
        auto self = s_->workers.emplace(s_->workers.end());
        try {
            self->thread = std::thread(worker_main, s_, self);
            ++s_->live;
        } catch (...) {
            s_->workers.erase(self);
            if (s_->live == 0) {
                // Nobody would ever run it.
                s_->queue.pop_back();
                lk.unlock();
                join_all(finished);
                throw;
            }
            // The running threads will get to it.
        }
        lk.unlock();
    } else {
        lk.unlock();
        // After the unlock: a thread woken while the lock is held would
        // only block on it again.
        s_->work_cv.notify_one();
    }
    join_all(finished);
}

std::size_t thread_pool_executor::shutdown() noexcept {
    std::unique_lock lk(s_->m);
    if (!s_->stopping) {
        s_->stopping = true;
        s_->work_cv.notify_all();
    }
    s_->gone_cv.wait_for(lk, opts_.shutdown_timeout, [&] { return s_->live == 0; });
    const std::size_t left = s_->running + s_->queue.size();
    std::vector<std::thread> finished = s_->take_finished(nullptr);
    // Still busy: detached in place (the entry stays, its thread marks it
    // done when it finishes).
    for (pool_thread& w : s_->workers)
        if (w.thread.joinable()) w.thread.detach();
    lk.unlock();
    join_all(finished);
    return left;
}

thread_pool_executor::counts thread_pool_executor::snapshot() const {
    std::lock_guard lk(s_->m);
    return counts{s_->live, s_->idle, s_->queue.size(), s_->running};
}

} // namespace weft
