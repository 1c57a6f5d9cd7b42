// The runtime's thread-safe entry points under load: call_soon_threadsafe
// from several foreign threads into one worker's loop (every callback runs
// once, on that loop's thread, in each producer's order), and
// run_coroutine_threadsafe / runtime::submit from several foreign threads
// while the workers are busy with CPU-bound tasks and while they are idle
// (parked between submissions). Parameterized over the worker count.
#include <weft/weft.hpp>

#include "support/core_test.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define WEFT_LOAD_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define WEFT_LOAD_TEST_SANITIZED 1
#endif
#endif
#ifndef WEFT_LOAD_TEST_SANITIZED
#define WEFT_LOAD_TEST_SANITIZED 0
#endif

using namespace std::chrono_literals;

namespace {

// Sizes. Normal builds post 4 x 250,000 callbacks; sanitizer builds (TSan and
// ASan are 5-20x slower per operation and keep shadow state per allocation)
// post 4 x 25,000 and submit a tenth of the coroutines.
constexpr int producers = 4;
#if WEFT_LOAD_TEST_SANITIZED
constexpr std::uint32_t callbacks_per_producer = 25'000;
constexpr int submits_per_thread = 500;
constexpr int round_trips_per_thread = 200;
constexpr int busy_round_trips_per_thread = 50;
#else
constexpr std::uint32_t callbacks_per_producer = 250'000;
constexpr int submits_per_thread = 5'000;
constexpr int round_trips_per_thread = 2'000;
// While the workers are busy each round trip waits for a scheduler slice on
// an oversubscribed 2-core machine: fewer of them.
constexpr int busy_round_trips_per_thread = 500;
#endif
/// Bound on any single wait: far beyond what a correct run needs, so that a
/// lost wake-up fails the test instead of hanging it.
constexpr auto generous = 60s;

weft::runtime_options with_workers(unsigned n) {
    weft::runtime_options o;
    o.workers = n;
    return o;
}

class ThreadsafeLoadTest : public ::testing::TestWithParam<unsigned> {};

// --- call_soon_threadsafe ----------------------------------------------------------

/// What the callbacks record. Everything but the completion flag is written
/// only by the callbacks, which all run on the target loop's thread; the test
/// thread reads it after the completion handshake (mutex), or after the
/// runtime is gone.
struct callback_sink {
    weft::event_loop* target = nullptr;
    std::thread::id loop_thread{};  // from the probe callback
    std::vector<std::vector<std::uint32_t>> seen;  // per producer, in run order
    std::size_t ran = 0;
    std::size_t wrong_thread = 0;
    std::size_t wrong_loop = 0;
    std::size_t expected = 0;

    std::mutex m;
    std::condition_variable cv;
    bool all_ran = false;

    void record(int producer, std::uint32_t seq) {
        if (std::this_thread::get_id() != loop_thread) ++wrong_thread;
        if (weft::detail::running_loop() != target) ++wrong_loop;
        seen[static_cast<std::size_t>(producer)].push_back(seq);
        if (++ran == expected) {
            std::lock_guard<std::mutex> g(m);
            all_ran = true;
            cv.notify_all();
        }
    }
};

struct thread_probe {
    std::mutex m;
    std::condition_variable cv;
    bool set = false;
    std::thread::id id{};
    weft::event_loop* loop = nullptr;
};

} // namespace

TEST_P(ThreadsafeLoadTest, CallSoonThreadsafeFromFourThreadsRunsEveryCallbackOnceInProducerOrder) {
    callback_sink sink;  // outlives the runtime: late callbacks never touch a dead sink
    thread_probe probe;
    weft::runtime rt(with_workers(GetParam()));
    ASSERT_EQ(rt.workers(), GetParam());
    weft::event_loop& loop = rt.loop(rt.workers() - 1);
    sink.target = &loop;

    // The loop's thread, as seen by a callback.
    loop.call_soon_threadsafe([&probe] {
        std::lock_guard<std::mutex> g(probe.m);
        probe.id = std::this_thread::get_id();
        probe.loop = weft::detail::running_loop();
        probe.set = true;
        probe.cv.notify_all();
    });
    {
        std::unique_lock<std::mutex> g(probe.m);
        ASSERT_TRUE(probe.cv.wait_for(g, generous, [&] { return probe.set; }))
            << "the probe callback did not run within 60 s";
        ASSERT_EQ(probe.loop, &loop);
        ASSERT_NE(probe.id, std::this_thread::get_id());
        sink.loop_thread = probe.id;
    }

    sink.seen.resize(producers);
    for (auto& v : sink.seen) v.reserve(callbacks_per_producer);
    sink.expected = static_cast<std::size_t>(producers) * callbacks_per_producer;

    const auto start = weft::clock::now();
    std::latch go(producers);
    std::vector<std::thread> ts;
    for (int p = 0; p < producers; ++p) {
        ts.emplace_back([&loop, &sink, &go, p] {
            go.arrive_and_wait();
            for (std::uint32_t i = 0; i < callbacks_per_producer; ++i) {
                callback_sink* s = &sink;
                auto cb = [s, p, i] { s->record(p, i); };
                (void)loop.call_soon_threadsafe(cb);
            }
        });
    }
    for (auto& t : ts) t.join();
    bool finished;
    {
        std::unique_lock<std::mutex> g(sink.m);
        finished = sink.cv.wait_for(g, generous, [&] { return sink.all_ran; });
    }
    if (!finished) {
        rt.shutdown();  // stops the loop: the sink is no longer written
        FAIL() << "only " << sink.ran << " of " << sink.expected << " callbacks ran within 60 s";
    }
    const double ms = weft_test::ms_since(start);

    EXPECT_EQ(sink.ran, sink.expected);
    EXPECT_EQ(sink.wrong_thread, 0u) << "callbacks ran off the loop's thread";
    EXPECT_EQ(sink.wrong_loop, 0u) << "callbacks ran with another running loop";
    for (int p = 0; p < producers; ++p) {
        const auto& v = sink.seen[static_cast<std::size_t>(p)];
        EXPECT_EQ(v.size(), callbacks_per_producer) << "producer " << p;
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (v[i] != i) {
                ADD_FAILURE() << "producer " << p << ": callback #" << i << " to run was seq " << v[i]
                              << " (lost, duplicated or reordered)";
                break;
            }
        }
    }
    // No extra runs trickle in after the count was reached.
    rt.shutdown();
    EXPECT_EQ(sink.ran, sink.expected);
    std::cout << "[ info     ] " << sink.expected << " callbacks in " << ms << " ms\n";
}

// --- run_coroutine_threadsafe / submit --------------------------------------------------

namespace {

/// CPU-bound work that yields to its loop between slices, until *stop.
weft::coro<std::uint64_t> spinner(const std::atomic<bool>* stop, std::atomic<std::uint64_t>* slices) {
    std::uint64_t x = 88172645463325252ull;
    std::uint64_t n = 0;
    const auto deadline = weft::clock::now() + generous;
    while (!stop->load(std::memory_order_relaxed) && weft::clock::now() < deadline) {
        for (int i = 0; i < 500; ++i) {  // xorshift: cheap, not optimized away
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        ++n;
        co_await weft::sleep(std::chrono::seconds(0));
    }
    slices->fetch_add(n);
    co_return x;
}

std::uint64_t expected_value(std::uint64_t v) { return v * 2654435761u + 7; }

/// The submitted job: yields `yields` times, then returns expected_value(v).
weft::coro<std::uint64_t> job(std::uint64_t v, int yields) {
    for (int i = 0; i < yields; ++i) co_await weft::sleep(std::chrono::seconds(0));
    co_return expected_value(v);
}

/// Per foreign thread: what went wrong (the first few), and counts.
struct submitter_report {
    std::vector<std::string> errors;
    int completed = 0;
    void error(std::string e) {
        if (errors.size() < 5) errors.push_back(std::move(e));
    }
};

std::uint64_t job_id(int thread, int i) { return static_cast<std::uint64_t>(thread) * 1'000'000u + static_cast<std::uint64_t>(i); }

/// Submits `n` jobs from this thread, alternating run_coroutine_threadsafe
/// onto a rotating worker and runtime::submit, then collects them all.
void submit_burst(weft::runtime& rt, int thread, int n, submitter_report& rep) {
    std::vector<weft::concurrent_future<std::uint64_t>> fs;
    fs.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const std::uint64_t id = job_id(thread, i);
        const int yields = i % 3;
        if (i % 2 == 0) {
            weft::event_loop& loop = rt.loop(static_cast<std::size_t>(thread + i) % rt.workers());
            fs.push_back(weft::run_coroutine_threadsafe(job(id, yields), loop));
        } else {
            fs.push_back(rt.submit(job(id, yields)));
        }
    }
    for (int i = 0; i < n; ++i) {
        auto& f = fs[static_cast<std::size_t>(i)];
        try {
            const std::uint64_t v = f.result(generous);
            if (v != expected_value(job_id(thread, i)))
                rep.error("thread " + std::to_string(thread) + " job " + std::to_string(i) + ": wrong result " +
                          std::to_string(v));
            else if (!f.done())
                rep.error("thread " + std::to_string(thread) + " job " + std::to_string(i) + ": not done after result()");
            else
                ++rep.completed;
        } catch (const weft::timeout_error&) {
            rep.error("thread " + std::to_string(thread) + " job " + std::to_string(i) + ": no result within 60 s");
            return;  // the rest would time out one by one
        } catch (const std::exception& e) {
            rep.error("thread " + std::to_string(thread) + " job " + std::to_string(i) + ": threw " + e.what());
        }
    }
}

/// Submits one job at a time and waits for it: the worker goes idle (and may
/// park) between jobs, so every submission has to wake it.
void submit_round_trips(weft::runtime& rt, int thread, int n, submitter_report& rep) {
    for (int i = 0; i < n; ++i) {
        const std::uint64_t id = job_id(thread, 500'000 + i);
        try {
            std::uint64_t v;
            if (i % 2 == 0) {
                auto f = weft::run_coroutine_threadsafe(job(id, (i / 2) % 2), rt.loop(static_cast<std::size_t>(i) % rt.workers()));
                v = f.result(generous);
            } else {
                auto f = rt.submit(job(id, 0));
                v = f.result(generous);
            }
            if (v != expected_value(id))
                rep.error("thread " + std::to_string(thread) + " round trip " + std::to_string(i) + ": wrong result");
            else
                ++rep.completed;
        } catch (const weft::timeout_error&) {
            rep.error("thread " + std::to_string(thread) + " round trip " + std::to_string(i) +
                      ": no result within 60 s (lost wake-up?)");
            return;
        } catch (const std::exception& e) {
            rep.error("thread " + std::to_string(thread) + " round trip " + std::to_string(i) + ": threw " + e.what());
        }
    }
}

enum class mode { burst, round_trips };

/// Runs the submitters on `producers` foreign threads started together.
std::vector<submitter_report> run_submitters(weft::runtime& rt, mode m, int per_thread) {
    std::vector<submitter_report> reports(producers);
    std::latch go(producers);
    std::vector<std::thread> ts;
    for (int t = 0; t < producers; ++t) {
        ts.emplace_back([&rt, &reports, &go, t, m, per_thread] {
            go.arrive_and_wait();
            auto& rep = reports[static_cast<std::size_t>(t)];
            if (m == mode::burst)
                submit_burst(rt, t, per_thread, rep);
            else
                submit_round_trips(rt, t, per_thread, rep);
        });
    }
    for (auto& t : ts) t.join();
    return reports;
}

void expect_all_completed(const std::vector<submitter_report>& reports, int per_thread) {
    for (std::size_t t = 0; t < reports.size(); ++t) {
        for (auto& e : reports[t].errors) ADD_FAILURE() << e;
        EXPECT_EQ(reports[t].completed, per_thread) << "thread " << t;
    }
}

} // namespace

TEST_P(ThreadsafeLoadTest, SubmitFromFourThreadsWhileTheWorkersAreBusy) {
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> slices{0};
    weft::runtime rt(with_workers(GetParam()));
    // CPU-bound spinners keep every ready queue non-empty.
    std::vector<weft::concurrent_future<std::uint64_t>> spinners;
    for (std::size_t w = 0; w < rt.workers(); ++w)
        for (int k = 0; k < 2; ++k) spinners.push_back(weft::run_coroutine_threadsafe(spinner(&stop, &slices), rt.loop(w)));

    const auto start = weft::clock::now();
    auto bursts = run_submitters(rt, mode::burst, submits_per_thread);
    auto trips = run_submitters(rt, mode::round_trips, busy_round_trips_per_thread);
    const double ms = weft_test::ms_since(start);

    // The spinners were still running all along (they stop only now).
    for (auto& s : spinners) EXPECT_FALSE(s.done()) << "a spinner ended before it was told to stop";
    stop.store(true);
    for (auto& s : spinners) {
        try {
            (void)s.result(generous);
        } catch (const std::exception& e) {
            ADD_FAILURE() << "spinner: " << e.what();
        }
    }
    expect_all_completed(bursts, submits_per_thread);
    expect_all_completed(trips, busy_round_trips_per_thread);
    EXPECT_GT(slices.load(), 0u);
    std::cout << "[ info     ] busy: " << producers * (submits_per_thread + busy_round_trips_per_thread) << " jobs in "
              << ms << " ms, " << slices.load() << " spinner slices\n";
}

TEST_P(ThreadsafeLoadTest, SubmitFromFourThreadsWhileTheWorkersAreIdle) {
    weft::runtime rt(with_workers(GetParam()));
    // Give the workers time to go idle and park (not needed for correctness:
    // the test passes either way, but parked workers are what it is about).
    std::this_thread::sleep_for(20ms);
    const auto start = weft::clock::now();
    auto trips = run_submitters(rt, mode::round_trips, round_trips_per_thread);
    std::this_thread::sleep_for(20ms);
    auto bursts = run_submitters(rt, mode::burst, submits_per_thread);
    const double ms = weft_test::ms_since(start);
    expect_all_completed(trips, round_trips_per_thread);
    expect_all_completed(bursts, submits_per_thread);
    std::cout << "[ info     ] idle: " << producers * (submits_per_thread + round_trips_per_thread) << " jobs in "
              << ms << " ms\n";
}

INSTANTIATE_TEST_SUITE_P(W, ThreadsafeLoadTest, ::testing::Values(1u, 2u, 4u), weft_core_test::workers_suffix);
