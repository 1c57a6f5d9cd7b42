// Chaos scheduling (WEFT_CHAOS=1 or the WEFT_CHAOS build option): a testing
// mode that perturbs the order of ready work to shake out ordering
// assumptions and races. Workers shuffle what became ready together, pick
// the oldest instead of the newest entry at random, and awaits of an
// already finished future or task yield to the loop at random instead of
// continuing inline. Seeded (WEFT_CHAOS_SEED) per worker, so a failing seed
// can be replayed (thread timing aside).
#pragma once

#include <atomic>
#include <cstdint>

namespace weft::detail {

/// Number of live runtimes in chaos mode; awaits check it before rolling.
extern std::atomic<int> chaos_runtimes;

inline bool chaos_active() noexcept {
    // Relaxed: a mode switch for tests, set before the workers start.
    return chaos_runtimes.load(std::memory_order_relaxed) != 0;
}

/// Seeds this thread's chaos generator (workers, at start).
void chaos_seed_thread(std::uint64_t seed) noexcept;
/// True with probability 1/4, from this thread's generator.
bool chaos_roll() noexcept;

} // namespace weft::detail
