// The epoll backend: one epoll instance per loop, every source registered
// once, edge-triggered, for read, write and peer hang-up; an eventfd
// (level-triggered, data.ptr == null) for wake-ups.
#include "reactor.hpp"

#include <weft/errors.hpp>

#include <cerrno>
#include <system_error>
#include <vector>

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

namespace weft::detail {

namespace {

class epoll_reactor final : public reactor {
public:
    epoll_reactor() : ep_(::epoll_create1(EPOLL_CLOEXEC)) {
        if (ep_ < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = nullptr;
        if (::epoll_ctl(ep_, EPOLL_CTL_ADD, wake_.fd(), &ev) != 0) {
            const int e = errno;
            ::close(ep_);
            throw std::system_error(e, std::system_category(), "epoll_ctl(ADD) of the wake-up eventfd");
        }
    }

    weft::io_backend backend() const noexcept override { return weft::io_backend::epoll; }

    void add(io_source& s) override {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.ptr = &s;
        std::lock_guard<std::mutex> g(lock_);
        if (detached_) throw error("I/O on an event loop that no longer exists");
        s.add_ref();  // the reactor's reference, handed back by remove()
        registered_.insert(&s);
        if (::epoll_ctl(ep_, EPOLL_CTL_ADD, s.fd(), &ev) != 0) {
            const int e = errno;
            registered_.erase(&s);
            s.release();
            throw std::system_error(e, std::system_category(), "epoll_ctl(ADD)");
        }
    }

    void remove(io_source& s) noexcept override {
        std::lock_guard<std::mutex> g(lock_);
        if (registered_.erase(&s) == 0) return;
        if (detached_) {
            s.release();
            return;
        }
        ::epoll_ctl(ep_, EPOLL_CTL_DEL, s.fd(), nullptr);
        // An epoll_wait already returned may still name s: keep it alive
        // until the loop thread's next poll begins.
        retired_.push_back(&s);
    }

    void poll(std::chrono::nanoseconds timeout) override {
        free_retired();
        epoll_event events[128];
        int n;
        if (timeout.count() < 0) {
            n = ::epoll_pwait2(ep_, events, 128, nullptr, nullptr);
        } else {
            timespec ts{static_cast<time_t>(timeout.count() / 1'000'000'000),
                        static_cast<long>(timeout.count() % 1'000'000'000)};
            n = ::epoll_pwait2(ep_, events, 128, &ts, nullptr);
        }
        if (n < 0) {
            if (errno == EINTR) return;
            throw std::system_error(errno, std::system_category(), "epoll_pwait2");
        }
        for (int i = 0; i < n; ++i) {
            const std::uint32_t e = events[i].events;
            auto* s = static_cast<io_source*>(events[i].data.ptr);
            if (!s) {
                wake_.consume();
                continue;
            }
            const bool err = (e & (EPOLLERR | EPOLLHUP)) != 0;
            s->notify(err || (e & (EPOLLIN | EPOLLRDHUP | EPOLLPRI)),
                      err || (e & EPOLLOUT), err || (e & EPOLLRDHUP));
        }
    }

    void wake() noexcept override { wake_.signal(); }

    void detach() noexcept override {
        watches.clear();  // their sources hold references to this reactor
        {
            std::lock_guard<std::mutex> g(lock_);
            detached_ = true;
            for (io_source* s : retired_) s->release();
            retired_.clear();
            for (io_source* s : registered_) s->release();
            registered_.clear();
            ::close(ep_);
            ep_ = -1;
        }
        release();  // the loop's reference
    }

private:
    ~epoll_reactor() override = default;

    void free_retired() noexcept {
        std::vector<io_source*> done;
        {
            std::lock_guard<std::mutex> g(lock_);
            if (retired_.empty()) return;
            done.swap(retired_);
        }
        for (io_source* s : done) s->release();
    }

    wake_fd wake_;
    int ep_;
    std::vector<io_source*> retired_;  // under lock_
};

} // namespace

reactor* make_epoll_reactor() { return new epoll_reactor(); }

} // namespace weft::detail
