// The io_uring backend: a multishot POLL_ADD per source (POLLIN | POLLOUT |
// POLLRDHUP), which posts a completion at every readiness edge, and one on
// the wake-up eventfd. Completions are reaped by the loop's thread only;
// submissions (add, remove, re-arm) come from any thread under lock_, which
// is also the only access to the submission queue: the wait uses
// IORING_FEAT_EXT_ARG, so it never queues a timeout entry of its own.
//
// user_data is the source's address (at least 8-aligned), that address
// with remove_bit for its POLL_REMOVE, or one of the tags below. A multishot poll ends with a completion without
// IORING_CQE_F_MORE: when the source was removed, that is where the reactor
// drops its reference; otherwise (the kernel ended it, for instance on a
// completion-queue overflow) it is armed again.
#include "reactor.hpp"

#include <weft/errors.hpp>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <liburing.h>
#include <poll.h>

namespace weft::detail {

namespace {

constexpr std::uint64_t wake_tag = 1;
constexpr std::uint64_t ignore_tag = 2;
// The POLL_REMOVE of a source: its address with this bit set.
constexpr std::uint64_t remove_bit = 1;
constexpr unsigned source_mask = POLLIN | POLLOUT | POLLRDHUP;
constexpr std::uint32_t flag_removing = 1;

class uring_reactor final : public reactor {
public:
    // Use create(): the constructor leaves init_error_ set when refused.
    uring_reactor() {
        io_uring_params p{};
        p.flags = IORING_SETUP_CQSIZE;
        p.cq_entries = 4096;
        const int rc = io_uring_queue_init_params(256, &ring_, &p);
        if (rc < 0) {
            init_error_ = "io_uring_queue_init: " + std::string(std::strerror(-rc));
            return;
        }
        ring_ok_ = true;
        if (!(p.features & IORING_FEAT_EXT_ARG)) {
            init_error_ = "the kernel lacks IORING_FEAT_EXT_ARG (Linux 5.11 or later is needed)";
            return;
        }
        std::lock_guard<std::mutex> g(lock_);
        arm_locked(wake_.fd(), wake_tag);
        const int s = io_uring_submit(&ring_);
        if (s < 0) {
            init_error_ = "io_uring_submit: " + std::string(std::strerror(-s));
            return;
        }
        // Multishot polls need Linux 5.13: an older kernel fails the first
        // one at once, which shows here.
        io_uring_cqe* cqe = nullptr;
        if (io_uring_peek_cqe(&ring_, &cqe) == 0 && cqe && cqe->res < 0) {
            init_error_ = "multishot poll refused: " + std::string(std::strerror(-cqe->res));
            io_uring_cqe_seen(&ring_, cqe);
        }
    }

    const std::string& init_error() const noexcept { return init_error_; }

    weft::io_backend backend() const noexcept override { return weft::io_backend::io_uring; }

    void add(io_source& s) override {
        std::lock_guard<std::mutex> g(lock_);
        if (detached_) throw error("I/O on an event loop that no longer exists");
        s.add_ref();  // the reactor's reference, dropped at the final completion
        registered_.insert(&s);
        arm_locked(s.fd(), reinterpret_cast<std::uint64_t>(&s));
        const int rc = io_uring_submit(&ring_);
        if (rc < 0) {
            registered_.erase(&s);
            s.release();
            throw std::system_error(-rc, std::system_category(), "io_uring_submit(POLL_ADD)");
        }
    }

    void remove(io_source& s) noexcept override {
        std::lock_guard<std::mutex> g(lock_);
        if (!registered_.count(&s) || (s.reactor_flags & flag_removing)) return;
        if (detached_) {
            registered_.erase(&s);
            s.release();
            return;
        }
        s.reactor_flags |= flag_removing;
        submit_remove_locked(s);
    }

    void poll(std::chrono::nanoseconds timeout) override {
        io_uring_cqe* cqe = nullptr;
        int rc;
        if (timeout.count() == 0) {
            rc = io_uring_peek_cqe(&ring_, &cqe);
        } else if (timeout.count() < 0) {
            rc = io_uring_wait_cqe(&ring_, &cqe);
        } else {
            __kernel_timespec ts{timeout.count() / 1'000'000'000, timeout.count() % 1'000'000'000};
            rc = io_uring_wait_cqe_timeout(&ring_, &cqe, &ts);
        }
        if (rc < 0 && rc != -EAGAIN && rc != -ETIME && rc != -EINTR)
            throw std::system_error(-rc, std::system_category(), "io_uring_wait_cqe");
        // Reap everything available; the loop thread is the only reaper.
        while (io_uring_peek_cqe(&ring_, &cqe) == 0 && cqe) {
            const std::uint64_t ud = io_uring_cqe_get_data64(cqe);
            const int res = cqe->res;
            const bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
            io_uring_cqe_seen(&ring_, cqe);
            if (ud == ignore_tag) continue;
            if (ud == wake_tag) {
                wake_.consume();
                if (!more) rearm(wake_.fd(), wake_tag, nullptr);
                continue;
            }
            if (ud & remove_bit) {
                // POLL_REMOVE fails with EALREADY while the kernel is
                // handling a wake-up of the poll, which then stays armed
                // (and would never post its final completion): ask again.
                if (res == -EALREADY) retry_remove(reinterpret_cast<io_source*>(ud & ~remove_bit));
                continue;
            }
            auto* s = reinterpret_cast<io_source*>(ud);
            if (res > 0) {
                const bool err = (res & (POLLERR | POLLHUP)) != 0;
                s->notify(err || (res & (POLLIN | POLLRDHUP | POLLPRI)), err || (res & POLLOUT),
                          err || (res & POLLRDHUP));
            } else if (res < 0 && res != -ECANCELED) {
                s->notify(true, true, true);  // let the operation see the error itself
            }
            if (!more) rearm(s->fd(), ud, s);
        }
    }

    void wake() noexcept override { wake_.signal(); }

    void detach() noexcept override {
        watches.clear();  // their sources hold references to this reactor
        {
            std::lock_guard<std::mutex> g(lock_);
            detached_ = true;
            for (io_source* s : registered_) s->release();
            registered_.clear();
            if (ring_ok_) io_uring_queue_exit(&ring_);
            ring_ok_ = false;
        }
        release();  // the loop's reference
    }

private:
    ~uring_reactor() override {
        if (ring_ok_) io_uring_queue_exit(&ring_);
    }

    io_uring_sqe* sqe_locked() noexcept {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        while (!sqe) {
            io_uring_submit(&ring_);  // the queue is full: make room
            sqe = io_uring_get_sqe(&ring_);
        }
        return sqe;
    }

    void arm_locked(int fd, std::uint64_t ud) noexcept {
        io_uring_sqe* sqe = sqe_locked();
        io_uring_prep_poll_multishot(sqe, fd, ud == wake_tag ? POLLIN : source_mask);
        io_uring_sqe_set_data64(sqe, ud);
    }

    void submit_remove_locked(io_source& s) noexcept {
        io_uring_sqe* sqe = sqe_locked();
        io_uring_prep_poll_remove(sqe, reinterpret_cast<std::uint64_t>(&s));
        io_uring_sqe_set_data64(sqe, reinterpret_cast<std::uint64_t>(&s) | remove_bit);
        io_uring_submit(&ring_);
    }

    /// A POLL_REMOVE came back EALREADY: the source is still registered
    /// (its final completion has not come), so its address is valid.
    void retry_remove(io_source* s) noexcept {
        std::lock_guard<std::mutex> g(lock_);
        if (detached_ || !registered_.count(s) || !(s->reactor_flags & flag_removing)) return;
        submit_remove_locked(*s);
    }

    /// After a final completion: arms the poll again, or, for a removed
    /// source, drops the reactor's reference.
    void rearm(int fd, std::uint64_t ud, io_source* s) noexcept {
        std::unique_lock<std::mutex> g(lock_);
        if (detached_) return;
        if (s && (s->reactor_flags & flag_removing)) {
            registered_.erase(s);
            g.unlock();
            s->release();
            return;
        }
        arm_locked(fd, ud);
        io_uring_submit(&ring_);
    }

    io_uring ring_{};
    bool ring_ok_ = false;
    std::string init_error_;
    wake_fd wake_;
};

} // namespace

reactor* make_uring_reactor(std::string& why) {
    auto* r = new uring_reactor();
    if (!r->init_error().empty()) {
        why = r->init_error();
        r->detach();
        return nullptr;
    }
    return r;
}

} // namespace weft::detail
