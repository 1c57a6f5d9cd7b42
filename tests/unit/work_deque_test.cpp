// weft::detail::work_deque, the bounded Chase–Lev deque of a worker's local
// run queue: capacity rounding, full and empty edges, a single-threaded
// golden model (push/pop/steal against a std::deque), and a concurrent run
// (one owner pushing, popping and stealing, several thieves stealing) checked
// for what Chase–Lev guarantees: every item taken exactly once, each thief
// sees items in push order, and each owner pop returns the newest item not
// taken yet.
//
// Seeds: WEFT_TEST_SEED (decimal or 0x-hex) replaces the seed list; the
// seeds used are in the failure messages (and a time-based one is printed).
#include <weft/scheduler/detail/work_deque.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define WEFT_DEQUE_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define WEFT_DEQUE_TEST_SANITIZED 1
#endif
#endif
#ifndef WEFT_DEQUE_TEST_SANITIZED
#define WEFT_DEQUE_TEST_SANITIZED 0
#endif

namespace {

using weft::detail::runnable;
using weft::detail::work_deque;

/// The seeds to run: WEFT_TEST_SEED alone if set, else a fixed list plus one
/// time-based seed (printed, so that a failure can be replayed).
std::vector<std::uint64_t> test_seeds(const char* test_name) {
    if (const char* env = std::getenv("WEFT_TEST_SEED"); env && *env)
        return {std::strtoull(env, nullptr, 0)};
    const auto t = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    const std::uint64_t time_seed = t ^ (t >> 29) ^ 0x9e3779b97f4a7c15ull;
    std::cout << "[ seed     ] " << test_name << ": time-based seed " << time_seed
              << " (replay with WEFT_TEST_SEED=" << time_seed << ")\n";
    return {1, 2, 42, 0xC0FFEE, 20240601, time_seed};
}

std::string seed_note(std::uint64_t seed) {
    return "seed " + std::to_string(seed) + " (replay with WEFT_TEST_SEED=" + std::to_string(seed) + ")";
}

/// A pool of distinct runnables; an item's identity is its index.
struct pool {
    std::vector<runnable> items;
    explicit pool(std::size_t n) : items(n) {}
    runnable* at(std::size_t i) { return &items[i]; }
    /// The index of r, or -1 if r is not one of ours.
    std::int64_t index_of(const runnable* r) const {
        if (r < items.data() || r >= items.data() + items.size()) return -1;
        return r - items.data();
    }
};

// --- capacity and edges --------------------------------------------------------------

TEST(WorkDequeTest, CapacityIsRoundedUpToAPowerOfTwoOfAtLeastTwo) {
    const std::pair<std::size_t, std::size_t> cases[] = {
        {0, 2}, {1, 2}, {2, 2}, {3, 4}, {4, 4}, {5, 8}, {7, 8}, {8, 8}, {9, 16},
        {255, 256}, {256, 256}, {257, 512}, {1000, 1024}, {1024, 1024}, {1025, 2048},
    };
    for (auto [requested, expected] : cases) {
        work_deque d(requested);
        EXPECT_EQ(d.capacity(), expected) << "requested " << requested;
        EXPECT_EQ(d.size(), 0u);
        EXPECT_TRUE(d.empty());
    }
}

TEST(WorkDequeTest, EmptyDequeGivesNothing) {
    work_deque d(4);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(d.pop(), nullptr);
        EXPECT_EQ(d.steal(), nullptr);
        EXPECT_EQ(d.size(), 0u);
        EXPECT_TRUE(d.empty());
    }
    // Failed pops on an empty deque must not move bottom below top.
    pool p(2);
    ASSERT_TRUE(d.push(p.at(0)));
    EXPECT_EQ(d.size(), 1u);
    EXPECT_EQ(d.steal(), p.at(0));
    EXPECT_EQ(d.pop(), nullptr);
    EXPECT_EQ(d.pop(), nullptr);
    ASSERT_TRUE(d.push(p.at(1)));
    EXPECT_EQ(d.size(), 1u);
    EXPECT_EQ(d.pop(), p.at(1));
    EXPECT_TRUE(d.empty());
}

TEST(WorkDequeTest, FullDequeRefusesThePushAndKeepsItsContents) {
    for (std::size_t requested : {1u, 3u, 4u, 6u, 16u}) {
        work_deque d(requested);
        const std::size_t cap = d.capacity();
        pool p(cap + 1);
        for (std::size_t i = 0; i < cap; ++i) ASSERT_TRUE(d.push(p.at(i))) << "item " << i << " cap " << cap;
        EXPECT_EQ(d.size(), cap);
        EXPECT_FALSE(d.push(p.at(cap))) << "cap " << cap;
        EXPECT_FALSE(d.push(p.at(cap))) << "cap " << cap;
        EXPECT_EQ(d.size(), cap);
        // One steal frees one slot; the refused item goes in, and the
        // refused pushes left nothing behind.
        EXPECT_EQ(d.steal(), p.at(0));
        ASSERT_TRUE(d.push(p.at(cap)));
        EXPECT_FALSE(d.push(p.at(0)));
        EXPECT_EQ(d.size(), cap);
        EXPECT_EQ(d.pop(), p.at(cap));  // LIFO at the bottom
        for (std::size_t i = cap - 1; i >= 2; --i) EXPECT_EQ(d.pop(), p.at(i));
        EXPECT_EQ(d.steal(), p.at(1));  // FIFO at the top
        EXPECT_EQ(d.pop(), nullptr);
        EXPECT_EQ(d.steal(), nullptr);
        EXPECT_TRUE(d.empty());
    }
}

TEST(WorkDequeTest, PopIsLifoAndStealIsFifoAcrossWrapAround) {
    work_deque d(4);
    pool p(64);
    std::size_t next = 0;
    // Walk top and bottom far past the capacity so every slot is reused.
    for (int round = 0; round < 10; ++round) {
        const std::size_t first = next;
        for (int i = 0; i < 4; ++i) ASSERT_TRUE(d.push(p.at(next++ % 64)));
        EXPECT_FALSE(d.push(p.at(next % 64)));
        EXPECT_EQ(d.steal(), p.at(first % 64));
        EXPECT_EQ(d.steal(), p.at((first + 1) % 64));
        EXPECT_EQ(d.pop(), p.at((first + 3) % 64));
        EXPECT_EQ(d.size(), 1u);
        EXPECT_EQ(d.pop(), p.at((first + 2) % 64));  // the last item (races top)
        EXPECT_EQ(d.pop(), nullptr);
        EXPECT_EQ(d.size(), 0u);
    }
}

// --- single-threaded golden model ------------------------------------------------------

void run_model(std::size_t capacity, std::uint64_t seed, int ops) {
    SCOPED_TRACE(seed_note(seed) + ", capacity " + std::to_string(capacity));
    work_deque d(capacity);
    const std::size_t cap = d.capacity();
    std::deque<runnable*> model;
    pool p(1024);  // indices cycle; far more than cap items are never live at once
    std::size_t next = 0;
    std::mt19937_64 rng(seed);
    for (int op = 0; op < ops; ++op) {
        const unsigned what = static_cast<unsigned>(rng() % 100);
        if (what < 45) {
            runnable* r = p.at(next % p.items.size());
            const bool pushed = d.push(r);
            ASSERT_EQ(pushed, model.size() < cap) << "push at op " << op << ", model size " << model.size();
            if (pushed) {
                model.push_back(r);
                ++next;
            }
        } else if (what < 75) {
            runnable* r = d.pop();
            runnable* expected = model.empty() ? nullptr : model.back();
            ASSERT_EQ(p.index_of(r), p.index_of(expected)) << "pop at op " << op;
            if (!model.empty()) model.pop_back();
        } else {
            runnable* r = d.steal();
            runnable* expected = model.empty() ? nullptr : model.front();
            ASSERT_EQ(p.index_of(r), p.index_of(expected)) << "steal at op " << op;
            if (!model.empty()) model.pop_front();
        }
        ASSERT_EQ(d.size(), model.size()) << "after op " << op;
        ASSERT_EQ(d.empty(), model.empty()) << "after op " << op;
    }
    // Drain from both ends.
    while (!model.empty()) {
        if (rng() & 1) {
            ASSERT_EQ(d.pop(), model.back());
            model.pop_back();
        } else {
            ASSERT_EQ(d.steal(), model.front());
            model.pop_front();
        }
    }
    EXPECT_EQ(d.pop(), nullptr);
    EXPECT_EQ(d.steal(), nullptr);
    EXPECT_EQ(d.size(), 0u);
}

TEST(WorkDequeTest, GoldenModelSingleThreadCapacity4) {
    for (std::uint64_t seed : test_seeds("GoldenModelSingleThreadCapacity4")) {
        run_model(4, seed, 100'000);
        if (HasFatalFailure()) return;
    }
}

TEST(WorkDequeTest, GoldenModelSingleThreadOtherCapacities) {
    for (std::uint64_t seed : test_seeds("GoldenModelSingleThreadOtherCapacities")) {
        for (std::size_t cap : {2u, 8u, 64u}) {
            run_model(cap, seed, 20'000);
            if (HasFatalFailure()) return;
        }
    }
}

// --- concurrent: one owner, several thieves ------------------------------------------------

struct concurrent_outcome {
    std::vector<std::int64_t> popped;                    // by the owner, in order
    std::vector<std::int64_t> owner_stolen;              // by the owner's steal(), in order
    std::vector<std::vector<std::int64_t>> thief_stolen; // per thief, in order
    std::vector<std::string> owner_errors;               // checked on the owner thread
    std::vector<std::string> thief_errors;
};

/// The owner pushes items 0..n-1 in order, in random bursts (waiting a
/// little for room when full), with random bursts of pops and the odd steal
/// of its own; `thieves` threads steal until the owner has drained the
/// deque. Returns what everybody took.
concurrent_outcome run_concurrent(std::size_t n, int thieves, std::uint64_t seed, pool& p) {
    work_deque d(4);
    const std::size_t cap = d.capacity();
    concurrent_outcome out;
    out.thief_stolen.resize(static_cast<std::size_t>(thieves));
    std::vector<std::string> thief_errors(static_cast<std::size_t>(thieves));

    std::atomic<std::int64_t> published{0};  // items [0, published) may be in the deque
    std::atomic<bool> done{false};
    std::atomic<int> ready{0};

    std::vector<std::thread> ts;
    for (int k = 0; k < thieves; ++k) {
        ts.emplace_back([&, k] {
            auto& mine = out.thief_stolen[static_cast<std::size_t>(k)];
            mine.reserve(n / 2);
            ready.fetch_add(1);
            while (ready.load() < thieves + 1) std::this_thread::yield();
            unsigned misses = 0;
            for (;;) {
                // Read done before stealing: once the owner saw the deque
                // empty and set done, a steal after that finds nothing.
                const bool finished = done.load(std::memory_order_acquire);
                runnable* r = d.steal();
                if (r) {
                    const std::int64_t i = p.index_of(r);
                    if (i < 0 || i >= published.load(std::memory_order_acquire)) {
                        thief_errors[static_cast<std::size_t>(k)] =
                            "thief " + std::to_string(k) + " stole a foreign or unpublished item " + std::to_string(i);
                        return;
                    }
                    mine.push_back(i);
                    misses = 0;
                } else if (finished) {
                    return;
                } else if (++misses % 64 == 0) {
                    std::this_thread::yield();  // spin a little first: races need overlap
                }
            }
        });
    }

    std::mt19937_64 rng(seed);
    out.popped.reserve(n / 2);
    // Items pushed by the owner and not popped by it (some may have been
    // stolen). Chase–Lev: a pop returns the newest item not taken yet, and a
    // thief can take an item only after every older one was taken, so a
    // successful pop returns exactly the back of this stack; a null pop means
    // everything pushed was taken.
    std::vector<std::int64_t> not_popped;
    auto owner_error = [&](std::string e) {
        if (out.owner_errors.size() < 10) out.owner_errors.push_back(std::move(e));
    };
    auto do_pop = [&] {
        runnable* r = d.pop();
        if (!r) {
            not_popped.clear();
            return false;
        }
        const std::int64_t i = p.index_of(r);
        if (not_popped.empty() || i != not_popped.back()) {
            owner_error("pop returned " + std::to_string(i) + ", expected the newest untaken item " +
                        (not_popped.empty() ? std::string("<none>") : std::to_string(not_popped.back())));
        } else {
            not_popped.pop_back();
        }
        out.popped.push_back(i);
        return true;
    };

    ready.fetch_add(1);
    while (ready.load() < thieves + 1) std::this_thread::yield();
    std::size_t next = 0;
    while (next < n) {
        const unsigned what = static_cast<unsigned>(rng() % 100);
        if (what < 55) {
            const std::size_t burst = 1 + rng() % 6;
            for (std::size_t j = 0; j < burst && next < n; ++j) {
                published.store(static_cast<std::int64_t>(next) + 1, std::memory_order_release);
                bool pushed = d.push(p.at(next));
                // Full: give the thieves a chance to make room (the owner
                // yields its core; on a 2-core machine they need it).
                for (int spin = 0; !pushed && spin < 2 && thieves > 0; ++spin) {
                    std::this_thread::yield();
                    pushed = d.push(p.at(next));
                }
                if (!pushed) {
                    // Still full: at least `cap` pushed items were not popped
                    // by the owner (its view of top can only lag).
                    if (not_popped.size() < cap)
                        owner_error("push refused with only " + std::to_string(not_popped.size()) +
                                    " items not popped by the owner");
                    break;
                }
                not_popped.push_back(static_cast<std::int64_t>(next));
                ++next;
            }
        } else if (what < 85) {
            const std::size_t burst = 1 + rng() % 4;
            for (std::size_t j = 0; j < burst; ++j)
                if (!do_pop()) break;
        } else {
            if (runnable* r = d.steal()) out.owner_stolen.push_back(p.index_of(r));
        }
    }
    // Drain: pop until the deque is empty.
    while (do_pop()) {
    }
    done.store(true, std::memory_order_release);
    for (auto& t : ts) t.join();
    for (auto& e : thief_errors)
        if (!e.empty()) out.thief_errors.push_back(e);

    if (d.size() != 0 || !d.empty()) out.owner_errors.push_back("deque not empty at the end");
    if (d.pop() != nullptr) out.owner_errors.push_back("pop found an item at the end");
    if (d.steal() != nullptr) out.owner_errors.push_back("steal found an item at the end");
    return out;
}

void check_concurrent(std::size_t n, int thieves, std::uint64_t seed) {
    SCOPED_TRACE(seed_note(seed) + ", " + std::to_string(thieves) + " thieves, " + std::to_string(n) + " items");
    pool p(n);
    concurrent_outcome out = run_concurrent(n, thieves, seed, p);
    for (auto& e : out.owner_errors) ADD_FAILURE() << e;
    for (auto& e : out.thief_errors) ADD_FAILURE() << e;

    std::vector<int> taken(n, 0);
    std::size_t stolen_total = 0;
    auto count = [&](const std::vector<std::int64_t>& v, const char* by) {
        for (std::int64_t i : v) {
            if (i < 0 || static_cast<std::size_t>(i) >= n) {
                ADD_FAILURE() << by << " took a foreign item " << i;
                continue;
            }
            ++taken[static_cast<std::size_t>(i)];
        }
    };
    count(out.popped, "the owner's pop");
    count(out.owner_stolen, "the owner's steal");
    for (auto& v : out.thief_stolen) {
        count(v, "a thief");
        stolen_total += v.size();
    }
    std::size_t lost = 0, duplicated = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (taken[i] == 0) {
            if (++lost <= 5) ADD_FAILURE() << "item " << i << " was never taken";
        } else if (taken[i] > 1) {
            if (++duplicated <= 5) ADD_FAILURE() << "item " << i << " was taken " << taken[i] << " times";
        }
    }
    EXPECT_EQ(lost, 0u);
    EXPECT_EQ(duplicated, 0u);
    EXPECT_EQ(out.popped.size() + out.owner_stolen.size() + stolen_total, n);

    // Steals come from the top in push order: each stealer's sequence of
    // push indices increases.
    auto check_increasing = [](const std::vector<std::int64_t>& v, const std::string& who) {
        for (std::size_t j = 1; j < v.size(); ++j) {
            if (v[j] <= v[j - 1]) {
                ADD_FAILURE() << who << " stole " << v[j] << " after " << v[j - 1] << " (position " << j << ")";
                return;
            }
        }
    };
    check_increasing(out.owner_stolen, "the owner");
    for (std::size_t k = 0; k < out.thief_stolen.size(); ++k)
        check_increasing(out.thief_stolen[k], "thief " + std::to_string(k));
    // Informational: make sure the thieves actually took part.
    std::cout << "[ info     ] seed " << seed << ": popped " << out.popped.size() << ", owner stole "
              << out.owner_stolen.size() << ", thieves stole " << stolen_total << "\n";
}

#if WEFT_DEQUE_TEST_SANITIZED
constexpr std::size_t concurrent_items = 40'000;  // sanitizers: ~10x slower per operation
#else
constexpr std::size_t concurrent_items = 200'000;
#endif

TEST(WorkDequeTest, ConcurrentOwnerAndThreeThievesTakeEveryItemExactlyOnce) {
    auto seeds = test_seeds("ConcurrentOwnerAndThreeThieves");
    // One fixed seed and the time-based one (or WEFT_TEST_SEED alone): the
    // interleavings vary from run to run anyway.
    if (seeds.size() > 2) seeds = {seeds.front(), seeds.back()};
    for (std::uint64_t seed : seeds) check_concurrent(concurrent_items, 3, seed);
}

TEST(WorkDequeTest, ConcurrentOwnerAndTwoThieves) {
    const auto seeds = test_seeds("ConcurrentOwnerAndTwoThieves");
    check_concurrent(concurrent_items / 2, 2, seeds.back());
}

TEST(WorkDequeTest, ConcurrentOwnerAndOneThief) {
    const auto seeds = test_seeds("ConcurrentOwnerAndOneThief");
    check_concurrent(concurrent_items / 2, 1, seeds.front());
}

// The owner's pop of the last item and the thieves' steals of it race on
// top_: exactly one of them may get it. In lock step, so that the race
// happens in many rounds even on a loaded two-core machine: each round the
// owner pushes one item, releases the thieves, waits until they are on
// their way, waits a random moment and pops; each thief waits a random
// moment and steals once; the round ends when all have reported. The waits
// spin (yielding rarely): the race needs both threads on a core at once.
// Bounded by `rounds` and by a time budget, whichever comes first.
void check_last_item_races(int rounds, int thieves, std::uint64_t seed, std::chrono::milliseconds budget) {
    SCOPED_TRACE(seed_note(seed) + ", " + std::to_string(thieves) + " thieves, up to " + std::to_string(rounds) +
                 " last-item rounds");
    work_deque d(4);
    pool p(static_cast<std::size_t>(rounds));
    std::atomic<int> go{-1};    // the round the thieves may steal in
    std::atomic<bool> quit{false};
    std::atomic<int> armed{0};  // thieves that saw the current round's go
    std::atomic<int> acks{0};   // thieves done with the current round
    std::atomic<unsigned> spin_sink{0};
    constexpr unsigned yield_every = 4096;
    std::vector<std::vector<std::int64_t>> stolen(static_cast<std::size_t>(thieves));
    std::vector<std::thread> ts;
    for (int k = 0; k < thieves; ++k) {
        ts.emplace_back([&, k] {
            std::mt19937_64 rng(seed + static_cast<std::uint64_t>(k) + 1);
            for (int r = 0;; ++r) {
                for (unsigned spins = 0; go.load(std::memory_order_acquire) < r;) {
                    if (quit.load(std::memory_order_acquire)) return;
                    if (++spins % yield_every == 0) std::this_thread::yield();
                }
                armed.fetch_add(1, std::memory_order_acq_rel);
                // Longer than the owner's: the owner first has to see armed.
                const unsigned pause = static_cast<unsigned>(rng() % 1024);
                for (unsigned j = 0; j < pause; ++j) spin_sink.fetch_add(1, std::memory_order_relaxed);
                if (runnable* x = d.steal()) stolen[static_cast<std::size_t>(k)].push_back(p.index_of(x));
                acks.fetch_add(1, std::memory_order_acq_rel);
            }
        });
    }
    std::mt19937_64 rng(seed);
    std::vector<std::int64_t> popped;
    std::size_t refused = 0, leftovers = 0;
    const auto deadline = std::chrono::steady_clock::now() + budget;
    int done_rounds = 0;
    for (int r = 0; r < rounds; ++r) {
        if (r % 256 == 0 && std::chrono::steady_clock::now() > deadline) break;
        if (!d.push(p.at(static_cast<std::size_t>(r)))) ++refused;
        go.store(r, std::memory_order_release);
        // Pop only once every thief is on its way to its steal.
        for (unsigned spins = 0; armed.load(std::memory_order_acquire) < (r + 1) * thieves;)
            if (++spins % yield_every == 0) std::this_thread::yield();
        const unsigned pause = static_cast<unsigned>(rng() % 32);
        for (unsigned j = 0; j < pause; ++j) spin_sink.fetch_add(1, std::memory_order_relaxed);
        if (runnable* x = d.pop()) popped.push_back(p.index_of(x));
        for (unsigned spins = 0; acks.load(std::memory_order_acquire) < (r + 1) * thieves;)
            if (++spins % yield_every == 0) std::this_thread::yield();
        // Everybody is done with this round: the deque must be empty.
        if (d.size() != 0 || d.steal() != nullptr) ++leftovers;
        done_rounds = r + 1;
    }
    quit.store(true, std::memory_order_release);
    for (auto& t : ts) t.join();
    EXPECT_EQ(refused, 0u);
    EXPECT_EQ(leftovers, 0u) << "rounds that left an item in the deque";
    std::vector<int> taken(static_cast<std::size_t>(done_rounds), 0);
    std::size_t by_thieves = 0;
    for (std::int64_t i : popped) ++taken[static_cast<std::size_t>(i)];
    for (auto& v : stolen) {
        by_thieves += v.size();
        for (std::int64_t i : v) {
            ASSERT_GE(i, 0) << "a thief stole a foreign item";
            ASSERT_LT(i, done_rounds) << "a thief stole an item never pushed";
            ++taken[static_cast<std::size_t>(i)];
        }
    }
    std::size_t lost = 0, duplicated = 0;
    for (int i = 0; i < done_rounds; ++i) {
        const int c = taken[static_cast<std::size_t>(i)];
        if (c == 0 && ++lost <= 5) ADD_FAILURE() << "item " << i << " was never taken";
        if (c > 1 && ++duplicated <= 5) ADD_FAILURE() << "item " << i << " was taken " << c << " times";
    }
    EXPECT_EQ(lost, 0u);
    EXPECT_EQ(duplicated, 0u);
    EXPECT_GT(done_rounds, 0);
    std::cout << "[ info     ] seed " << seed << ": " << done_rounds << " rounds, owner popped " << popped.size()
              << ", thieves stole " << by_thieves << "\n";
}

#if WEFT_DEQUE_TEST_SANITIZED
constexpr int last_item_rounds = 5'000;
#else
constexpr int last_item_rounds = 30'000;
#endif

// One thief: mostly the owner's last-item pop against the steal.
TEST(WorkDequeTest, ConcurrentPopOfTheLastItemRacesAThief) {
    const auto seeds = test_seeds("ConcurrentPopOfTheLastItemRacesAThief");
    check_last_item_races(last_item_rounds, 1, seeds.back(), std::chrono::milliseconds(1500));
}

// Two thieves: mostly steal against steal for the one item.
TEST(WorkDequeTest, ConcurrentTwoThievesRaceForTheOnlyItem) {
    const auto seeds = test_seeds("ConcurrentTwoThievesRaceForTheOnlyItem");
    check_last_item_races(last_item_rounds / 2, 2, seeds.front(), std::chrono::milliseconds(1000));
}

} // namespace
