// Allocation of coroutine frames and task states.
//
// Spawning a task must not cost a global malloc in steady state: blocks are
// recycled through per-thread free lists, one per size class (64-byte steps up
// to max_pooled_size) and per kind. Coroutine frames and shared states have
// lists of their own: they are allocated in alternation and freed in other
// orders, and one shared LIFO list would interleave them afresh on every
// burst, scattering consecutive tasks over ever more memory. A block freed on another thread goes to that thread's
// lists. Each thread keeps at most max_cached_bytes; the surplus goes back to
// operator delete, and a thread's cache is released when the thread exits.
// Builds with WEFT_NO_FRAME_POOL (the sanitizer presets) call operator
// new/delete directly so that AddressSanitizer sees every use after free.
//
// The fast paths are inline: a thread-local, constant-initialized table (no
// TLS guard) and a pop or push. Everything else is out of line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

namespace weft::detail {

inline constexpr std::size_t frame_size_step = 64;
inline constexpr std::size_t max_pooled_size = 1024;
inline constexpr std::size_t frame_class_count = max_pooled_size / frame_size_step;
/// Bytes of free blocks one thread keeps for reuse.
inline constexpr std::size_t max_cached_bytes = std::size_t{128} << 20;

struct free_block {
    free_block* next;
};

/// A thread's free lists. Constant-initialized POD: touching it needs no
/// guard. `registered` says the exit hook that empties it is armed; `closed`
/// that the thread is exiting (frees then go straight to the heap).
enum class block_kind : unsigned { frame = 0, state = 1 };
inline constexpr std::size_t block_kind_count = 2;

struct frame_cache {
    free_block* head[block_kind_count][frame_class_count];
    std::size_t cached_bytes;
    bool registered;
    bool closed;
};

inline thread_local constinit frame_cache tls_frame_cache{};

void* frame_allocate_slow(std::size_t size);
void frame_deallocate_slow(void* p, std::size_t size, block_kind kind) noexcept;

inline void* frame_allocate(std::size_t size, block_kind kind = block_kind::frame) {
#if !defined(WEFT_NO_FRAME_POOL)
    if (size - 1 < max_pooled_size) {  // also rejects size 0 (wraps around)
        frame_cache& c = tls_frame_cache;
        free_block*& head = c.head[static_cast<unsigned>(kind)][(size - 1) / frame_size_step];
        if (free_block* b = head) {
            head = b->next;
            c.cached_bytes -= ((size - 1) / frame_size_step + 1) * frame_size_step;
            return b;
        }
    }
#else
    (void)kind;
#endif
    return frame_allocate_slow(size);
}

inline void frame_deallocate(void* p, std::size_t size,
                             block_kind kind = block_kind::frame) noexcept {
#if !defined(WEFT_NO_FRAME_POOL)
    if (p && size - 1 < max_pooled_size) {
        frame_cache& c = tls_frame_cache;
        const std::size_t block = ((size - 1) / frame_size_step + 1) * frame_size_step;
        if (c.registered && !c.closed && c.cached_bytes + block <= max_cached_bytes) {
            auto* b = static_cast<free_block*>(p);
            free_block*& head = c.head[static_cast<unsigned>(kind)][(size - 1) / frame_size_step];
            b->next = head;
            head = b;
            c.cached_bytes += block;
            return;
        }
    }
#else
    (void)kind;
#endif
    frame_deallocate_slow(p, size, kind);
}

} // namespace weft::detail
