// A worker's local run queue: a bounded Chase–Lev deque of runnables.
//
// The owner pushes and pops at the bottom (newest first: work spawned by the
// task that just ran is still hot in cache, and fork-join trees run depth
// first in bounded memory); thieves take from the top (oldest first: the
// largest pieces of work, and the ones that waited longest). The owner may
// also take from the top with steal().
//
// Memory orders follow Lê, Pop, Cohen and Zappa Nardelli, "Correct and
// Efficient Work-Stealing for Weak Memory Models" (PPoPP 2013), bounded
// (no resizing: a full deque refuses the push and the worker sends the
// overflow to the shared injection queue), with the release fence of push
// folded into a release store of bottom_ so that thread sanitizers see the
// synchronization.
//
// Invariants: top_ only grows (CAS by thieves and by the owner's last-item
// pop); bottom_ is written only by the owner; entries [top_, bottom_) are
// the queued runnables; bottom_ - top_ <= capacity. Slots are atomics
// because a thief that lost the race may read a slot the owner is reusing:
// the value it read is then discarded when its CAS on top_ fails.
#pragma once

#include <weft/scheduler/detail/runnable.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace weft::detail {

class work_deque {
public:
    /// capacity is rounded up to a power of two (at least 2).
    explicit work_deque(std::size_t capacity) {
        std::size_t c = 2;
        while (c < capacity) c <<= 1;
        mask_ = c - 1;
        slots_ = std::make_unique<std::atomic<runnable*>[]>(c);
        for (std::size_t i = 0; i < c; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
    }
    work_deque(const work_deque&) = delete;
    work_deque& operator=(const work_deque&) = delete;

    std::size_t capacity() const noexcept { return mask_ + 1; }

    /// Owner only. False when full (r is not queued).
    bool push(runnable* r) noexcept {
        const std::int64_t b = bottom_.load(std::memory_order_relaxed);
        // Acquire pairs with the thieves' CAS on top_: once a slot was taken
        // and its top_ advance is seen here, the slot may be reused.
        const std::int64_t t = top_.load(std::memory_order_acquire);
        if (b - t > static_cast<std::int64_t>(mask_)) return false;
        slots_[static_cast<std::size_t>(b) & mask_].store(r, std::memory_order_relaxed);
        // Release pairs with the acquire load of bottom_ in steal(): a thief
        // that sees the new bottom sees the slot and the runnable's contents.
        bottom_.store(b + 1, std::memory_order_release);
        return true;
    }

    /// Owner only: the newest entry, or null when empty.
    runnable* pop() noexcept {
        const std::int64_t b = bottom_.load(std::memory_order_relaxed) - 1;
        bottom_.store(b, std::memory_order_relaxed);
        // seq_cst fence: the store of bottom_ above and the load of top_
        // below form a Dekker pair with steal()'s load of top_, fence, load
        // of bottom_: the owner and a thief cannot both miss each other.
        std::atomic_thread_fence(std::memory_order_seq_cst);
        std::int64_t t = top_.load(std::memory_order_relaxed);
        if (t > b) {  // empty
            bottom_.store(b + 1, std::memory_order_relaxed);
            return nullptr;
        }
        runnable* r = slots_[static_cast<std::size_t>(b) & mask_].load(std::memory_order_relaxed);
        if (t == b) {
            // The last entry: race the thieves for it on top_.
            if (!top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst,
                                              std::memory_order_relaxed))
                r = nullptr;
            bottom_.store(b + 1, std::memory_order_relaxed);
        }
        return r;
    }

    /// Any thread (the owner included): the oldest entry, or null when empty
    /// or when another thread took it first.
    runnable* steal() noexcept {
        // Acquire pairs with the CAS of other thieves (and the owner's
        // last-item pop) on top_.
        std::int64_t t = top_.load(std::memory_order_acquire);
        // Pairs with the fence in pop(): see there.
        std::atomic_thread_fence(std::memory_order_seq_cst);
        // Acquire pairs with the release store of bottom_ in push().
        const std::int64_t b = bottom_.load(std::memory_order_acquire);
        if (t >= b) return nullptr;
        runnable* r = slots_[static_cast<std::size_t>(t) & mask_].load(std::memory_order_relaxed);
        // seq_cst: the total order with pop()'s CAS decides who gets the
        // last entry; a failed CAS means someone else took slot t.
        if (!top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst,
                                          std::memory_order_relaxed))
            return nullptr;
        return r;
    }

    /// A snapshot of the number of entries (exact for the owner between its
    /// own operations when no thief runs; an estimate otherwise).
    std::size_t size() const noexcept {
        // Relaxed: an estimate for metrics, stealing heuristics and parking
        // checks that are followed by a real pop/steal.
        const std::int64_t b = bottom_.load(std::memory_order_relaxed);
        const std::int64_t t = top_.load(std::memory_order_relaxed);
        return b > t ? static_cast<std::size_t>(b - t) : 0;
    }
    bool empty() const noexcept { return size() == 0; }

private:
    alignas(64) std::atomic<std::int64_t> top_{0};
    alignas(64) std::atomic<std::int64_t> bottom_{0};
    alignas(64) std::unique_ptr<std::atomic<runnable*>[]> slots_;
    std::size_t mask_ = 0;
};

} // namespace weft::detail
