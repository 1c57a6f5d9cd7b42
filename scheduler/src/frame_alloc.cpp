// Per-thread size-class free lists for coroutine frames and task states.
#include <weft/scheduler/detail/frame_alloc.hpp>

#include <array>
#include <new>

namespace weft::detail {

#if defined(WEFT_NO_FRAME_POOL)

void* frame_allocate(std::size_t size) { return ::operator new(size); }
void frame_deallocate(void* p, std::size_t size) noexcept { ::operator delete(p, size); }

#else

namespace {

constexpr std::size_t class_count = max_pooled_size / frame_size_step;
/// Blocks kept per size class and thread; beyond it frees go to the heap, so
/// a thread that only frees (a consumer of another thread's tasks) stays bounded.
constexpr std::size_t max_cached_per_class = 4096;

struct free_block {
    free_block* next;
};

struct thread_cache {
    struct bin {
        free_block* head = nullptr;
        std::size_t count = 0;
    };
    std::array<bin, class_count> bins{};

    ~thread_cache() {
        for (auto& b : bins) {
            while (b.head) {
                free_block* n = b.head->next;
                ::operator delete(static_cast<void*>(b.head));
                b.head = n;
            }
        }
    }
};

// A pointer that stays valid (null) after the cache's destructor ran, so
// frames freed by other thread_local destructors at thread exit fall back to
// the heap instead of touching a dead cache.
thread_local thread_cache* tls_cache_ptr = nullptr;
thread_local bool tls_cache_dead = false;

struct cache_owner {
    thread_cache cache;
    cache_owner() { tls_cache_ptr = &cache; }
    ~cache_owner() {
        tls_cache_ptr = nullptr;
        tls_cache_dead = true;
    }
};

thread_cache* cache() noexcept {
    if (tls_cache_ptr) return tls_cache_ptr;
    if (tls_cache_dead) return nullptr;
    thread_local cache_owner owner;
    return tls_cache_ptr;
}

std::size_t class_of(std::size_t size) noexcept { return (size - 1) / frame_size_step; }

} // namespace

void* frame_allocate(std::size_t size) {
    if (size == 0 || size > max_pooled_size) return ::operator new(size);
    std::size_t c = class_of(size);
    if (thread_cache* tc = cache()) {
        auto& b = tc->bins[c];
        if (free_block* blk = b.head) {
            b.head = blk->next;
            --b.count;
            return blk;
        }
    }
    return ::operator new((c + 1) * frame_size_step);
}

void frame_deallocate(void* p, std::size_t size) noexcept {
    if (!p) return;
    if (size == 0 || size > max_pooled_size) {
        ::operator delete(p);
        return;
    }
    std::size_t c = class_of(size);
    thread_cache* tc = cache();
    if (tc && tc->bins[c].count < max_cached_per_class) {
        auto& b = tc->bins[c];
        auto* blk = static_cast<free_block*>(p);
        blk->next = b.head;
        b.head = blk;
        ++b.count;
        return;
    }
    ::operator delete(p);
}

#endif

} // namespace weft::detail
