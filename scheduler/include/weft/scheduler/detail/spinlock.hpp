// A tiny test-and-test-and-set lock for critical sections of a few
// instructions (linking a waiter into a future, swapping a cancel hook).
#pragma once

#include <atomic>

namespace weft::detail {

class spinlock {
public:
    void lock() noexcept {
        for (;;) {
            // Pairs with the release store in unlock(): acquiring the lock
            // sees everything written under it by the previous holder.
            if (!locked_.exchange(true, std::memory_order_acquire)) return;
            while (locked_.load(std::memory_order_relaxed)) pause();
        }
    }
    bool try_lock() noexcept {
        return !locked_.load(std::memory_order_relaxed) &&
               !locked_.exchange(true, std::memory_order_acquire);
    }
    void unlock() noexcept {
        // Pairs with the acquire exchange in lock().
        locked_.store(false, std::memory_order_release);
    }

private:
    static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        asm volatile("yield");
#endif
    }
    std::atomic<bool> locked_{false};
};

/// RAII holder for spinlock (std::lock_guard works too; this one is noexcept
/// and lighter to include).
class spin_guard {
public:
    explicit spin_guard(spinlock& l) noexcept : l_(l) { l_.lock(); }
    ~spin_guard() { l_.unlock(); }
    spin_guard(const spin_guard&) = delete;
    spin_guard& operator=(const spin_guard&) = delete;

private:
    spinlock& l_;
};

} // namespace weft::detail
