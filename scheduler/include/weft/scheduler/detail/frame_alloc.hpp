// Allocation of coroutine frames and task states.
//
// Spawning a task must not cost a global malloc in steady state: blocks are
// recycled through per-thread free lists, one per size class (64-byte steps up
// to max_pooled_size). A block freed on another thread goes to that thread's
// list (bounded; the surplus goes back to operator delete). Builds with
// WEFT_NO_FRAME_POOL (the sanitizer presets) call operator new/delete directly
// so that AddressSanitizer sees every use after free.
#pragma once

#include <cstddef>

namespace weft::detail {

inline constexpr std::size_t frame_size_step = 64;
inline constexpr std::size_t max_pooled_size = 1024;

void* frame_allocate(std::size_t size);
void frame_deallocate(void* p, std::size_t size) noexcept;

} // namespace weft::detail
