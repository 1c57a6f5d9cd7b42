#include <weft/errors.hpp>
#include <weft/scheduler/detail/loop_services.hpp>
#include <weft/scheduler/event_loop.hpp>
#include <weft/scheduler/thread_pool_executor.hpp>

#include <cstdio>

namespace weft::detail {

loop_services::~loop_services() { shutdown_all(); }

void loop_services::check_open_locked(const char* what) const {
    if (down_)
        throw error(std::string(what) +
                    ": the runtime is shutting down and its default executors take no more work");
}

void loop_services::shutdown_all() noexcept {
    std::vector<loop_service*> order;
    {
        std::lock_guard<std::mutex> g(m_);
        if (down_) return;
        down_ = true;
        for (auto& [k, s] : list_) order.push_back(s.get());
    }
    // Outside the lock: a job still running may call get() (and be refused).
    for (auto it = order.rbegin(); it != order.rend(); ++it) (*it)->shutdown();
}

namespace {

class default_pool_service final : public loop_service {
public:
    explicit default_pool_service(std::chrono::milliseconds shutdown_timeout)
        : pool_(thread_pool_options{0, std::chrono::milliseconds(10'000), shutdown_timeout, "default"}) {}
    thread_pool_executor& pool() noexcept { return pool_; }
    void shutdown() noexcept override {
        const std::size_t left = pool_.shutdown();
        if (left > 0)
            std::fprintf(stderr,
                         "weft: runtime shutdown: %zu blocking call(s) on the default thread pool still "
                         "running after %lld ms; their threads are left to finish on their own\n",
                         left, static_cast<long long>(pool_.options().shutdown_timeout.count()));
    }

private:
    thread_pool_executor pool_;
};

const char default_pool_key = 0;

} // namespace

thread_pool_executor& default_thread_pool(event_loop& loop, const char* what) {
    return loop.services()
        .get<default_pool_service>(&default_pool_key, what,
                                   [&loop] {
                                       return std::make_unique<default_pool_service>(
                                           loop.services().shutdown_timeout);
                                   })
        .pool();
}

} // namespace weft::detail
