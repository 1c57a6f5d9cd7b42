// Which reactor weft::io uses on a loop (runtime_options::io_backend, or the
// WEFT_IO_BACKEND environment variable: "epoll" or "io_uring").
#pragma once

namespace weft {

enum class io_backend {
    automatic,  ///< epoll (the cheaper backend for small request/response traffic)
    epoll,
    io_uring,   ///< falls back to epoll (reported in debug mode) if refused
};

} // namespace weft
