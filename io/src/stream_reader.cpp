// stream_reader: asyncio's StreamReader over a stream_transport's buffer.
//
// Each operation is a coroutine holding the transport (so a reader handle
// may go away while a read is pending) and the transport's read claim (one
// reader at a time). Bytes enter the buffer only through fill(), one recv()
// at a time, and leave it only when an operation returns them, so a read
// cancelled while it waits leaves everything it received in the buffer.
//
// How far a read looks ahead: a search for a separator never grows the
// buffer past limit + len(sep) (the longest chunk asyncio accepts is
// `limit` bytes before the separator); other reads take at most
// max(n, limit) bytes into the buffer.
#include "stream_transport.hpp"

#include <weft/errors.hpp>
#include <weft/io/streams.hpp>

#include <algorithm>
#include <memory>
#include <string>

namespace weft {

namespace {

using detail::stream_transport;
using transport_ptr = std::shared_ptr<stream_transport>;

stream_transport& checked(const transport_ptr& t, const char* op) {
    if (!t) throw error(std::string("stream_reader::") + op + ": empty stream_reader (default-constructed)");
    return *t;
}

/// readuntil's search, with the claim held by the caller. On overrun the
/// bytes stay buffered (the caller decides, as asyncio's readline does).
coro<std::string> read_until(stream_transport& t, const std::string& sep, const char* op) {
    const std::size_t seplen = sep.size();
    const std::size_t limit = t.limit();
    std::size_t offset = 0;  // where the separator may start, as far as searched
    for (;;) {
        const std::string_view buf = t.buffered();
        if (buf.size() >= seplen) {
            const std::size_t isep = buf.find(sep, offset);
            if (isep != std::string_view::npos) {
                if (isep > limit)
                    throw limit_overrun_error(std::string(op) + ": separator is found, but the chunk before it is " +
                                                  std::to_string(isep) + " bytes, longer than the limit of " +
                                                  std::to_string(limit),
                                              isep);
                co_return t.take(isep + seplen);
            }
            offset = buf.size() + 1 - seplen;
            if (offset > limit)
                throw limit_overrun_error(std::string(op) + ": separator is not found, and the chunk exceeds the limit of " +
                                              std::to_string(limit) + " bytes",
                                          offset);
        }
        if (t.eof_received()) {
            // asyncio's expected is None here; the least that was expected is
            // what came plus a separator.
            std::string partial = t.take(buf.size());
            const std::size_t expected = partial.size() + seplen;
            throw incomplete_read_error(std::move(partial), expected);
        }
        // offset <= limit, so the buffer holds less than limit + seplen.
        co_await t.fill(limit + seplen - buf.size());
    }
}

coro<std::string> do_read(transport_ptr tp, std::ptrdiff_t n) {
    stream_transport& t = checked(tp, "read()");
    stream_transport::read_claim claim(t, "read()");
    if (n == 0) co_return std::string();
    const std::size_t chunk = std::max<std::size_t>(t.limit(), 64 * 1024);
    if (n < 0) {
        // Everything up to end of stream; an error on the way leaves what
        // came in the buffer.
        while (co_await t.fill(chunk)) {
        }
        co_return t.take(t.buffered().size());
    }
    const auto want = static_cast<std::size_t>(n);
    // One recv takes up to the limit, as asyncio's transport does, so that
    // small read(n) calls are served from the buffer; the storage is given
    // back whenever the reader parks on an empty buffer.
    if (t.buffered().empty()) (void)co_await t.fill(std::max(want, t.limit()));
    co_return t.take(std::min(want, t.buffered().size()));
}

coro<std::string> do_readexactly(transport_ptr tp, std::size_t n) {
    stream_transport& t = checked(tp, "readexactly()");
    stream_transport::read_claim claim(t, "readexactly()");
    while (t.buffered().size() < n) {
        const std::size_t room = std::max(n, t.limit()) - t.buffered().size();
        if (!co_await t.fill(room)) {
            std::string partial = t.take(t.buffered().size());
            throw incomplete_read_error(std::move(partial), n);
        }
    }
    co_return t.take(n);
}

coro<std::string> do_readuntil(transport_ptr tp, std::string sep) {
    stream_transport& t = checked(tp, "readuntil()");
    if (sep.empty()) throw value_error("readuntil(): the separator must not be empty");
    stream_transport::read_claim claim(t, "readuntil()");
    co_return co_await read_until(t, sep, "readuntil()");
}

coro<std::string> do_readline(transport_ptr tp) {
    stream_transport& t = checked(tp, "readline()");
    stream_transport::read_claim claim(t, "readline()");
    static const std::string sep = "\n";
    std::string line;
    std::string overrun;
    try {
        line = co_await read_until(t, sep, "readline()");
    } catch (incomplete_read_error& e) {
        line = std::move(e.partial);  // end of stream: what is left
    } catch (const limit_overrun_error& e) {
        // asyncio's readline: drop the chunk, up to and including the
        // separator if it is there, else the whole buffer.
        const std::string_view buf = t.buffered();
        if (buf.substr(std::min(e.consumed, buf.size())).starts_with(sep))
            t.drop(e.consumed + sep.size());
        else
            t.drop(buf.size());
        overrun = e.what();
    }
    if (!overrun.empty()) throw value_error(overrun);
    co_return line;
}

} // namespace

coro<std::string> stream_reader::read(std::ptrdiff_t n) { return do_read(t_, n); }

coro<std::string> stream_reader::readline() { return do_readline(t_); }

coro<std::string> stream_reader::readexactly(std::size_t n) { return do_readexactly(t_, n); }

coro<std::string> stream_reader::readuntil(std::string_view sep) {
    // The separator is copied: the coroutine may run after the caller's
    // string is gone.
    return do_readuntil(t_, std::string(sep));
}

bool stream_reader::at_eof() const noexcept { return t_ && t_->at_eof(); }

std::size_t stream_reader::limit() const noexcept { return t_ ? t_->limit() : default_stream_limit; }

} // namespace weft
