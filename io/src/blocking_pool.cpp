#include "blocking_pool.hpp"

#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace weft::detail {

namespace {

struct pool_thread {
    std::thread thread;
    bool done = false;  // the thread left its loop and touches no more of the pool
};

} // namespace

/// Everything the threads touch, kept alive by each of them: threads
/// detached at shutdown outlive the pool object.
struct blocking_pool::shared {
    explicit shared(blocking_pool_options o) : opts(o) {}

    const blocking_pool_options opts;
    std::mutex m;
    std::condition_variable work_cv;  // a job was queued, or stopping
    std::condition_variable gone_cv;  // a thread finished (shutdown waits on it)
    std::deque<std::function<void()>> queue;
    std::list<pool_thread> workers;  // list: a thread keeps an iterator to its entry
    std::size_t live = 0;       // workers not done
    std::size_t idle = 0;       // of those, waiting in work_cv
    bool stopping = false;

    /// Moves out the threads of finished workers other than `except` (under m).
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

void worker_main(std::shared_ptr<blocking_pool::shared> s, std::list<pool_thread>::iterator self) {
    std::unique_lock lk(s->m);
    for (;;) {
        if (!s->queue.empty()) {
            std::function<void()> job = std::move(s->queue.front());
            s->queue.pop_front();
            lk.unlock();
            job();
            job = nullptr;  // its captures go before the lock is taken again
            lk.lock();
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

} // namespace

namespace {
blocking_pool_options normalized(blocking_pool_options o) noexcept {
    if (o.max_threads == 0) o.max_threads = 1;
    return o;
}
} // namespace

blocking_pool::blocking_pool(blocking_pool_options opts)
    : opts_(normalized(opts)), s_(std::make_shared<shared>(opts_)) {}

blocking_pool::~blocking_pool() { shutdown(); }

blocking_pool& blocking_pool::instance() {
    // Never freed: a static destructor that runs after the exit hook may
    // still submit (the job then runs on its caller).
    static blocking_pool* const pool = new blocking_pool();
    static const struct exit_hook {
        ~exit_hook() { pool->shutdown(); }
    } hook;
    return *pool;
}

void blocking_pool::submit(std::function<void()> job) {
    std::unique_lock lk(s_->m);
    if (s_->stopping) {
        lk.unlock();
        job();
        return;
    }
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
    } else {
        s_->work_cv.notify_one();
    }
    lk.unlock();
    join_all(finished);
}

void blocking_pool::shutdown() noexcept {
    std::unique_lock lk(s_->m);
    if (!s_->stopping) {
        s_->stopping = true;
        s_->work_cv.notify_all();
    }
    s_->gone_cv.wait_for(lk, opts_.exit_grace, [&] { return s_->live == 0; });
    std::vector<std::thread> finished = s_->take_finished(nullptr);
    // Still busy: detached in place (the entry stays, its thread marks it
    // done when it finishes).
    for (pool_thread& w : s_->workers)
        if (w.thread.joinable()) w.thread.detach();
    lk.unlock();
    join_all(finished);
}

blocking_pool::counts blocking_pool::snapshot() const {
    std::lock_guard lk(s_->m);
    return counts{s_->live, s_->idle, s_->queue.size()};
}

} // namespace weft::detail
