// The shared state of a stream_reader / stream_writer pair: one connected
// socket or one pipe end, its read buffer, its write buffer and the
// background send that empties it.
//
// Registration. The descriptor is registered with the reactor of the loop
// running the first operation that needs it (lazily), so a connection
// accepted on one worker is polled by the worker that serves it. Streams
// made by open_connection come registered already.
//
// Read side. Owned by the one task reading at a time (a read_claim: a second
// reader at once is an invalid_state_error, as asyncio's RuntimeError).
// fill() appends what one recv() returns straight into the buffer, so a
// read cancelled while it waits for readiness loses nothing. at_eof() may
// be asked from anywhere: it reads two atomics the reader publishes.
//
// Write side. Everything under mu_ (a std::mutex: the sends happen under
// it, so a sender holds it for one non-blocking system call). Invariants,
// each holding whenever mu_ is free:
//   - wbuf_ is not empty  <=>  flushing_: a flush task exists and owns the
//     sending of wbuf_. write() sends directly only when wbuf_ is empty, so
//     bytes leave in the order they were written.
//   - paused_ (drain() waits) is set when wbuf_ grows past high_ and cleared
//     once it is at or below low_, or when the buffer is dropped (error,
//     close); drain() waits while it is set.
//   - write_error_ set  =>  wbuf_ is empty and nothing more is sent.
//   - closed_  =>  closing_; once closed_, the source is shut down (or the
//     never-registered descriptor closed) and fd_ is -1.
//   - changed_ is notified after every change of paused_, write_error_ or
//     closed_ (what drain() and wait_closed() wait for).
//
// Lifetime. The reader and writer handles hold the transport; so does the
// flush task while it runs, so buffered bytes are sent even after the
// handles went. The descriptor closes with the source's last reference.
#pragma once

#include <weft/io/detail/io_source.hpp>
#include <weft/io/socket_address.hpp>
#include <weft/io/streams.hpp>
#include <weft/scheduler/coro.hpp>
#include <weft/scheduler/detail/waiter_queue.hpp>
#include <weft/scheduler/task.hpp>

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <sys/types.h>

namespace weft::detail {

/// A growable byte FIFO: append at the end, consume at the front, without
/// zero-filling the room a recv() writes into.
class byte_buffer {
public:
    byte_buffer() = default;
    byte_buffer(const byte_buffer&) = delete;
    byte_buffer& operator=(const byte_buffer&) = delete;

    std::size_t size() const noexcept { return end_ - begin_; }
    bool empty() const noexcept { return begin_ == end_; }
    const char* data() const noexcept { return buf_.get() + begin_; }
    std::string_view view() const noexcept { return {data(), size()}; }

    /// Room for n more bytes at the end (moves or grows the storage).
    char* prepare(std::size_t n);
    /// Makes n of the prepared bytes part of the buffer.
    void commit(std::size_t n) noexcept { end_ += n; }
    void append(std::string_view s);
    /// Drops the first n bytes (n <= size()).
    void consume(std::size_t n) noexcept;
    /// Removes and returns the first n bytes (n <= size()).
    std::string take(std::size_t n);
    void clear() noexcept { consume(size()); }
    /// Frees the storage if the buffer is empty: a reader parked on an idle
    /// connection then holds no buffer.
    void release_if_empty() noexcept {
        if (!empty()) return;
        buf_.reset();
        cap_ = begin_ = end_ = 0;
    }

private:
    std::unique_ptr<char[]> buf_;
    std::size_t cap_ = 0, begin_ = 0, end_ = 0;
};

/// A "something changed" signal with io_source's sequence protocol: read
/// seq() while checking a condition under the owner's lock, then, if the
/// condition says wait, co_await wait(seen). A notify() after the check is
/// seen by the wait (both use the queue's lock), so no wake-up is lost.
class state_signal {
public:
    state_signal() = default;
    state_signal(const state_signal&) = delete;
    state_signal& operator=(const state_signal&) = delete;

    /// Acquire: pairs with the release bump in notify().
    std::uint32_t seq() const noexcept { return seq_.load(std::memory_order_acquire); }
    /// Wakes every waiter. Any thread.
    void notify() noexcept;

    class awaiter {
    public:
        awaiter(state_signal& s, std::uint32_t seen, const char* what) noexcept
            : s_(s), seen_(seen), what_(what) {}
        bool await_ready() const noexcept { return s_.seq() != seen_; }
        bool await_suspend(std::coroutine_handle<> h);
        /// Throws cancelled_error if the waiting task was cancelled.
        void await_resume();

    private:
        state_signal& s_;
        std::uint32_t seen_;
        const char* what_;
        parked_wait wait_;
    };
    /// Waits until seq() moves past `seen`. Inside a task only.
    awaiter wait(std::uint32_t seen, const char* what) noexcept { return {*this, seen, what}; }

private:
    waiter_queue q_;
    std::atomic<std::uint32_t> seq_{0};
};

class stream_transport : public std::enable_shared_from_this<stream_transport> {
public:
    enum class kind : std::uint8_t { socket, pipe };

    /// Takes fd (non-blocking); registered by the first operation.
    stream_transport(int fd, kind k, std::size_t limit, socket_address peer, socket_address local);
    /// Takes a source registered already (open_connection).
    stream_transport(source_owner src, kind k, std::size_t limit, socket_address peer,
                     socket_address local);
    ~stream_transport();
    stream_transport(const stream_transport&) = delete;
    stream_transport& operator=(const stream_transport&) = delete;

    // --- read side (the holder of a read_claim only) ---------------------------------

    /// One reading task at a time: acquiring the claim (acquire) sees what
    /// the previous reader left in the buffer (its release).
    class read_claim {
    public:
        read_claim(stream_transport& t, const char* op);
        ~read_claim() { t_.reading_.store(false, std::memory_order_release); }
        read_claim(const read_claim&) = delete;
        read_claim& operator=(const read_claim&) = delete;

    private:
        stream_transport& t_;
    };

    std::string_view buffered() const noexcept { return rbuf_.view(); }
    std::string take(std::size_t n);
    void drop(std::size_t n) noexcept;
    /// Receives once, at most max_bytes (> 0), into the buffer, waiting for
    /// data if none is there. False at end of stream (then and later).
    /// Throws the receive error (again on later calls), or EBADF once the
    /// stream was closed.
    coro<bool> fill(std::size_t max_bytes);
    bool eof_received() const noexcept { return eof_.load(std::memory_order_acquire); }
    bool at_eof() const noexcept {
        // Acquire: pairs with the release stores of the reader (publish()).
        return eof_.load(std::memory_order_acquire) && rsize_.load(std::memory_order_acquire) == 0;
    }
    std::size_t limit() const noexcept { return limit_; }

    // --- write side (any thread; see the invariants above) ---------------------------

    void write(std::string_view data);
    coro<void> drain();
    void set_write_buffer_limits(std::size_t high, std::size_t low);
    std::size_t write_buffer_size() const;
    void write_eof();
    void close();
    bool is_closing() const;
    coro<void> wait_closed();

    // --- description ------------------------------------------------------------------

    kind type() const noexcept { return kind_; }
    const socket_address& peer() const noexcept { return peer_; }
    const socket_address& local() const noexcept { return local_; }
    int fd_number() const noexcept { return fd_number_; }
    /// What error messages name: the peer's address, else the local one,
    /// else the descriptor.
    const std::string& where() const noexcept { return where_; }

private:
    static coro<void> flush(std::shared_ptr<stream_transport> self);

    /// Registers the descriptor with the running loop's reactor if it is
    /// not yet; throws EBADF (naming `what`) once closed.
    void ensure_source_locked(const char* what);
    [[noreturn]] void throw_closed(const char* what) const;
    /// write(): throws if the stream cannot take bytes.
    void check_writable_locked(const char* what) const;
    /// Sends what the kernel takes of wbuf_; 0, or the errno of a failure.
    int send_buffered_locked() noexcept;
    void start_flush_locked();
    /// The send failed with err: store it, drop the buffer, finish a
    /// pending close.
    void fail_write_locked(int err, const char* what);
    void fail_write_locked(std::exception_ptr e);
    /// wbuf_ just became empty: half-close or close if asked.
    void after_flush_locked();
    void shutdown_write_locked() noexcept;
    void finish_close_locked() noexcept;
    /// Shuts the source down and makes its reactor poll soon, so that the
    /// descriptor is closed promptly even if that loop is idle.
    void release_source_locked() noexcept;
    void publish_read_size() noexcept { rsize_.store(rbuf_.size(), std::memory_order_release); }

    const kind kind_;
    const std::size_t limit_;
    const socket_address peer_, local_;
    const int fd_number_;
    const std::string where_;

    // Read side.
    std::atomic<bool> reading_{false};
    byte_buffer rbuf_;
    std::exception_ptr read_error_;
    // A recv that returned fewer bytes than asked emptied the kernel's
    // queue: until the read sequence moves past drained_seq_, the next
    // fill() waits for readiness instead of trying a recv that would only
    // say EAGAIN (one system call per request saved on request/response
    // traffic).
    bool drained_ = false;
    std::uint32_t drained_seq_ = 0;
    // Release stores by the reader, acquire loads in at_eof().
    std::atomic<bool> eof_{false};
    std::atomic<std::size_t> rsize_{0};

    // Write side and the descriptor, under mu_.
    mutable std::mutex mu_;
    int fd_;              // until registered (then -1: the source owns it)
    source_owner src_;    // once registered
    byte_buffer wbuf_;
    std::size_t high_ = 64 * 1024, low_ = 16 * 1024;
    std::exception_ptr write_error_;
    bool flushing_ = false;
    bool paused_ = false;
    bool eof_requested_ = false;
    bool eof_sent_ = false;
    bool closing_ = false;
    bool closed_ = false;
    state_signal changed_;
};

/// Shuts a source down and makes its reactor poll soon: the reactor hands
/// its reference back on its next poll, and an idle loop would otherwise
/// keep the descriptor open while it sleeps.
void close_source_promptly(source_owner& src) noexcept;

/// Checks a stream buffer limit (asyncio: "Limit cannot be <= 0").
void check_stream_limit(std::size_t limit, const char* what);

/// Streams over a connected, non-blocking socket: one registered already
/// (open_connection), or a descriptor the first operation registers (a
/// server's accepted connection). peer: known already (accept), or empty
/// to ask the kernel.
std::pair<stream_reader, stream_writer> make_connected_streams(source_owner src, std::size_t limit,
                                                               socket_address peer);
std::pair<stream_reader, stream_writer> make_connected_streams(int fd, std::size_t limit,
                                                               socket_address peer);

} // namespace weft::detail
