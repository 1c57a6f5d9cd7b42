#include "stream_transport.hpp"

#include "reactor.hpp"

#include <weft/errors.hpp>
#include <weft/io/detail/fd_ops.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

namespace weft::detail {

namespace {

/// The most one recv() takes at once.
constexpr std::size_t max_recv = 256 * 1024;
/// The smallest storage a buffer allocates.
constexpr std::size_t min_capacity = 4096;
/// An emptied buffer keeps at most this much storage.
constexpr std::size_t max_idle_capacity = 1024 * 1024;

std::string describe(stream_transport::kind k, const socket_address& peer, const socket_address& local,
                     int fd) {
    const std::string fd_text = "(fd " + std::to_string(fd) + ")";
    if (k == stream_transport::kind::pipe) return "pipe " + fd_text;
    // An unnamed Unix socket (a client's, a socketpair's) says nothing.
    auto named = [](const socket_address& a) {
        return !a.empty() && (a.family() != AF_UNIX || !a.host().empty());
    };
    if (named(peer)) return peer.to_string();
    if (named(local)) return local.to_string() + " " + fd_text;
    return fd_text;
}

std::exception_ptr make_io_error(int err, std::string_view what, std::string_view where) {
    try {
        throw_io_error(err, what, where);
    } catch (...) {
        return std::current_exception();
    }
}

/// write() to a pipe whose reader is gone raises SIGPIPE, and write() has
/// no MSG_NOSIGNAL: block the signal in this thread for the call and take
/// back a SIGPIPE it made pending. Pipes are rare (subprocess stdin), so
/// the extra system calls do not matter; sockets use MSG_NOSIGNAL.
ssize_t write_without_sigpipe(int fd, const char* p, std::size_t n) noexcept {
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    ::sigpending(&pending);
    const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    const ssize_t r = ::write(fd, p, n);
    const int e = errno;
    if (r < 0 && e == EPIPE && !was_pending) {
        const timespec zero{0, 0};
        while (::sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
        }
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = e;
    return r;
}

ssize_t send_once(stream_transport::kind k, int fd, const char* p, std::size_t n) noexcept {
    if (k == stream_transport::kind::socket) return ::send(fd, p, n, MSG_NOSIGNAL);
    return write_without_sigpipe(fd, p, n);
}

} // namespace

// --- byte_buffer ------------------------------------------------------------------------

char* byte_buffer::prepare(std::size_t n) {
    if (cap_ - end_ >= n) return buf_.get() + end_;
    const std::size_t sz = size();
    if (cap_ - sz >= n && sz <= cap_ / 2) {
        // Moving the few bytes left to the front is cheaper than growing.
        std::memmove(buf_.get(), buf_.get() + begin_, sz);
    } else {
        const std::size_t cap = std::max({cap_ * 2, sz + n, min_capacity});
        auto grown = std::make_unique_for_overwrite<char[]>(cap);
        if (sz > 0) std::memcpy(grown.get(), buf_.get() + begin_, sz);
        buf_ = std::move(grown);
        cap_ = cap;
    }
    begin_ = 0;
    end_ = sz;
    return buf_.get() + end_;
}

void byte_buffer::append(std::string_view s) {
    if (s.empty()) return;
    std::memcpy(prepare(s.size()), s.data(), s.size());
    commit(s.size());
}

void byte_buffer::consume(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ == end_) {
        begin_ = end_ = 0;
        if (cap_ > max_idle_capacity) {
            buf_.reset();
            cap_ = 0;
        }
    }
}

std::string byte_buffer::take(std::size_t n) {
    std::string s(data(), n);
    consume(n);
    return s;
}

// --- state_signal -----------------------------------------------------------------------

void state_signal::notify() noexcept {
    spin_guard g(q_.lock());
    // Under the lock a parking waiter checks the sequence under: it either
    // sees the new value or is in the queue here. Release: pairs with seq().
    seq_.fetch_add(1, std::memory_order_release);
    q_.wake_all_locked(verdict::granted);
}

bool state_signal::awaiter::await_suspend(std::coroutine_handle<> h) {
    task_base& t = parked_wait::current(what_);
    {
        spin_guard g(s_.q_.lock());
        // Relaxed: notify() bumps under this lock.
        if (s_.seq_.load(std::memory_order_relaxed) != seen_) return false;
        wait_.suspend_locked(s_.q_, t, h);
    }
    return wait_.commit();
}

void state_signal::awaiter::await_resume() {
    if (wait_.task() == nullptr) return;  // never parked
    task_base* t = wait_.task();
    if (wait_.resume() == verdict::none) {
        {
            spin_guard g(s_.q_.lock());
            wait_.leave_locked();
        }
        throw t->make_cancelled_error();
    }
}

// --- stream_transport: construction -----------------------------------------------------

stream_transport::stream_transport(int fd, kind k, std::size_t limit, socket_address peer,
                                   socket_address local)
    : kind_(k), limit_(limit), peer_(std::move(peer)), local_(std::move(local)), fd_number_(fd),
      where_(describe(k, peer_, local_, fd)), fd_(fd) {}

stream_transport::stream_transport(source_owner src, kind k, std::size_t limit, socket_address peer,
                                   socket_address local)
    : kind_(k), limit_(limit), peer_(std::move(peer)), local_(std::move(local)), fd_number_(src->fd()),
      where_(describe(k, peer_, local_, fd_number_)), fd_(-1), src_(std::move(src)) {}

stream_transport::~stream_transport() {
    std::lock_guard<std::mutex> g(mu_);
    release_source_locked();
}

void close_source_promptly(source_owner& src) noexcept {
    if (!src) return;
    // The extra reference keeps the reactor alive for the wake even if its
    // loop is gone and this source held the last reference.
    reactor& r = src->owner();
    r.add_ref();
    src.close();
    r.wake();
    r.release();
}

void stream_transport::release_source_locked() noexcept {
    if (src_) {
        close_source_promptly(src_);
    } else if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = -1;
}

void stream_transport::ensure_source_locked(const char* what) {
    if (src_) return;
    if (fd_ < 0) throw_closed(what);
    const int fd = std::exchange(fd_, -1);
    try {
        src_ = register_fd(fd, "stream_reader/stream_writer");  // closes fd on failure
    } catch (...) {
        closing_ = closed_ = true;
        changed_.notify();
        throw;
    }
}

void stream_transport::throw_closed(const char* what) const {
    throw_io_error(EBADF, what, where_ + " (the stream is closed)");
}

void check_stream_limit(std::size_t limit, const char* what) {
    if (limit == 0) throw value_error(std::string(what) + ": the stream buffer limit must be > 0");
}

// --- read side --------------------------------------------------------------------------

stream_transport::read_claim::read_claim(stream_transport& t, const char* op) : t_(t) {
    // Acquire: pairs with the release in ~read_claim of the previous reader.
    if (t.reading_.exchange(true, std::memory_order_acquire))
        throw invalid_state_error(std::string(op) +
                                  ": another task is already reading this stream (one reader at a time)");
}

std::string stream_transport::take(std::size_t n) {
    std::string s = rbuf_.take(n);
    publish_read_size();
    return s;
}

void stream_transport::drop(std::size_t n) noexcept {
    rbuf_.consume(n);
    publish_read_size();
}

coro<bool> stream_transport::fill(std::size_t max_bytes) {
    if (eof_.load(std::memory_order_relaxed)) co_return false;  // the reader's own store
    if (read_error_) std::rethrow_exception(read_error_);
    const char* what = kind_ == kind::socket ? "recv from" : "read from";
    source_ref s;
    {
        std::lock_guard<std::mutex> g(mu_);
        if (closing_) throw_closed(what);
        ensure_source_locked(what);
        s = src_.ref();
    }
    const std::size_t want = std::min(std::max<std::size_t>(max_bytes, 1), max_recv);
    for (;;) {
        if (s->closed()) throw_closed(what);
        const auto seen = s->seq(io_dir::read);
        if (drained_ && seen == drained_seq_ && !s->hung_up()) {
            // No edge since the short read that emptied the queue: any data
            // that came after it brings an edge, which moves the sequence.
            // Not after a hang-up: a FIN (or an error) reported in the same
            // edge as the data is still queued behind it, and no further
            // edge will announce it.
            rbuf_.release_if_empty();
            co_await s->ready(io_dir::read, seen);
            continue;
        }
        drained_ = false;
        char* p = rbuf_.prepare(want);
        const ssize_t n = kind_ == kind::socket ? ::recv(s->fd(), p, want, 0) : ::read(s->fd(), p, want);
        if (n > 0) {
            rbuf_.commit(static_cast<std::size_t>(n));
            publish_read_size();
            if (static_cast<std::size_t>(n) < want) {
                drained_ = true;
                drained_seq_ = seen;
            }
            co_return true;
        }
        if (n == 0) {
            eof_.store(true, std::memory_order_release);
            co_return false;
        }
        const int e = errno;
        if (e == EINTR) continue;
        if (would_block(e)) {
            // Cancelled here, the task loses nothing: bytes are only ever
            // added to the buffer by a successful recv above. An empty
            // buffer gives its storage back while the connection is idle.
            rbuf_.release_if_empty();
            co_await s->ready(io_dir::read, seen);
            continue;
        }
        read_error_ = make_io_error(e, what, where_);
        std::rethrow_exception(read_error_);
    }
}

// --- write side -------------------------------------------------------------------------

void stream_transport::check_writable_locked(const char* what) const {
    if (write_error_) std::rethrow_exception(write_error_);
    if (closing_) throw_closed(what);
    if (eof_requested_) throw_io_error(EPIPE, what, where_ + " after write_eof()");
}

void stream_transport::write(std::string_view data) {
    const char* what = kind_ == kind::socket ? "send to" : "write to";
    std::lock_guard<std::mutex> g(mu_);
    check_writable_locked(what);
    if (data.empty()) return;
    if (!running_loop())
        throw error(std::string("stream_writer::write() to ") + where_ +
                    ": call it from a task or a callback of an event loop");
    ensure_source_locked(what);
    if (wbuf_.empty()) {
        // Nothing queued, so no flush task either (invariant): send now.
        std::size_t sent = 0;
        while (sent < data.size()) {
            const ssize_t n = send_once(kind_, src_->fd(), data.data() + sent, data.size() - sent);
            if (n >= 0) {
                sent += static_cast<std::size_t>(n);
                continue;
            }
            const int e = errno;
            if (e == EINTR) continue;
            if (would_block(e)) break;
            fail_write_locked(e, what);
            std::rethrow_exception(write_error_);
        }
        data.remove_prefix(sent);
        if (data.empty()) return;
    }
    wbuf_.append(data);
    if (wbuf_.size() > high_) paused_ = true;
    if (!flushing_) start_flush_locked();
}

int stream_transport::send_buffered_locked() noexcept {
    while (!wbuf_.empty()) {
        const ssize_t n = send_once(kind_, src_->fd(), wbuf_.data(), wbuf_.size());
        if (n >= 0) {
            wbuf_.consume(static_cast<std::size_t>(n));
            continue;
        }
        const int e = errno;
        if (e == EINTR) continue;
        if (would_block(e)) return 0;
        return e;
    }
    return 0;
}

void stream_transport::start_flush_locked() {
    flushing_ = true;
    try {
        task_options o;
        o.name = "stream-flush";
        (void)create_task(flush(shared_from_this()), o);
    } catch (...) {
        fail_write_locked(std::current_exception());
        throw;
    }
}

coro<void> stream_transport::flush(std::shared_ptr<stream_transport> self) {
    stream_transport& t = *self;
    const char* what = t.kind_ == kind::socket ? "send to" : "write to";
    try {
        for (;;) {
            source_ref s;
            std::uint32_t seen = 0;
            {
                std::lock_guard<std::mutex> g(t.mu_);
                // flushing_ holds (only this task clears it, or a failure,
                // which also ends this task below), so src_ is registered.
                if (!t.flushing_) co_return;
                if (t.src_->closed()) {
                    t.fail_write_locked(EBADF, what);
                    co_return;
                }
                seen = t.src_->seq(io_dir::write);
                if (const int e = t.send_buffered_locked()) {
                    t.fail_write_locked(e, what);
                    co_return;
                }
                if (t.wbuf_.empty()) {
                    t.flushing_ = false;
                    t.after_flush_locked();
                    co_return;
                }
                if (t.paused_ && t.wbuf_.size() <= t.low_) {
                    t.paused_ = false;
                    t.changed_.notify();
                }
                s = t.src_.ref();
            }
            co_await s->ready(io_dir::write, seen);
        }
    } catch (const cancelled_error&) {
        // Nobody sends the rest now: waiters of drain() and wait_closed()
        // learn it from the stored error instead of waiting forever.
        std::lock_guard<std::mutex> g(t.mu_);
        t.fail_write_locked(ECANCELED, "send (cancelled) to");
        throw;
    }
}

void stream_transport::fail_write_locked(int err, const char* what) {
    fail_write_locked(make_io_error(err, what, where_));
}

void stream_transport::fail_write_locked(std::exception_ptr e) {
    if (!write_error_) write_error_ = std::move(e);
    wbuf_.clear();
    flushing_ = false;
    paused_ = false;
    if (closing_ && !closed_) finish_close_locked();
    changed_.notify();
}

void stream_transport::after_flush_locked() {
    paused_ = false;
    if (eof_requested_) shutdown_write_locked();
    if (closing_) finish_close_locked();
    changed_.notify();
}

void stream_transport::shutdown_write_locked() noexcept {
    if (eof_sent_ || kind_ != kind::socket) return;
    eof_sent_ = true;
    const int fd = src_ ? src_->fd() : fd_;
    // ENOTCONN when the peer reset the connection first: nothing to do.
    if (fd >= 0) (void)::shutdown(fd, SHUT_WR);
}

void stream_transport::finish_close_locked() noexcept {
    if (closed_) return;
    closing_ = closed_ = true;
    // The peer sees end of stream now, even though the descriptor itself
    // closes only with the source's last reference.
    shutdown_write_locked();
    release_source_locked();
    wbuf_.clear();
    paused_ = false;
    changed_.notify();
}

coro<void> stream_transport::drain() {
    {
        std::lock_guard<std::mutex> g(mu_);
        if (write_error_) std::rethrow_exception(write_error_);
        if (closing_) throw_closed("drain on");
    }
    for (;;) {
        std::uint32_t seen;
        {
            std::lock_guard<std::mutex> g(mu_);
            if (write_error_) std::rethrow_exception(write_error_);
            if (!paused_ || closed_) co_return;
            seen = changed_.seq();
        }
        // Cancelled here, the buffered bytes stay queued and are still sent.
        co_await changed_.wait(seen, "stream_writer::drain()");
    }
}

void stream_transport::set_write_buffer_limits(std::size_t high, std::size_t low) {
    if (low == SIZE_MAX) low = high / 4;
    if (low > high)
        throw value_error("stream_writer::set_write_buffer_limits(): high (" + std::to_string(high) +
                          ") must be >= low (" + std::to_string(low) + ")");
    std::lock_guard<std::mutex> g(mu_);
    high_ = high;
    low_ = low;
    if (wbuf_.size() > high_) {
        paused_ = true;
    } else if (paused_ && wbuf_.size() <= low_) {
        paused_ = false;
        changed_.notify();
    }
}

std::size_t stream_transport::write_buffer_size() const {
    std::lock_guard<std::mutex> g(mu_);
    return wbuf_.size();
}

void stream_transport::write_eof() {
    std::lock_guard<std::mutex> g(mu_);
    if (closing_ || eof_requested_) return;
    eof_requested_ = true;
    if (kind_ == kind::pipe) {
        // A pipe has no half-close: its end of stream is the close.
        closing_ = true;
        if (!flushing_) finish_close_locked();
        return;
    }
    if (!flushing_) shutdown_write_locked();
}

void stream_transport::close() {
    std::lock_guard<std::mutex> g(mu_);
    if (closing_) return;
    closing_ = true;
    // With bytes queued, the flush task closes once they are sent.
    if (!flushing_) finish_close_locked();
}

bool stream_transport::is_closing() const {
    std::lock_guard<std::mutex> g(mu_);
    return closing_;
}

coro<void> stream_transport::wait_closed() {
    for (;;) {
        std::uint32_t seen;
        {
            std::lock_guard<std::mutex> g(mu_);
            if (closed_) {
                // As asyncio: the error that kept buffered bytes from being
                // delivered is raised here too.
                if (write_error_) std::rethrow_exception(write_error_);
                co_return;
            }
            seen = changed_.seq();
        }
        co_await changed_.wait(seen, "stream_writer::wait_closed()");
    }
}

} // namespace weft::detail
