// stream_writer: asyncio's StreamWriter; the work is the transport's write
// side (stream_transport.cpp). The coroutines hold the transport, so a
// writer handle may go away while drain() or wait_closed() is pending.
#include "stream_transport.hpp"

#include <weft/errors.hpp>
#include <weft/io/streams.hpp>

#include <memory>
#include <string>

namespace weft {

namespace {

using detail::stream_transport;
using transport_ptr = std::shared_ptr<stream_transport>;

stream_transport& checked(const transport_ptr& t, const char* op) {
    if (!t) throw error(std::string("stream_writer::") + op + ": empty stream_writer (default-constructed)");
    return *t;
}

coro<void> do_drain(transport_ptr t) { co_await checked(t, "drain()").drain(); }

coro<void> do_wait_closed(transport_ptr t) { co_await checked(t, "wait_closed()").wait_closed(); }

std::string address_text(const socket_address& a) {
    if (a.empty() || (a.family() == AF_UNIX && a.host().empty())) return {};
    return a.to_string();
}

} // namespace

void stream_writer::write(std::string_view data) { checked(t_, "write()").write(data); }

coro<void> stream_writer::drain() { return do_drain(t_); }

void stream_writer::set_write_buffer_limits(std::size_t high, std::size_t low) {
    checked(t_, "set_write_buffer_limits()").set_write_buffer_limits(high, low);
}

std::size_t stream_writer::write_buffer_size() const noexcept { return t_ ? t_->write_buffer_size() : 0; }

bool stream_writer::can_write_eof() const noexcept { return static_cast<bool>(t_); }

void stream_writer::write_eof() { checked(t_, "write_eof()").write_eof(); }

void stream_writer::close() {
    if (t_) t_->close();
}

bool stream_writer::is_closing() const noexcept { return !t_ || t_->is_closing(); }

coro<void> stream_writer::wait_closed() { return do_wait_closed(t_); }

std::string stream_writer::get_extra_info(std::string_view name) const {
    if (!t_) return {};
    if (name == "peername") return address_text(t_->peer());
    if (name == "sockname") return address_text(t_->local());
    if (name == "fd") return std::to_string(t_->fd_number());
    return {};
}

socket_address stream_writer::peername() const { return t_ ? t_->peer() : socket_address(); }

socket_address stream_writer::sockname() const { return t_ ? t_->local() : socket_address(); }

} // namespace weft
