#include "tbb_support.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>

#include <mutex>

#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif

#if defined(WEFT_TSAN) || defined(__SANITIZE_ADDRESS__)
#define WEFT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_SANITIZED 1
#endif
#endif

#ifdef WEFT_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace weft::detail {

std::vector<int> tbb_numa_nodes() {
#ifdef WEFT_SANITIZED
    return {-1};
#else
    std::vector<int> out;
    for (oneapi::tbb::numa_node_id id : oneapi::tbb::info::numa_nodes()) out.push_back(id);
    if (out.empty()) out.push_back(-1);
    return out;
#endif
}

std::shared_ptr<void> tbb_worker_allowance() {
    static std::mutex m;
    static std::weak_ptr<oneapi::tbb::global_control> current;
    std::lock_guard<std::mutex> g(m);
    if (auto held = current.lock()) return held;
    // max_allowed_parallelism counts the application thread: cores + 1
    // allows one worker per core.
    auto made = std::make_shared<oneapi::tbb::global_control>(
        oneapi::tbb::global_control::max_allowed_parallelism,
        static_cast<std::size_t>(oneapi::tbb::info::default_concurrency()) + 1);
    current = made;
    return made;
}

void tsan_release([[maybe_unused]] void* token) noexcept {
#ifdef WEFT_TSAN
    __tsan_release(token);
#endif
}

void tsan_acquire([[maybe_unused]] void* token) noexcept {
#ifdef WEFT_TSAN
    __tsan_acquire(token);
#endif
}

} // namespace weft::detail
