// The shared state of a weft::server: its listening sockets, the tasks that
// accept on them, and the count of connections being served.
//
// Accept modes (server_options::reuse_port):
//   - one listener per worker, bound with SO_REUSEPORT to the same address;
//     each is accepted on by a task that is not stealable, on its own
//     worker, and that worker serves what it accepts (the kernel spreads
//     the connections);
//   - one listener and one acceptor task (not stealable, on the loop that
//     started the server), which hands each connection to the workers in
//     turn: a handler task created on that worker's loop.
//
// A listener's descriptor is registered by its accept task, on that task's
// loop (register_fd registers with the running loop's reactor), so until
// the task runs the listener owns the bare descriptor.
//
// Concurrency: mu_ guards closed_, active_ and serving_forever_; each
// listener has its own lock for its descriptor (close() runs on any thread
// while accept tasks run on theirs). changed_ is notified after close() and
// after every connection that ends (what wait_closed and serve_forever wait
// for).
#pragma once

#include "stream_transport.hpp"

#include <weft/io/detail/io_source.hpp>
#include <weft/io/socket_address.hpp>
#include <weft/io/streams.hpp>
#include <weft/scheduler/event_loop.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <sys/types.h>

namespace weft::detail {

struct listener {
    listener(int listening_fd, socket_address addr) noexcept
        : fd(listening_fd), address(std::move(addr)) {}
    ~listener();
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;

    /// Stops listening at once (the kernel refuses new connections), wakes
    /// the accept task and releases the descriptor. Idempotent.
    void close() noexcept;

    std::mutex mu;
    int fd;               // until the accept task registers it (then -1)
    source_owner src;     // registered by the accept task
    bool closed = false;  // under mu
    const socket_address address;
};

class server_state : public std::enable_shared_from_this<server_state> {
public:
    server_state(connection_handler handler, server_options opts, std::vector<event_loop*> loops) noexcept
        : handler_(std::move(handler)), opts_(opts), loops_(std::move(loops)) {}
    ~server_state();
    server_state(const server_state&) = delete;
    server_state& operator=(const server_state&) = delete;

    /// Before start(): the listeners (and the addresses sockets() reports).
    void add_listener(std::shared_ptr<listener> l) { listeners_.push_back(std::move(l)); }
    void add_address(socket_address a) { addresses_.push_back(std::move(a)); }
    /// A Unix server removes its socket file on close if it is still the
    /// one it bound (same device and inode).
    void set_unix_path(std::string path, dev_t dev, ino_t ino) {
        unix_path_ = std::move(path);
        unix_dev_ = dev;
        unix_ino_ = ino;
    }
    /// Starts one accept task per listener, each on its loop (reuse_port)
    /// or all on the running loop. On the running loop's thread.
    void start();

    void close() noexcept;
    bool closed() const;
    bool is_serving() const;
    coro<void> wait_closed();
    coro<void> serve_forever();
    std::vector<socket_address> sockets() const { return addresses_; }

    /// One connection being served: counted from accept to the end of its
    /// handler task (or until a hand-off to another worker fails). Closes the
    /// descriptor if nobody took it.
    class ticket {
    public:
        ticket(std::shared_ptr<server_state> s, int fd, socket_address peer) noexcept;
        ticket(ticket&& o) noexcept
            : s_(std::move(o.s_)), fd_(std::exchange(o.fd_, -1)), peer_(std::move(o.peer_)) {}
        ticket& operator=(ticket&&) = delete;
        ~ticket();
        int release_fd() noexcept { return std::exchange(fd_, -1); }
        server_state& state() const noexcept { return *s_; }
        const socket_address& peer() const noexcept { return peer_; }

    private:
        std::shared_ptr<server_state> s_;
        int fd_;
        socket_address peer_;
    };

private:
    static coro<void> accept_loop(std::shared_ptr<server_state> self, std::shared_ptr<listener> l);
    static coro<void> serve_connection(ticket t);
    static void spawn_handler(ticket t) noexcept;
    /// Hands a new connection to a worker (round robin) or serves it here.
    void dispatch(int fd, socket_address peer, event_loop& here) noexcept;
    void report(event_loop& loop, std::string message, std::exception_ptr e) noexcept;
    void remove_unix_path() noexcept;

    const connection_handler handler_;
    const server_options opts_;
    const std::vector<event_loop*> loops_;  // the runtime's loops, for the hand-offs
    std::vector<std::shared_ptr<listener>> listeners_;  // fixed after start()
    std::vector<socket_address> addresses_;             // fixed after start()
    std::string unix_path_;
    dev_t unix_dev_ = 0;
    ino_t unix_ino_ = 0;
    std::atomic<std::size_t> next_loop_{0};  // round robin (relaxed: any spread will do)

    mutable std::mutex mu_;
    bool started_ = false;
    bool closed_ = false;
    bool serving_forever_ = false;
    std::size_t active_ = 0;
    state_signal changed_;
};

} // namespace weft::detail
