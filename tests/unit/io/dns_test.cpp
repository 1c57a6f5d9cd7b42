// weft::getaddrinfo on the runtime's default thread pool: lookups of local
// names and numeric addresses, resolver errors naming what was asked,
// cancellation of a lookup that has not finished (the late result is
// dropped without a report), many lookups at once, and a runtime that ends
// with a lookup pending (the lookup's task is cancelled at once, run()
// returns once the pool finished its work). No test needs a network:
// "localhost" is in /etc/hosts and names under .invalid never resolve.
#include "support/gate.hpp"
#include "support/io_test.hpp"

#include <weft/executors/run_in_executor.hpp>
#include <weft/scheduler/detail/loop_services.hpp>
#include <weft/scheduler/thread_pool_executor.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <netdb.h>

namespace {

using namespace std::chrono_literals;
using weft_test::await_arrivals;
using weft_test::gate;

class dns_test : public weft_test::io_test {};



/// The running runtime's default pool (the pool of getaddrinfo and
/// to_thread). Inside a task only.
weft::thread_pool_executor& default_pool() {
    return weft::detail::default_thread_pool(weft::get_running_loop(), "test");
}

/// Keeps every thread of a pool busy until released (and at the latest
/// when it goes), so that a job submitted meanwhile cannot start. Counts
/// the blocking jobs that finished.
class pool_blocker {
public:
    explicit pool_blocker(weft::thread_pool_executor& p) : jobs_(static_cast<int>(p.options().max_threads)) {
        for (int i = 0; i < jobs_; ++i) {
            auto g = g_;
            auto ran = ran_;
            p.execute([g, ran] {
                g->pass();
                ran->fetch_add(1);
            });
        }
    }
    pool_blocker(const pool_blocker&) = delete;
    pool_blocker& operator=(const pool_blocker&) = delete;
    ~pool_blocker() { release(); }
    void release() { g_->release(); }
    /// From inside a task: every job of the blocker holds a thread.
    weft::coro<bool> all_blocked() { return await_arrivals(g_, jobs_); }
    int jobs() const { return jobs_; }
    /// The counter of finished blocking jobs (shared with the jobs, so it
    /// outlives the blocker).
    std::shared_ptr<std::atomic<int>> ran() const { return ran_; }

private:
    int jobs_;
    std::shared_ptr<gate> g_ = std::make_shared<gate>();
    std::shared_ptr<std::atomic<int>> ran_ = std::make_shared<std::atomic<int>>(0);
};

/// Waits (bounded) from inside a task, letting the loop run, until the pool
/// has nothing queued and nothing running: the jobs submitted before have
/// finished.
weft::coro<bool> wait_pool_quiet(weft::thread_pool_executor& p) {
    const auto start = weft::clock::now();
    for (;;) {
        const auto c = p.snapshot();
        if (c.queued == 0 && c.running == 0) co_return true;
        if (weft_test::ms_since(start) > 10000.0) co_return false;
        co_await weft::sleep(1ms);
    }
}

/// Waits (bounded) from inside a task, letting the loop run, until n jobs
/// are queued on the pool (behind the jobs that hold its threads).
weft::coro<bool> await_queued(weft::thread_pool_executor& p, std::size_t n) {
    const auto start = weft::clock::now();
    while (p.snapshot().queued < n) {
        if (weft_test::ms_since(start) > 10000.0) co_return false;
        co_await weft::sleep(1ms);
    }
    co_return true;
}

bool has_address(const std::vector<weft::address_info>& v, const std::string& host, std::uint16_t port) {
    for (const auto& a : v)
        if (a.address.host() == host && a.address.port() == port) return true;
    return false;
}

// --- getaddrinfo ------------------------------------------------------------

TEST_P(dns_test, LocalhostResolvesToALoopbackAddress) {
    auto body = []() -> weft::coro<std::vector<weft::address_info>> {
        co_return co_await weft::getaddrinfo("localhost", std::uint16_t{80});
    };
    const auto v = run(body());
    ASSERT_FALSE(v.empty());
    EXPECT_TRUE(has_address(v, "127.0.0.1", 80) || has_address(v, "::1", 80));
    for (const auto& a : v) {
        EXPECT_TRUE(a.family == AF_INET || a.family == AF_INET6);
        EXPECT_EQ(a.family, a.address.family());
        EXPECT_EQ(a.address.port(), 80);
    }
}

TEST_P(dns_test, NumericHostsAndTheHintsAreHonoured) {
    auto body = []() -> weft::coro<std::vector<std::vector<weft::address_info>>> {
        std::vector<std::vector<weft::address_info>> out;
        weft::getaddrinfo_options tcp;
        tcp.socktype = SOCK_STREAM;
        out.push_back(co_await weft::getaddrinfo("127.0.0.1", std::uint16_t{8080}, tcp));
        out.push_back(co_await weft::getaddrinfo("::1", "53", tcp));
        weft::getaddrinfo_options udp4;
        udp4.family = AF_INET;
        udp4.socktype = SOCK_DGRAM;
        out.push_back(co_await weft::getaddrinfo("localhost", "7", udp4));
        co_return out;
    };
    const auto r = run(body());
    ASSERT_EQ(r[0].size(), 1u);
    EXPECT_EQ(r[0][0].family, AF_INET);
    EXPECT_EQ(r[0][0].socktype, SOCK_STREAM);
    EXPECT_EQ(r[0][0].address.to_string(), "127.0.0.1:8080");
    ASSERT_EQ(r[1].size(), 1u);
    EXPECT_EQ(r[1][0].family, AF_INET6);
    EXPECT_EQ(r[1][0].address.to_string(), "[::1]:53");
    ASSERT_FALSE(r[2].empty());
    for (const auto& a : r[2]) {
        EXPECT_EQ(a.family, AF_INET);
        EXPECT_EQ(a.socktype, SOCK_DGRAM);
        EXPECT_EQ(a.address.port(), 7);
    }
}

TEST_P(dns_test, WithoutASocketTypeEveryTypeIsListed) {
    auto body = []() -> weft::coro<std::vector<weft::address_info>> {
        co_return co_await weft::getaddrinfo("127.0.0.1", std::uint16_t{9});
    };
    const auto v = run(body());
    bool stream = false, dgram = false;
    for (const auto& a : v) {
        stream |= a.socktype == SOCK_STREAM;
        dgram |= a.socktype == SOCK_DGRAM;
        EXPECT_EQ(a.address.to_string(), "127.0.0.1:9");
    }
    EXPECT_TRUE(stream);
    EXPECT_TRUE(dgram);
}

TEST_P(dns_test, PassiveWithoutAHostIsTheWildcard) {
    auto body = []() -> weft::coro<std::vector<weft::address_info>> {
        weft::getaddrinfo_options o;
        o.family = AF_INET;
        o.socktype = SOCK_DGRAM;
        o.flags = AI_PASSIVE;
        co_return co_await weft::getaddrinfo("", std::uint16_t{5000}, o);
    };
    const auto v = run(body());
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].address.to_string(), "0.0.0.0:5000");
}

TEST_P(dns_test, CanonicalNameIsOnTheFirstResult) {
    auto body = []() -> weft::coro<std::vector<weft::address_info>> {
        weft::getaddrinfo_options o;
        o.flags = AI_CANONNAME;
        o.socktype = SOCK_STREAM;
        co_return co_await weft::getaddrinfo("localhost", "http", o);
    };
    const auto v = run(body());
    ASSERT_FALSE(v.empty());
    EXPECT_FALSE(v[0].canonname.empty());
    EXPECT_EQ(v[0].address.port(), 80);  // the service name, from /etc/services
}

TEST_P(dns_test, NumericHostFlagWithANameFailsNamingIt) {
    auto body = []() -> weft::coro<std::string> {
        weft::getaddrinfo_options o;
        o.flags = AI_NUMERICHOST;
        try {
            co_await weft::getaddrinfo("localhost", std::uint16_t{80}, o);
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code(), std::error_code(EAI_NONAME, weft::gai_category()));
            co_return e.what();
        }
        co_return "resolved";
    };
    const std::string what = run(body());
    EXPECT_NE(what.find("\"localhost\""), std::string::npos) << what;
    EXPECT_NE(what.find("\"80\""), std::string::npos) << what;
    EXPECT_NE(what.find(::gai_strerror(EAI_NONAME)), std::string::npos) << what;
}

TEST_P(dns_test, AnUnknownNameFailsNamingIt) {
    auto body = []() -> weft::coro<std::string> {
        const auto start = weft::clock::now();
        try {
            co_await weft::getaddrinfo("no-such-host.invalid", "443");
        } catch (const std::system_error& e) {
            // A resolver error (EAI_NONAME, or EAI_AGAIN/EAI_FAIL from a
            // resolver that is asked), never a value.
            EXPECT_TRUE(e.code().category() == weft::gai_category() ||
                        e.code().category() == std::system_category());
            EXPECT_LT(weft_test::ms_since(start), 60000.0);
            co_return e.what();
        }
        co_return "resolved";
    };
    const std::string what = run(body());
    EXPECT_NE(what.find("no-such-host.invalid"), std::string::npos) << what;
    EXPECT_NE(what.find("443"), std::string::npos) << what;
}

TEST_P(dns_test, BadInputIsRefused) {
    auto body = []() -> weft::coro<std::vector<std::string>> {
        std::vector<std::string> out;
        try {
            co_await weft::getaddrinfo("", "");  // nothing to look up
            out.push_back("resolved");
        } catch (const std::system_error& e) {
            out.push_back(e.what());
        }
        try {
            co_await weft::getaddrinfo(std::string("local\0host", 10), "80");
            out.push_back("resolved");
        } catch (const weft::value_error& e) {
            out.push_back(e.what());
        }
        try {
            co_await weft::getaddrinfo("127.0.0.1", "no-such-service-name");
            out.push_back("resolved");
        } catch (const std::system_error& e) {
            out.push_back(e.what());
        }
        co_return out;
    };
    const auto r = run(body());
    ASSERT_EQ(r.size(), 3u);
    EXPECT_NE(r[0].find("host (none), service (none)"), std::string::npos) << r[0];
    EXPECT_NE(r[1].find("NUL"), std::string::npos) << r[1];
    EXPECT_NE(r[2].find("no-such-service-name"), std::string::npos) << r[2];
}

TEST_P(dns_test, ManyLookupsRunInParallel) {
    auto body = []() -> weft::coro<std::vector<std::vector<weft::address_info>>> {
        std::vector<weft::task<std::vector<weft::address_info>>> ts;
        for (int i = 0; i < 48; ++i) {
            weft::getaddrinfo_options o;
            o.socktype = SOCK_STREAM;
            ts.push_back(weft::create_task(
                weft::getaddrinfo("localhost", static_cast<std::uint16_t>(1000 + i), o)));
        }
        auto all = weft::gather(std::move(ts));
        auto r = co_await all;
        // The lookups ran on the runtime's default pool, within its limit.
        const auto c = default_pool().snapshot();
        EXPECT_GE(c.threads, 1u);
        EXPECT_LE(c.threads, default_pool().options().max_threads);
        co_return r;
    };
    const auto r = run(body());
    ASSERT_EQ(r.size(), 48u);
    for (std::size_t i = 0; i < r.size(); ++i) {
        ASSERT_FALSE(r[i].empty());
        for (const auto& a : r[i]) EXPECT_EQ(a.address.port(), 1000 + i);
    }
}

TEST_P(dns_test, CancellingAPendingLookupEndsTheWaitAtOnce) {
    auto body = []() -> weft::coro<std::string> {
        // Every thread of the default pool is held, so the lookup cannot
        // start before the cancel: the wait must end without it.
        weft::thread_pool_executor& pool = default_pool();
        pool_blocker blocker(pool);
        EXPECT_TRUE(co_await blocker.all_blocked());
        auto lookup = weft::create_task(weft::getaddrinfo("localhost", std::uint16_t{80}));
        EXPECT_TRUE(co_await await_queued(pool, 1));  // the lookup, behind the blockers
        EXPECT_FALSE(lookup.done());
        const auto start = weft::clock::now();
        lookup.cancel();
        std::string outcome = "resolved";
        try {
            co_await lookup;
        } catch (const weft::cancelled_error&) {
            EXPECT_LT(weft_test::ms_since(start), 5000.0);
            outcome = "cancelled";
        }
        // The lookup itself still runs once the pool is free; its result
        // is dropped.
        EXPECT_EQ(pool.snapshot().queued, 1u);
        blocker.release();
        EXPECT_TRUE(co_await wait_pool_quiet(pool));
        EXPECT_EQ(blocker.ran()->load(), blocker.jobs());
        co_return outcome;
    };
    EXPECT_EQ(run(body()), "cancelled");
}

/// What the runtime-shutdown test observes, shared by the task, the pool's
/// jobs and the thread that opens the gate.
struct shutdown_probe {
    gate g;                             // the jobs that hold the pool wait here
    std::atomic<int> jobs{0};           // how many hold the pool
    std::atomic<int> ran{0};            // pool jobs (blockers and the one queued last) that finished
    std::atomic<bool> body_returned{false};
    std::atomic<bool> lookup_cancelled{false};  // the lookup's task saw cancelled_error
    std::atomic<bool> opened_after_cancel{false};
    std::mutex m;
    std::condition_variable cv;  // lookup_cancelled was set
    std::chrono::steady_clock::time_point returned_at, cancelled_at;  // under m

    void mark_returned() {
        std::lock_guard lk(m);
        returned_at = std::chrono::steady_clock::now();
        body_returned = true;
    }
    void mark_cancelled() {
        std::lock_guard lk(m);
        cancelled_at = std::chrono::steady_clock::now();
        lookup_cancelled = true;
        cv.notify_all();
    }
};

weft::coro<void> pending_lookup(std::shared_ptr<shutdown_probe> p) {
    try {
        co_await weft::getaddrinfo("localhost", std::uint16_t{80});
    } catch (const weft::cancelled_error&) {
        p->mark_cancelled();
        throw;
    }
}

TEST_P(dns_test, RuntimeShutdownCancelsAPendingLookupAndWaitsForThePool) {
    auto probe = std::make_shared<shutdown_probe>();
    auto body = [](std::shared_ptr<shutdown_probe> p) -> weft::coro<void> {
        weft::thread_pool_executor& pool = default_pool();
        const int n = static_cast<int>(pool.options().max_threads);
        p->jobs = n;
        for (int i = 0; i < n; ++i)
            pool.execute([p] {
                p->g.pass();
                p->ran.fetch_add(1);
            });
        std::shared_ptr<gate> g(p, &p->g);
        EXPECT_TRUE(co_await await_arrivals(g, n));
        // Left running when the main coroutine returns: the runtime cancels
        // it on the way out, and its wait ends without the lookup, which is
        // queued behind the blockers, and so is the job after it.
        auto lookup = weft::create_task(pending_lookup(p));
        EXPECT_TRUE(co_await await_queued(pool, 1));
        EXPECT_FALSE(lookup.done());
        pool.execute([p] { p->ran.fetch_add(1); });
        EXPECT_EQ(pool.snapshot().queued, 2u);
        p->mark_returned();
    };
    // Opens the gate once the runtime cancelled the lookup's task, so that
    // run() can only return after the cancel; opens it anyway after 10 s,
    // so that a runtime waiting for the lookup's task fails the test
    // instead of hanging it.
    std::thread opener([probe] {
        {
            std::unique_lock lk(probe->m);
            probe->cv.wait_for(lk, 10s, [&] { return probe->lookup_cancelled.load(); });
        }
        probe->opened_after_cancel = probe->lookup_cancelled.load();
        probe->g.release();
    });
    testing::internal::CaptureStderr();
    run(body(probe));
    const int ran_when_run_returned = probe->ran.load();
    const std::string err = testing::internal::GetCapturedStderr();
    opener.join();
    EXPECT_TRUE(probe->body_returned.load());
    EXPECT_TRUE(probe->lookup_cancelled.load());
    EXPECT_TRUE(probe->opened_after_cancel.load());
    if (probe->lookup_cancelled.load() && probe->body_returned.load()) {
        EXPECT_LT(probe->cancelled_at - probe->returned_at, 5s);  // at once, not after the lookup
    }
    // run() returned after the pool finished what it was given: every
    // blocker and the job queued behind the lookup (so the lookup started).
    EXPECT_GT(probe->jobs.load(), 0);
    EXPECT_EQ(ran_when_run_returned, probe->jobs.load() + 1);
    EXPECT_EQ(err.find("still running"), std::string::npos) << err;
}

// --- to_thread --------------------------------------------------------------

TEST_P(dns_test, ToThreadRunsOnAPoolThreadAndReturnsItsValue) {
    auto body = []() -> weft::coro<bool> {
        const auto caller = std::this_thread::get_id();
        auto where = [] { return std::this_thread::get_id(); };
        const std::thread::id ran_on = co_await weft::to_thread(where);
        auto fail = []() -> int { throw std::runtime_error("from the pool"); };
        try {
            co_await weft::to_thread(fail);
            ADD_FAILURE() << "no exception";
        } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "from the pool");
        }
        co_return ran_on != caller;
    };
    EXPECT_TRUE(run(body()));
}

TEST_P(dns_test, ACancelledCallFinishesAndItsLateFailureIsNotReported) {
    auto g = std::make_shared<gate>();
    auto finished = std::make_shared<std::atomic<bool>>(false);
    /// Marks `finished` when the job's captures go, after the future's
    /// last reference went.
    struct on_destroy {
        std::shared_ptr<std::atomic<bool>> flag;
        ~on_destroy() {
            if (flag) flag->store(true);
        }
    };
    testing::internal::CaptureStderr();
    auto body = [](std::shared_ptr<gate> g, std::shared_ptr<std::atomic<bool>> finished) -> weft::coro<std::string> {
        // Armed in place: a temporary copied in would mark on its own way out.
        auto marker = std::make_shared<on_destroy>();
        marker->flag = finished;
        auto slow = [g, marker]() -> int {
            g->pass();
            throw std::runtime_error("late failure");
        };
        auto call = [](decltype(slow) f) -> weft::coro<int> { co_return co_await weft::to_thread(std::move(f)); };
        marker.reset();
        auto t = weft::create_task(call(std::move(slow)));
        EXPECT_TRUE(co_await await_arrivals(g, 1));  // the call is running
        t.cancel();
        std::string outcome = "returned";
        try {
            co_await t;
        } catch (const weft::cancelled_error&) {
            outcome = "cancelled";
        }
        // The call goes on after the cancel; the runtime waits for it.
        EXPECT_FALSE(finished->load());
        g->release();
        co_return outcome;
    };
    const std::string r = run(body(g, finished));
    // run() returned after the pool finished the call, and a job's
    // captures go before it counts as finished.
    EXPECT_TRUE(finished->load());
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r, "cancelled");
    EXPECT_EQ(err.find("never retrieved"), std::string::npos) << err;
    EXPECT_EQ(err.find("late failure"), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(Dns, dns_test, weft_test::io_configs(), weft_test::io_config_name);

} // namespace
