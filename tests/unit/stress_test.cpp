// Stress: 1,000,000 tasks with random yields, awaits and cancellations on 1,
// 2, 4 and 8 workers, with every count conserved.
//
// The work is a forest of task trees. One driver per worker (submitted with
// runtime::submit) walks its share of batches; each batch is a tree of tasks
// over a range of ids [lo, hi): the task with id lo owns the range, splits the
// rest among 2..8 children and awaits them. What a task does is a pure
// function of its id and the seed (a per-task RNG), so the shape of the
// forest and every expected total are known before the run:
//   - a leaf returns its value at once, or yields (sleep(0s)) 1-3 times and
//     returns it, or is a victim: it sleeps for an hour and its parent
//     cancels it (t.cancel(), then awaits it and catches cancelled_error);
//   - an inner task may yield before awaiting its children; it returns its
//     own value plus the values of its children.
// Counters (atomics: on more than one worker, tasks run in parallel) check
// created == completed + cancelled, the cancelled tasks are exactly the
// victims, and the sum of the values matches.
//
// Seed: WEFT_TEST_SEED (decimal or 0x-hex) if set, else a fixed seed; it is
// in every failure message.
#include <weft/weft.hpp>

#include "support/core_test.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define WEFT_STRESS_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define WEFT_STRESS_TEST_SANITIZED 1
#endif
#endif
#ifndef WEFT_STRESS_TEST_SANITIZED
#define WEFT_STRESS_TEST_SANITIZED 0
#endif

using namespace std::chrono_literals;

namespace {

// Sizes. The issue asks for 1,000,000 tasks; sanitizer builds (TSan/ASan:
// 5-20x slower, and the suite runs every worker count) run 100,000.
#if WEFT_STRESS_TEST_SANITIZED
constexpr std::uint64_t total_tasks = 100'000;
#else
constexpr std::uint64_t total_tasks = 1'000'000;
#endif
constexpr std::uint64_t batch_size = 1'000;  // tasks per tree
constexpr std::size_t window = 4;            // trees in flight per driver
static_assert(total_tasks % batch_size == 0);

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

std::uint64_t stress_seed() {
    if (const char* env = std::getenv("WEFT_TEST_SEED"); env && *env) return std::strtoull(env, nullptr, 0);
    return 0x5eed'2024'0001ull;
}

enum class kind { value, yield_then_value, victim, inner };

/// What the task with id `lo` owning [lo, hi) does: a pure function of the
/// seed and the id.
struct plan {
    kind what;
    std::uint64_t value;  // its own contribution (nothing for a victim)
    int yields;           // sleep(0s) before returning / before awaiting the children
    std::uint64_t children;
};

plan plan_of(std::uint64_t seed, std::uint64_t lo, std::uint64_t hi) {
    const std::uint64_t r = splitmix64(seed ^ splitmix64(lo));
    plan p{};
    p.value = (r >> 40) % 1000 + 1;
    if (hi - lo == 1) {
        const unsigned pick = static_cast<unsigned>(r % 100);
        if (pick < 35) {
            p.what = kind::value;
        } else if (pick < 75) {
            p.what = kind::yield_then_value;
            p.yields = 1 + static_cast<int>((r >> 8) % 3);
        } else {
            p.what = kind::victim;
            p.value = 0;
        }
    } else {
        p.what = kind::inner;
        p.yields = static_cast<int>((r >> 8) % 2);
        p.children = std::min<std::uint64_t>(2 + (r >> 16) % 7, hi - lo - 1);
    }
    return p;
}

/// The range of child j of n children splitting [lo + 1, hi).
std::pair<std::uint64_t, std::uint64_t> child_range(std::uint64_t lo, std::uint64_t hi, std::uint64_t n,
                                                    std::uint64_t j) {
    const std::uint64_t rest = hi - lo - 1;
    const std::uint64_t base = rest / n, extra = rest % n;
    const std::uint64_t begin = lo + 1 + j * base + std::min(j, extra);
    return {begin, begin + base + (j < extra ? 1 : 0)};
}

/// What the run must produce, computed without a runtime.
struct expectation {
    std::uint64_t tasks = 0;
    std::uint64_t victims = 0;
    std::uint64_t value_sum = 0;
    std::uint64_t yields = 0;
};

void expect_tree(std::uint64_t seed, std::uint64_t lo, std::uint64_t hi, expectation& e) {
    const plan p = plan_of(seed, lo, hi);
    ++e.tasks;
    if (p.what == kind::victim)
        ++e.victims;
    else
        e.value_sum += p.value;
    e.yields += static_cast<std::uint64_t>(p.yields);
    for (std::uint64_t j = 0; j < p.children; ++j) {
        auto [a, b] = child_range(lo, hi, p.children, j);
        expect_tree(seed, a, b, e);
    }
}

struct counters {
    std::uint64_t seed = 0;
    std::atomic<std::uint64_t> created{0};       // by the parent, before create_task
    std::atomic<std::uint64_t> started{0};       // first step of a task's body
    std::atomic<std::uint64_t> completed{0};     // the parent's await returned a value
    std::atomic<std::uint64_t> cancelled{0};     // the parent's await threw cancelled_error
    std::atomic<std::uint64_t> own_sum{0};       // each task's own value, as it returns
    std::atomic<std::uint64_t> yields{0};        // sleep(0s) done
    std::atomic<std::uint64_t> victims_started{0};
    std::atomic<std::uint64_t> victims_saw_cancel{0};
    // Things that must stay zero.
    std::atomic<std::uint64_t> victim_woke{0};          // a victim's hour-long sleep ended normally
    std::atomic<std::uint64_t> cancel_refused{0};       // cancel() on a pending victim returned false
    std::atomic<std::uint64_t> victim_returned{0};      // awaiting a cancelled victim gave a value
    std::atomic<std::uint64_t> unexpected_cancel{0};    // a task nobody cancelled ended cancelled
    std::atomic<std::uint64_t> unexpected_error{0};     // any other exception
    std::atomic<std::uint64_t> wrong_value{0};          // a child's value differs from the plan
};

weft::coro<std::uint64_t> node(counters* c, std::uint64_t lo, std::uint64_t hi);

weft::coro<std::uint64_t> victim(counters* c) {
    c->victims_started.fetch_add(1, std::memory_order_relaxed);
    try {
        co_await weft::sleep(1h);
    } catch (const weft::cancelled_error&) {
        c->victims_saw_cancel.fetch_add(1, std::memory_order_relaxed);
        throw;
    }
    c->victim_woke.fetch_add(1, std::memory_order_relaxed);
    co_return 0;
}

weft::coro<std::uint64_t> node(counters* c, std::uint64_t lo, std::uint64_t hi) {
    const plan p = plan_of(c->seed, lo, hi);
    c->started.fetch_add(1, std::memory_order_relaxed);
    if (p.what == kind::victim) {
        const std::uint64_t v = co_await victim(c);
        co_return v;
    }

    if (p.what == kind::inner) {
        std::vector<weft::task<std::uint64_t>> kids;
        std::vector<bool> is_victim;
        kids.reserve(p.children);
        for (std::uint64_t j = 0; j < p.children; ++j) {
            const auto range = child_range(lo, hi, p.children, j);
            c->created.fetch_add(1, std::memory_order_relaxed);
            kids.push_back(weft::create_task(node(c, range.first, range.second)));
            is_victim.push_back(plan_of(c->seed, range.first, range.second).what == kind::victim);
        }
        // Cancel half of the victims at once (usually before they ran), the
        // others after a yield (usually while they sleep).
        for (std::size_t j = 0; j < kids.size(); ++j)
            if (is_victim[j] && j % 2 == 0 && !kids[j].cancel()) c->cancel_refused.fetch_add(1);
        for (int i = 0; i < p.yields; ++i) {
            co_await weft::sleep(0s);
            c->yields.fetch_add(1, std::memory_order_relaxed);
        }
        for (std::size_t j = 0; j < kids.size(); ++j)
            if (is_victim[j] && j % 2 == 1 && !kids[j].cancel()) c->cancel_refused.fetch_add(1);

        std::uint64_t sum = p.value;
        for (std::size_t j = 0; j < kids.size(); ++j) {
            const auto range = child_range(lo, hi, p.children, j);
            try {
                const std::uint64_t v = co_await kids[j];
                c->completed.fetch_add(1, std::memory_order_relaxed);
                if (is_victim[j]) c->victim_returned.fetch_add(1);
                // Checking every value against the plan would redo the
                // subtree walk; leaves (the majority) are checked exactly.
                if (range.second - range.first == 1 && v != plan_of(c->seed, range.first, range.second).value)
                    c->wrong_value.fetch_add(1);
                sum += v;
            } catch (const weft::cancelled_error&) {
                c->cancelled.fetch_add(1, std::memory_order_relaxed);
                if (!is_victim[j]) c->unexpected_cancel.fetch_add(1);
            } catch (...) {
                c->unexpected_error.fetch_add(1);
            }
        }
        c->own_sum.fetch_add(p.value, std::memory_order_relaxed);
        co_return sum;
    }

    for (int i = 0; i < p.yields; ++i) {
        co_await weft::sleep(0s);
        c->yields.fetch_add(1, std::memory_order_relaxed);
    }
    c->own_sum.fetch_add(p.value, std::memory_order_relaxed);
    co_return p.value;
}

/// Runs the trees of batches first, first + stride, ... with up to `window`
/// trees in flight; returns the sum of their values.
weft::coro<std::uint64_t> driver(counters* c, std::uint64_t first, std::uint64_t stride, std::uint64_t batches) {
    std::uint64_t sum = 0;
    std::uint64_t b = first;
    while (b < batches) {
        std::vector<weft::task<std::uint64_t>> trees;
        for (std::size_t k = 0; k < window && b < batches; ++k, b += stride) {
            c->created.fetch_add(1, std::memory_order_relaxed);
            trees.push_back(weft::create_task(node(c, b * batch_size, (b + 1) * batch_size)));
        }
        for (auto& t : trees) {
            try {
                sum += co_await t;
                c->completed.fetch_add(1, std::memory_order_relaxed);
            } catch (const weft::cancelled_error&) {
                c->cancelled.fetch_add(1, std::memory_order_relaxed);
                c->unexpected_cancel.fetch_add(1);
            } catch (...) {
                c->unexpected_error.fetch_add(1);
            }
        }
    }
    co_return sum;
}

class StressTest : public ::testing::TestWithParam<unsigned> {};

} // namespace

TEST_P(StressTest, MillionTasksWithRandomYieldsAwaitsAndCancelsConserveCounts) {
    counters c;
    c.seed = stress_seed();
    SCOPED_TRACE("seed " + std::to_string(c.seed) + " (replay with WEFT_TEST_SEED=" + std::to_string(c.seed) + ")");

    expectation e;
    const std::uint64_t batches = total_tasks / batch_size;
    std::uint64_t expected_sum = 0;
    for (std::uint64_t b = 0; b < batches; ++b) expect_tree(c.seed, b * batch_size, (b + 1) * batch_size, e);
    expected_sum = e.value_sum;
    ASSERT_EQ(e.tasks, total_tasks);
    ASSERT_GT(e.victims, total_tasks / 10);  // the plan really cancels a good share

    weft::runtime_options o;
    o.workers = GetParam();
    const auto start = weft::clock::now();
    std::uint64_t total = 0;
    {
        weft::runtime rt(o);
        ASSERT_EQ(rt.workers(), GetParam());
        std::vector<weft::concurrent_future<std::uint64_t>> drivers;
        for (std::uint64_t d = 0; d < rt.workers(); ++d)
            drivers.push_back(rt.submit(driver(&c, d, rt.workers(), batches)));
        for (auto& f : drivers) {
            try {
                total += f.result(120s);
            } catch (const weft::timeout_error&) {
                ADD_FAILURE() << "a driver did not finish within 120 s: created " << c.created.load()
                              << ", completed " << c.completed.load() << ", cancelled " << c.cancelled.load();
            } catch (const std::exception& ex) {
                ADD_FAILURE() << "a driver failed: " << ex.what();
            }
        }
    }
    const double ms = weft_test::ms_since(start);

    EXPECT_EQ(c.created.load(), total_tasks);
    EXPECT_EQ(c.completed.load() + c.cancelled.load(), c.created.load());
    EXPECT_EQ(c.cancelled.load(), e.victims);
    EXPECT_EQ(c.completed.load(), total_tasks - e.victims);
    // Every non-victim ran; a victim ran only if it was not cancelled first.
    EXPECT_EQ(c.started.load() - c.victims_started.load(), total_tasks - e.victims);
    EXPECT_LE(c.victims_started.load(), e.victims);
    EXPECT_EQ(c.victims_saw_cancel.load(), c.victims_started.load());
    EXPECT_EQ(total, expected_sum);
    EXPECT_EQ(c.own_sum.load(), expected_sum);
    EXPECT_EQ(c.yields.load(), e.yields);
    EXPECT_EQ(c.victim_woke.load(), 0u);
    EXPECT_EQ(c.cancel_refused.load(), 0u);
    EXPECT_EQ(c.victim_returned.load(), 0u);
    EXPECT_EQ(c.unexpected_cancel.load(), 0u);
    EXPECT_EQ(c.unexpected_error.load(), 0u);
    EXPECT_EQ(c.wrong_value.load(), 0u);
    std::cout << "[ info     ] " << GetParam() << " workers: " << total_tasks << " tasks (" << e.victims
              << " cancelled, " << c.victims_started.load() << " of them after starting) in " << ms << " ms\n";
}

INSTANTIATE_TEST_SUITE_P(W, StressTest, ::testing::Values(1u, 2u, 4u, 8u), weft_core_test::workers_suffix);
