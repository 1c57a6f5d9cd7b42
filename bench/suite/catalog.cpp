#include "catalog.hpp"

#include <algorithm>

namespace weft_suite {

namespace {

std::string workers(int w) { return w == 1 ? "1 worker" : std::to_string(w) + " workers"; }
std::string threads(int w) { return w == 1 ? "1 thread" : std::to_string(w) + " threads"; }

} // namespace

std::vector<row> catalog(const weft_bench::sizes& s, bool have_asio) {
    using weft_bench::short_count;
    std::vector<row> rows;
    auto add = [&rows](std::string section, std::string label, std::string weft, std::string base = {},
                       std::string base_label = {}) {
        rows.push_back({std::move(section), std::move(label), std::move(weft), std::move(base),
                        std::move(base_label)});
    };
    // Paired with oneTBB at 1 and 2 workers / threads (bench_util.hpp names).
    auto paired = [&](const std::string& workload, const std::string& label, const std::string& base_label) {
        for (int w : {1, 2})
            add("scheduler", label + ", " + workers(w), workload + "/weft/workers:" + std::to_string(w),
                workload + "/tbb/threads:" + std::to_string(w), base_label + ", " + threads(w));
    };
    auto weft_only = [&](const std::string& workload, const std::string& label) {
        for (int w : {1, 2}) add("scheduler", label + ", " + workers(w), workload + "/weft/workers:" + std::to_string(w));
    };

    const std::string fib = "fib" + std::to_string(s.fib_n);
    const std::string spawn = "spawn" + short_count(s.spawn_tasks);
    paired(fib, "fib(" + std::to_string(s.fib_n) + "), gather", "oneTBB task_group");
    weft_only(fib + "-spawn1", "fib(" + std::to_string(s.fib_n) + "), one task per node + inline await");
    paired("skynet" + short_count(s.skynet_leaves), "skynet " + short_count(s.skynet_leaves) + " leaves",
           "oneTBB task_group");
    paired(spawn, "spawn " + short_count(s.spawn_tasks) + " tasks, await each", "oneTBB task_group::run");
    weft_only(spawn + "-gather", "spawn " + short_count(s.spawn_tasks) + " by gather(vector)");
    weft_only(spawn + "-burst1024", "spawn " + short_count(s.spawn_tasks) + " in bursts of 1024");
    weft_only("pingpong" + short_count(s.ping_pong_rounds),
              "ping-pong " + short_count(s.ping_pong_rounds) + " round trips through futures");
    // Against Asio twice: a coroutine per sleeper (sleep_many's shape), and
    // bare timers with callbacks (Asio's timer machinery alone).
    const std::string timers = "timers: 100k tasks sleep 10 ms, one event loop";
    if (have_asio) {
        add("scheduler", timers, "BM_sleep_many/tasks:100000/ms:10", "BM_sleep_many_asio/tasks:100000/ms:10",
            "Asio: a coroutine per sleeper, one io_context");
        add("scheduler", timers, "BM_sleep_many/tasks:100000/ms:10",
            "BM_sleep_many_asio_callbacks/tasks:100000/ms:10", "Asio: a steady_timer + callback per sleeper");
    } else {
        add("scheduler", timers, "BM_sleep_many/tasks:100000/ms:10");
    }

    // Cross-thread submission (bench/cross_thread.cpp): sized from spawn / ping-pong.
    const std::string posts = short_count(s.spawn_tasks / 10);
    const std::string trips = short_count(s.ping_pong_rounds / 10);
    for (int w : {1, 2}) {
        const std::string n = std::to_string(w);
        add("scheduler", "cross-thread: call_soon_threadsafe x" + posts + " from a plain thread, " + workers(w),
            "xthread_post" + posts + "/weft/workers:" + n, "xthread_post" + posts + "/tbb/threads:" + n,
            "task_arena::enqueue, " + threads(w));
        add("scheduler", "cross-thread: run_coroutine_threadsafe x" + posts + ", then the results, " + workers(w),
            "xthread_submit" + posts + "/weft/workers:" + n, "xthread_submit" + posts + "/tbb/threads:" + n,
            "task_arena::enqueue + std::promise, " + threads(w));
        add("scheduler", "cross-thread: submit + result() one at a time, " + workers(w),
            "xthread_roundtrip" + trips + "/weft/workers:" + n, "xthread_roundtrip" + trips + "/tbb/threads:" + n,
            "task_arena::enqueue + std::promise, " + threads(w));
    }

    add("sync", "lock, uncontended (one task)", "sync/lock_uncontended", "sync/std_mutex_uncontended",
        "std::mutex, one thread");
    add("sync", "lock, contended (2 tasks, 2 workers)", "sync/lock_contended", "sync/std_mutex_contended",
        "std::mutex, 2 threads");
    add("sync", "queue<int>(1024), 1 producer + 1 consumer, 2 workers", "sync/queue_mpmc",
        "sync/tbb_bounded_queue", "tbb::concurrent_bounded_queue, 2 threads");
    add("sync", "queue put + get, one task", "sync/queue_put_get");
    add("sync", "event: set() releases 10k waiters, 2 workers", "sync/event_release_10k");

    for (int w : {1, 2})
        add("executors", "run_in_executor(tbb_executor) round trip, " + workers(w),
            "executors/round_trip/weft/workers:" + std::to_string(w), "executors/round_trip/tbb_promise",
            "task_arena::enqueue + std::promise");
    add("executors", "run_in_executor, 64 in flight, 2 workers", "executors/throughput/weft",
        "executors/throughput/tbb_promise", "task_arena::enqueue + std::promise, 64 in flight");
    for (int w : {1, 2})
        add("executors", "to_thread round trip, " + workers(w),
            "executors/to_thread_round_trip/workers:" + std::to_string(w));
    return rows;
}

bool selected(const row& r, const std::regex* filter) {
    if (!filter) return true;
    return std::regex_search(r.section + "/" + r.label, *filter) || std::regex_search(r.weft, *filter) ||
           (!r.baseline.empty() && std::regex_search(r.baseline, *filter));
}

std::vector<std::string> benchmarks_of(const std::vector<row>& rows) {
    std::vector<std::string> names;
    auto add = [&names](const std::string& n) {
        if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    };
    for (const row& r : rows) {
        add(r.weft);
        add(r.baseline);
    }
    return names;
}

} // namespace weft_suite
