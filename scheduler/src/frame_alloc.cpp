// Slow paths of the per-thread frame pool (see frame_alloc.hpp).
#include <weft/scheduler/detail/frame_alloc.hpp>

#include <new>

namespace weft::detail {

#if !defined(WEFT_NO_FRAME_POOL)
namespace {

std::size_t block_size(std::size_t size) noexcept {
    return ((size - 1) / frame_size_step + 1) * frame_size_step;
}

/// Empties the thread's cache when the thread exits. Constructed on a
/// thread's first slow-path call; until then frees bypass the cache, so
/// nothing is cached without the hook that releases it.
struct cache_releaser {
    cache_releaser() noexcept { tls_frame_cache.registered = true; }
    ~cache_releaser() {
        frame_cache& c = tls_frame_cache;
        c.closed = true;
        for (auto& kind : c.head) {
            for (free_block*& head : kind) {
                while (head) {
                    free_block* n = head->next;
                    ::operator delete(static_cast<void*>(head));
                    head = n;
                }
            }
        }
        c.cached_bytes = 0;
    }
};

void arm_release_hook() noexcept {
    frame_cache& c = tls_frame_cache;
    if (c.registered || c.closed) return;
    thread_local cache_releaser releaser;
    (void)releaser;
}

} // namespace
#endif

void* frame_allocate_slow(std::size_t size) {
#if !defined(WEFT_NO_FRAME_POOL)
    if (size - 1 < max_pooled_size) {
        arm_release_hook();
        // Every block of a class has the class's full size, so that any block
        // of the class can serve any request of it.
        return ::operator new(block_size(size));
    }
#endif
    return ::operator new(size);
}

void frame_deallocate_slow(void* p, std::size_t size, block_kind kind) noexcept {
    (void)kind;
    if (!p) return;
#if !defined(WEFT_NO_FRAME_POOL)
    if (size - 1 < max_pooled_size) {
        frame_cache& c = tls_frame_cache;
        if (!c.registered && !c.closed) {
            arm_release_hook();
            frame_deallocate(p, size, kind);  // cached now that the hook is armed
            return;
        }
        ::operator delete(p);  // unsized: clang 14 has no sized delete by default
        return;
    }
#endif
    ::operator delete(p);
}

} // namespace weft::detail
