// weft::sync primitives against their obvious baselines, in the same run.
//
//   sync/lock_uncontended        acquire + release by one task (one loop)
//   sync/std_mutex_uncontended   std::mutex lock + unlock, one thread
//   sync/queue_put_get           put + get of an int by one task (one loop)
//   sync/lock_contended          2 tasks on a 2-worker runtime, each taking
//                                the lock around a counter increment
//   sync/std_mutex_contended     2 threads doing the same with std::mutex
//   sync/queue_mpmc              1 producer and 1 consumer task on 2 workers
//                                through queue<int>(1024)
//   sync/tbb_bounded_queue       1 producer and 1 consumer thread through
//                                tbb::concurrent_bounded_queue<int>(1024)
//   sync/event_release_10k       10,000 tasks waiting on one event; time
//                                from set() until all have resumed
// Reported: ns_per_op (wall time / operations) or items_per_second.
#include "bench_util.hpp"

#include <weft/weft.hpp>

#include <oneapi/tbb/concurrent_queue.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace {

constexpr std::int64_t ops = 1'000'000;

weft::runtime_options workers(unsigned n) {
    weft::runtime_options o;
    o.workers = n;
    return o;
}

weft::coro<std::int64_t> lock_loop(weft::lock* m, std::int64_t n, std::int64_t* counter) {
    for (std::int64_t i = 0; i < n; ++i) {
        co_await m->acquire();
        ++*counter;
        m->release();
    }
    co_return n;
}

void BM_lock_uncontended(benchmark::State& state) {
    auto loop = weft::new_event_loop();
    weft::lock m;
    std::int64_t counter = 0;
    for (auto _ : state) benchmark::DoNotOptimize(loop->run_until_complete(lock_loop(&m, ops, &counter)));
    state.counters["ns_per_op"] = weft_bench::per_item_time(static_cast<double>(ops));
}

void BM_std_mutex_uncontended(benchmark::State& state) {
    std::mutex m;
    std::int64_t counter = 0;
    for (auto _ : state) {
        for (std::int64_t i = 0; i < ops; ++i) {
            m.lock();
            ++counter;
            m.unlock();
        }
        benchmark::DoNotOptimize(counter);
    }
    state.counters["ns_per_op"] = weft_bench::per_item_time(static_cast<double>(ops));
}

weft::coro<std::int64_t> put_get_loop(weft::queue<int>* q, std::int64_t n) {
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        co_await q->put(static_cast<int>(i & 0xff));
        sum += co_await q->get();
    }
    co_return sum;
}

void BM_queue_put_get(benchmark::State& state) {
    auto loop = weft::new_event_loop();
    weft::queue<int> q;
    for (auto _ : state) benchmark::DoNotOptimize(loop->run_until_complete(put_get_loop(&q, ops)));
    state.counters["ns_per_op"] = weft_bench::per_item_time(static_cast<double>(ops));
}

weft::coro<std::int64_t> contended_pair(weft::lock* m, std::int64_t n, std::int64_t* counter) {
    auto a = weft::create_task(lock_loop(m, n / 2, counter));
    auto b = weft::create_task(lock_loop(m, n / 2, counter));
    std::int64_t x = co_await a;
    std::int64_t y = co_await b;
    co_return x + y;
}

void BM_lock_contended(benchmark::State& state) {
    weft::runtime rt(workers(2));
    weft::lock m;
    std::int64_t counter = 0;
    for (auto _ : state) benchmark::DoNotOptimize(rt.run(contended_pair(&m, ops, &counter)));
    if (counter != ops * static_cast<std::int64_t>(state.iterations())) state.SkipWithError("lost increments");
    state.counters["ns_per_op"] = weft_bench::per_item_time(static_cast<double>(ops));
}

void BM_std_mutex_contended(benchmark::State& state) {
    std::mutex m;
    std::int64_t counter = 0;
    for (auto _ : state) {
        auto body = [&] {
            for (std::int64_t i = 0; i < ops / 2; ++i) {
                std::lock_guard<std::mutex> g(m);
                ++counter;
            }
        };
        std::thread t1(body), t2(body);
        t1.join();
        t2.join();
    }
    state.counters["ns_per_op"] = weft_bench::per_item_time(static_cast<double>(ops));
}

weft::coro<void> produce(weft::queue<int>* q, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) co_await q->put(static_cast<int>(i & 0xff));
}

weft::coro<std::int64_t> consume(weft::queue<int>* q, std::int64_t n) {
    std::int64_t sum = 0;
    for (std::int64_t i = 0; i < n; ++i) sum += co_await q->get();
    co_return sum;
}

weft::coro<std::int64_t> mpmc(std::int64_t n) {
    weft::queue<int> q(1024);
    auto p = weft::create_task(produce(&q, n));
    auto c = weft::create_task(consume(&q, n));
    co_await p;
    co_return co_await c;
}

void BM_queue_mpmc(benchmark::State& state) {
    weft::runtime rt(workers(2));
    for (auto _ : state) benchmark::DoNotOptimize(rt.run(mpmc(ops)));
    state.SetItemsProcessed(state.iterations() * ops);
}

void BM_tbb_bounded_queue(benchmark::State& state) {
    for (auto _ : state) {
        tbb::concurrent_bounded_queue<int> q;
        q.set_capacity(1024);
        std::int64_t sum = 0;
        std::thread producer([&q] {
            for (std::int64_t i = 0; i < ops; ++i) q.push(static_cast<int>(i & 0xff));
        });
        for (std::int64_t i = 0; i < ops; ++i) {
            int v = 0;
            q.pop(v);
            sum += v;
        }
        producer.join();
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * ops);
}

weft::coro<void> wait_on(weft::event* e, std::atomic<int>* arrived) {
    arrived->fetch_add(1, std::memory_order_relaxed);
    co_await e->wait();
}

weft::coro<std::int64_t> release_many(int n, benchmark::State* state) {
    weft::event e;
    std::vector<weft::task<void>> ts;
    ts.reserve(static_cast<std::size_t>(n));
    std::atomic<int> arrived{0};
    for (int i = 0; i < n; ++i) ts.push_back(weft::create_task(wait_on(&e, &arrived)));
    // Until every waiter has started (and, but for the last few, parked).
    while (arrived.load(std::memory_order_relaxed) < n) co_await weft::sleep(std::chrono::milliseconds(0));
    const auto start = weft::clock::now();
    e.set();
    for (auto& t : ts) co_await t;
    state->SetIterationTime(std::chrono::duration<double>(weft::clock::now() - start).count());
    co_return n;
}

void BM_event_release_10k(benchmark::State& state) {
    weft::runtime rt(workers(2));
    for (auto _ : state) benchmark::DoNotOptimize(rt.run(release_many(10'000, &state)));
    state.counters["ns_per_waiter"] = weft_bench::per_item_time(10'000.0);
}

} // namespace

BENCHMARK(BM_lock_uncontended)->Name("sync/lock_uncontended")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_std_mutex_uncontended)->Name("sync/std_mutex_uncontended")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_queue_put_get)->Name("sync/queue_put_get")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_lock_contended)->Name("sync/lock_contended")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_std_mutex_contended)->Name("sync/std_mutex_contended")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_queue_mpmc)->Name("sync/queue_mpmc")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_tbb_bounded_queue)->Name("sync/tbb_bounded_queue")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_event_release_10k)->Name("sync/event_release_10k")->Unit(benchmark::kMillisecond)->UseManualTime();
