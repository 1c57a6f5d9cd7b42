// Many workers: stealing, non-stealable tasks, the LIFO slot's fairness cap,
// metrics, the plan, WEFT_TRACE and chaos scheduling.
#include <weft/weft.hpp>

#include "support/core_test.hpp"
#include "support/weft_test.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;

namespace {

weft::runtime_options with_workers(unsigned n) {
    weft::runtime_options o;
    o.workers = n;
    return o;
}

// --- a non-stealable task stays on its loop ---------------------------------------

weft::coro<int> child_value(int v) {
    co_await weft::sleep(0ms);
    co_return v;
}

/// Suspends in every way a task can and records the loop after each resume.
weft::coro<std::vector<weft::event_loop*>> hop_around(int rounds) {
    std::vector<weft::event_loop*> seen;
    for (int i = 0; i < rounds; ++i) {
        co_await weft::sleep(0ms);
        seen.push_back(&weft::get_running_loop());
        co_await weft::sleep(1ms);
        seen.push_back(&weft::get_running_loop());
        auto child = weft::create_task(child_value(i));
        EXPECT_EQ(co_await child, i);
        seen.push_back(&weft::get_running_loop());
        auto [a, b] = co_await weft::gather(child_value(1), child_value(2));
        EXPECT_EQ(a + b, 3);
        seen.push_back(&weft::get_running_loop());
    }
    co_return seen;
}

class StealingOnWorkers : public ::testing::TestWithParam<unsigned> {};
INSTANTIATE_TEST_SUITE_P(Stealing, StealingOnWorkers, ::testing::Values(2u, 4u),
                         weft_core_test::workers_suffix);

TEST_P(StealingOnWorkers, ANonStealableTaskNeverLeavesItsLoop) {
    weft::runtime rt(with_workers(GetParam()));
    weft::event_loop& home = rt.loop(GetParam() - 1);
    auto t = weft_test::pinned_task_on(home, hop_around(20));
    std::vector<weft::event_loop*> seen = rt.submit(weft_test::await_task(t)).result();
    ASSERT_EQ(seen.size(), 80u);
    for (weft::event_loop* l : seen) EXPECT_EQ(l, &home);
}

// --- idle workers steal; get_running_loop() follows the thief ----------------------

struct sighting {
    std::thread::id thread;
    weft::event_loop* loop;
};

struct steal_probe {
    std::mutex m;
    std::vector<sighting> seen;
    std::set<std::thread::id> threads;
    std::atomic<unsigned> distinct{0};
};

/// Records where it runs, then keeps its worker busy until tasks have been
/// seen on `want` threads (or a generous deadline passes, which fails below).
weft::coro<void> busy_until_seen_on(steal_probe* p, unsigned want, weft::clock::time_point deadline) {
    {
        std::lock_guard<std::mutex> g(p->m);
        p->seen.push_back({std::this_thread::get_id(), &weft::get_running_loop()});
        p->threads.insert(std::this_thread::get_id());
        p->distinct.store(static_cast<unsigned>(p->threads.size()));
    }
    while (p->distinct.load() < want && weft::clock::now() < deadline) std::this_thread::yield();
    // After a suspension the task may continue anywhere; the loop it reports
    // is always the one of the thread running it.
    co_await weft::sleep(0ms);
    std::lock_guard<std::mutex> g(p->m);
    p->seen.push_back({std::this_thread::get_id(), &weft::get_running_loop()});
}

weft::coro<void> spawn_busy(steal_probe* p, unsigned tasks, unsigned want) {
    const auto deadline = weft::clock::now() + 20s;
    std::vector<weft::task<void>> ts;
    for (unsigned i = 0; i < tasks; ++i)
        ts.push_back(weft::create_task(busy_until_seen_on(p, want, deadline)));
    for (auto& t : ts) co_await t;
}

TEST_P(StealingOnWorkers, IdleWorkersStealAndGetRunningLoopFollowsTheThief) {
    const unsigned n = GetParam();
    weft::runtime rt(with_workers(n));
    steal_probe p;
    // Every task blocks its worker until tasks ran on every worker: only
    // stealing can get there.
    rt.run(spawn_busy(&p, 8 * n, n));
    EXPECT_EQ(p.threads.size(), n);
    std::map<std::thread::id, weft::event_loop*> loop_of;
    for (const sighting& s : p.seen) {
        auto [it, inserted] = loop_of.emplace(s.thread, s.loop);
        EXPECT_EQ(it->second, s.loop) << "one thread reported two loops";
    }
    std::set<weft::event_loop*> loops;
    for (auto& [thread, loop] : loop_of) loops.insert(loop);
    EXPECT_EQ(loops.size(), loop_of.size()) << "two threads reported the same loop";
    std::uint64_t steals = 0, stolen = 0, polled = 0;
    for (const weft::worker_metrics& m : rt.metrics()) {
        steals += m.steals;
        stolen += m.stolen_tasks;
        polled += m.tasks_polled;
    }
    EXPECT_GT(steals, 0u);
    EXPECT_GE(stolen, steals);
    EXPECT_GE(polled, 8u * n);
}

// --- fork-join on many workers ---------------------------------------------------

weft::coro<long> fib(int n) {
    if (n < 2) co_return n;
    auto [a, b] = co_await weft::gather(fib(n - 1), fib(n - 2));
    co_return a + b;
}

TEST_P(StealingOnWorkers, ForkJoinTreeComputesTheSameResult) {
    weft::runtime rt(with_workers(GetParam()));
    EXPECT_EQ(rt.run(fib(18)), 2584);
    std::size_t busy_workers = 0;
    for (const weft::worker_metrics& m : rt.metrics())
        if (m.tasks_polled > 0) ++busy_workers;
    EXPECT_GE(busy_workers, 1u);
}

TEST_P(StealingOnWorkers, ChaosSchedulingKeepsResultsAndCounts) {
    weft_core_test::env_guard chaos("WEFT_CHAOS", "1");
    for (const char* seed : {"1", "2", "3"}) {
        weft_core_test::env_guard s("WEFT_CHAOS_SEED", seed);
        weft::runtime rt(with_workers(GetParam()));
        EXPECT_EQ(rt.run(fib(15)), 610) << "WEFT_CHAOS_SEED=" << seed;
    }
}

// --- the LIFO slot cannot starve the queue -----------------------------------------

/// Passes a token back and forth through futures until *stop is set; each
/// hop wakes the other task, which goes to the LIFO slot.
weft::coro<long> ping_pong_until(std::atomic<bool>* stop, weft::clock::time_point deadline) {
    long hops = 0;
    weft::future<int> to_b;
    weft::future<int> to_a;
    struct side {
        static weft::coro<void> b(weft::future<int>* in, weft::future<int>* out) {
            for (;;) {
                int v = co_await *in;
                *in = weft::future<int>();
                weft::future<int> o = *out;
                o.set_result(v + 1);
                if (v < 0) co_return;
            }
        }
    };
    auto b = weft::create_task(side::b(&to_b, &to_a));
    while (!stop->load() && weft::clock::now() < deadline) {
        weft::future<int> o = to_b;
        o.set_result(1);
        co_await to_a;
        to_a = weft::future<int>();
        ++hops;
    }
    weft::future<int> o = to_b;
    o.set_result(-1);
    co_await b;
    co_return hops;
}

weft::coro<void> set_flag(std::atomic<bool>* stop) {
    stop->store(true);
    co_return;
}

weft::coro<long> starve_attempt() {
    std::atomic<bool> stop{false};
    const auto deadline = weft::clock::now() + 20s;
    auto pp = weft::create_task(ping_pong_until(&stop, deadline));
    co_await weft::sleep(0ms);  // the ping-pong is running
    // Made ready together, these two go to the local queue (a single task
    // would take the LIFO slot and run at once).
    auto setter = weft::create_task(set_flag(&stop));
    auto filler = weft::create_task(child_value(0));
    long hops = co_await pp;
    co_await setter;
    co_await filler;
    EXPECT_TRUE(stop.load());
    EXPECT_LT(weft::clock::now(), deadline) << "the ping-pong starved the other task";
    co_return hops;
}

TEST(LifoSlot, AWakeChainDoesNotStarveOtherReadyTasks) {
    EXPECT_GT(weft_test::run(starve_attempt(), 1), 0);
}

// --- a LIFO task moved behind the loop's FIFO is not lost to a park ---------------

weft::coro<void> pass_on(weft::future<int> in, weft::future<int> out) {
    int v = co_await in;
    out.set_result(v + 1);  // the last link's `out` has no waiter
}

weft::coro<void> nothing() { co_return; }

weft::coro<void> set_first(weft::future<int> f) {
    f.set_result(1);
    co_return;
}

/// A wake chain of `chain` tasks behind `fillers` empty tasks: each link
/// wakes the next into the LIFO slot. For some filler count the chain's
/// LIFO streak runs out exactly at the end of a worker tick, so the next
/// tick starts by moving the LIFO task behind the loop's FIFO.
weft::coro<void> chain_behind_fillers(int fillers, int chain) {
    std::vector<weft::future<int>> links(static_cast<std::size_t>(chain) + 1);
    std::vector<weft::task<void>> tasks;
    for (int i = 0; i < chain; ++i) {
        const auto k = static_cast<std::size_t>(i);
        tasks.push_back(weft::create_task(pass_on(links[k], links[k + 1])));
    }
    for (int i = 0; i < fillers; ++i) tasks.push_back(weft::create_task(nothing()));
    tasks.push_back(weft::create_task(set_first(links[0])));
    // The last link first: no completion wakes this task before the chain
    // has run, so every wake in the chain is a LIFO wake.
    co_await tasks[static_cast<std::size_t>(chain) - 1];
    for (auto& t : tasks) co_await t;
}

TEST(LifoSlot, AWorkerDoesNotParkWithItsOwnLifoTaskQueued) {
    // Every alignment of the chain against the tick length (32 steps) is
    // tried; before the fix one of them parked the only worker with the
    // chain's next task in its own FIFO, and the run never finished.
    for (int fillers = 0; fillers < 40; ++fillers) {
        weft::runtime rt(with_workers(1));
        auto done = rt.submit(chain_behind_fillers(fillers, 6));
        EXPECT_NO_THROW(done.result(20s)) << "fillers=" << fillers;
    }
}

// --- metrics ----------------------------------------------------------------------

weft::coro<int> sleep_then(int v) {
    co_await weft::sleep(2ms);
    co_return v;
}

weft::coro<int> sum_of_children(int n) {
    std::vector<weft::task<int>> ts;
    for (int i = 0; i < n; ++i) ts.push_back(weft::create_task(child_value(i)));
    int sum = 0;
    for (auto& t : ts) sum += co_await t;
    auto sleeper = weft::create_task(sleep_then(0));
    sum += co_await sleeper;
    co_return sum;
}

TEST(Metrics, CountPolledTasksLifoHitsParksAndWakes) {
    weft::runtime rt(with_workers(1));
    EXPECT_EQ(rt.run(sum_of_children(100)), 4950);
    auto ms = rt.metrics();
    ASSERT_EQ(ms.size(), 1u);
    const weft::worker_metrics& m = ms[0];
    EXPECT_EQ(m.worker, 0u);
    // 100 children take two steps each (start, after the yield), plus the
    // sleeper and the main task's steps.
    EXPECT_GE(m.tasks_polled, 200u);
    EXPECT_GT(m.lifo_hits, 0u);  // the main task woken by a child runs next
    EXPECT_GE(m.parks, 1u);      // idle while the sleeper sleeps
    EXPECT_GE(m.wakes, 1u);
    EXPECT_EQ(m.steals, 0u);  // one worker: nobody to steal from
    EXPECT_EQ(m.queue_depth, 0u);
}

// --- the plan ---------------------------------------------------------------------

TEST(Plan, TheRuntimeExposesWhatItDecided) {
    weft_core_test::env_guard pin("WEFT_PIN", "compact");
    weft::runtime rt(with_workers(2));
    const weft::worker_plan& plan = rt.plan();
    ASSERT_EQ(plan.workers.size(), 2u);
    const std::string text = plan.describe();
    EXPECT_NE(text.find("worker"), std::string::npos) << text;
    EXPECT_NE(text.find("pu"), std::string::npos) << text;
    const auto& topo = weft::topology::machine();
    for (const auto& w : plan.workers) {
        ASSERT_GE(w.pu, 0);
        EXPECT_NE(topo.find_pu(static_cast<unsigned>(w.pu)), nullptr);
        EXPECT_EQ(w.steal_order.size(), 1u);
    }
    EXPECT_EQ(rt.options().pinning.policy, weft::pinning_policy::compact);
}

TEST(Plan, ABadWeftPinIsAValueError) {
    weft_core_test::env_guard pin("WEFT_PIN", "everywhere");
    EXPECT_THROW(weft::runtime rt(with_workers(1)), weft::value_error);
}

// --- WEFT_TRACE --------------------------------------------------------------------

TEST(Trace, WritesAChromeTraceOfEveryWorker) {
    char path[] = "/tmp/weft-trace-XXXXXX";
    int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    ::close(fd);
    {
        weft_core_test::env_guard trace("WEFT_TRACE", path);
        weft::runtime rt(with_workers(2));
        EXPECT_EQ(rt.run(fib(12)), 144);
        EXPECT_EQ(rt.run(sleep_then(3)), 3);
    }  // the trace is written at shutdown
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    const std::string json = text.str();
    std::remove(path);
    ASSERT_FALSE(json.empty());
    EXPECT_EQ(json.rfind("{\"displayTimeUnit\"", 0), 0u);
    EXPECT_NE(json.find("\"traceEvents\""), std::string::npos);
    EXPECT_NE(json.find("worker 0"), std::string::npos);
    EXPECT_NE(json.find("worker 1"), std::string::npos);
    // Spans of running: every begin has its end.
    auto count = [&](const std::string& needle) {
        std::size_t n = 0;
        for (std::size_t at = json.find(needle); at != std::string::npos; at = json.find(needle, at + 1))
            ++n;
        return n;
    };
    const std::size_t begins = count("\"name\":\"run\",\"ph\":\"B\"");
    EXPECT_GE(begins, 2u);
    EXPECT_EQ(begins, count("\"name\":\"run\",\"ph\":\"E\""));
    EXPECT_EQ(json.substr(json.size() - 4), "\n]}\n");
}

} // namespace
