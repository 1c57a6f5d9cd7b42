// loop.add_reader / add_writer: asyncio's level-triggered fd callbacks on
// top of the edge-triggered reactor. An edge queues a "pump" with call_soon;
// the pump runs the callback, then, while the fd stays ready and the
// callback stays registered, queues itself again, once per loop iteration,
// which is what a level-triggered selector gives asyncio.
#include "reactor.hpp"

#include <weft/errors.hpp>
#include <weft/scheduler/event_loop.hpp>

#include <poll.h>

namespace weft::detail {

namespace {

using fd_watch = reactor::fd_watch;

bool ready_now(int fd, short what) noexcept {
    pollfd p{fd, what, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (what | POLLERR | POLLHUP | POLLNVAL));
}

void pump(event_loop* loop, reactor* r, int fd, bool reading);

void queue_pump(event_loop* loop, reactor* r, int fd, fd_watch& w, bool reading) {
    bool& queued = reading ? w.read_pump : w.write_pump;
    if (queued) return;
    queued = true;
    loop->call_soon([loop, r, fd, reading] { pump(loop, r, fd, reading); });
}

void pump(event_loop* loop, reactor* r, int fd, bool reading) {
    auto it = r->watches.find(fd);
    if (it == r->watches.end()) return;
    (reading ? it->second->read_pump : it->second->write_pump) = false;
    std::function<void()> f = reading ? it->second->reader : it->second->writer;
    if (!f) return;
    f();  // may add or remove watches, even this one
    it = r->watches.find(fd);
    if (it == r->watches.end() || !(reading ? it->second->reader : it->second->writer)) return;
    if (ready_now(fd, reading ? POLLIN : POLLOUT)) queue_pump(loop, r, fd, *it->second, reading);
}

void on_edge(io_source& s, bool readable, bool writable) noexcept {
    // A removed watch's source is shut down before its fd_watch goes; an
    // event fetched before the removal is dropped here.
    if (s.closed()) return;
    auto* r = static_cast<reactor*>(s.context);
    auto it = r->watches.find(s.fd());
    if (it == r->watches.end()) return;
    event_loop* loop = running_loop();
    try {
        if (readable && it->second->reader) queue_pump(loop, r, s.fd(), *it->second, true);
        if (writable && it->second->writer) queue_pump(loop, r, s.fd(), *it->second, false);
    } catch (...) {
        loop->call_exception_handler({"add_reader/add_writer: could not queue the callback",
                                      std::current_exception(), {}});
    }
}

void check_call(event_loop& loop, const char* what, int fd) {
    loop.check_open(what);
    if (!loop.on_loop_thread())
        throw error(std::string(what) + "(): call it from the thread running the loop "
                                        "(use call_soon_threadsafe)");
    if (fd < 0) throw value_error(std::string(what) + "(): invalid file descriptor " + std::to_string(fd));
}

void set_watch(event_loop& loop, int fd, std::function<void()> f, bool reading, const char* what) {
    check_call(loop, what, fd);
    if (!f) throw value_error(std::string(what) + "(): empty callback");
    reactor& r = reactor_of(loop);
    auto it = r.watches.find(fd);
    if (it == r.watches.end()) {
        auto w = std::make_unique<fd_watch>();
        w->src = register_fd(fd, what, /*owns_fd=*/false, &on_edge, &r);
        it = r.watches.emplace(fd, std::move(w)).first;
    }
    (reading ? it->second->reader : it->second->writer) = std::move(f);
    // The edge of a fd that was ready before it was watched has passed.
    if (ready_now(fd, reading ? POLLIN : POLLOUT)) queue_pump(&loop, &r, fd, *it->second, reading);
}

bool clear_watch(event_loop& loop, int fd, bool reading, const char* what) {
    check_call(loop, what, fd);
    if (!loop.io_driver()) return false;
    reactor& r = reactor_of(loop);
    auto it = r.watches.find(fd);
    if (it == r.watches.end()) return false;
    std::function<void()>& slot = reading ? it->second->reader : it->second->writer;
    if (!slot) return false;
    slot = nullptr;
    if (!it->second->reader && !it->second->writer) {
        it->second->src.close();
        r.watches.erase(it);
    }
    return true;
}

} // namespace

} // namespace weft::detail

namespace weft {

void event_loop::add_reader(int fd, std::function<void()> f) {
    detail::set_watch(*this, fd, std::move(f), true, "add_reader");
}
bool event_loop::remove_reader(int fd) { return detail::clear_watch(*this, fd, true, "remove_reader"); }
void event_loop::add_writer(int fd, std::function<void()> f) {
    detail::set_watch(*this, fd, std::move(f), false, "add_writer");
}
bool event_loop::remove_writer(int fd) { return detail::clear_watch(*this, fd, false, "remove_writer"); }

} // namespace weft
