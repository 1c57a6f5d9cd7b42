// weft::getaddrinfo and the blocking pool it runs on: lookups of local
// names and numeric addresses, resolver errors naming what was asked,
// cancellation of a lookup that has not finished (the late result is
// dropped without a report), many lookups at once; the pool's growth,
// retirement and shutdown. No test needs a network: "localhost" is in
// /etc/hosts and names under .invalid never resolve.
#include "support/io_test.hpp"

#include "../../../io/src/blocking_pool.hpp"

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
using weft::detail::blocking_pool;

class dns_test : public weft_test::io_test {};

/// A gate that blocking jobs wait at until the test opens it.
struct gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
    int waiting = 0;

    void pass() {
        std::unique_lock lk(m);
        ++waiting;
        cv.notify_all();
        cv.wait(lk, [&] { return open; });
    }
    void release() {
        std::lock_guard lk(m);
        open = true;
        cv.notify_all();
    }
    bool wait_waiting(int n, std::chrono::milliseconds bound) {
        std::unique_lock lk(m);
        return cv.wait_for(lk, bound, [&] { return waiting >= n; });
    }
    int count() {
        std::lock_guard lk(m);
        return waiting;
    }
};

/// As gate::wait_waiting from inside a task, letting the loop run.
weft::coro<bool> await_waiting(std::shared_ptr<gate> g, int n) {
    const auto start = weft::clock::now();
    while (g->count() < n) {
        if (weft_test::ms_since(start) > 10000.0) co_return false;
        co_await weft::sleep(1ms);
    }
    co_return true;
}

/// Keeps every thread of a pool busy until released (and at the latest
/// when it goes), so that a job submitted meanwhile cannot start.
class pool_blocker {
public:
    explicit pool_blocker(blocking_pool& p = blocking_pool::instance()) : pool_(p) {
        for (unsigned i = 0; i < pool_.options().max_threads; ++i) {
            auto g = g_;
            pool_.submit([g] { g->pass(); });
        }
    }
    ~pool_blocker() { release(); }
    void release() { g_->release(); }
    bool all_blocked() { return g_->wait_waiting(static_cast<int>(pool_.options().max_threads), 10s); }

private:
    blocking_pool& pool_;
    std::shared_ptr<gate> g_ = std::make_shared<gate>();
};

/// Waits (bounded) until every thread of the pool is idle and nothing is
/// queued: the jobs submitted before have finished.
bool wait_pool_quiet(blocking_pool& p, std::chrono::milliseconds bound = 10s) {
    const auto end = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < end) {
        auto c = p.snapshot();
        if (c.queued == 0 && c.idle == c.threads) return true;
        std::this_thread::sleep_for(1ms);
    }
    return false;
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
        co_return co_await all;
    };
    const auto r = run(body());
    ASSERT_EQ(r.size(), 48u);
    for (std::size_t i = 0; i < r.size(); ++i) {
        ASSERT_FALSE(r[i].empty());
        for (const auto& a : r[i]) EXPECT_EQ(a.address.port(), 1000 + i);
    }
    EXPECT_LE(blocking_pool::instance().snapshot().threads, blocking_pool::instance().options().max_threads);
}

TEST_P(dns_test, CancellingAPendingLookupEndsTheWaitAtOnce) {
    // Every pool thread is held, so the lookup cannot start before the
    // cancel: the wait must end without it.
    pool_blocker blocker;
    auto body = []() -> weft::coro<std::string> {
        auto lookup = weft::create_task(weft::getaddrinfo("localhost", std::uint16_t{80}));
        co_await weft::sleep(5ms);
        EXPECT_FALSE(lookup.done());
        const auto start = weft::clock::now();
        lookup.cancel();
        try {
            co_await lookup;
        } catch (const weft::cancelled_error&) {
            EXPECT_LT(weft_test::ms_since(start), 5000.0);
            co_return "cancelled";
        }
        co_return "resolved";
    };
    EXPECT_EQ(run(body()), "cancelled");
    // The lookup still runs once the pool is free; its result is dropped.
    blocker.release();
    EXPECT_TRUE(wait_pool_quiet(blocking_pool::instance()));
}

TEST_P(dns_test, RuntimeShutdownDoesNotWaitForAPendingLookup) {
    pool_blocker blocker;
    auto body = []() -> weft::coro<void> {
        // Left running when the main coroutine returns: the runtime cancels
        // it on the way out, and the wait ends without the lookup.
        auto lookup = weft::create_task(weft::getaddrinfo("localhost", std::uint16_t{80}));
        co_await weft::sleep(2ms);
        EXPECT_FALSE(lookup.done());
    };
    const auto start = std::chrono::steady_clock::now();
    run(body());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    blocker.release();
    EXPECT_TRUE(wait_pool_quiet(blocking_pool::instance()));
}

// --- run_blocking and the pool ---------------------------------------------

TEST_P(dns_test, RunBlockingRunsOnAPoolThreadAndReturnsItsValue) {
    auto body = []() -> weft::coro<bool> {
        const auto caller = std::this_thread::get_id();
        auto where = [] { return std::this_thread::get_id(); };
        const std::thread::id ran_on = co_await weft::detail::run_blocking(where);
        auto fail = []() -> int { throw std::runtime_error("from the pool"); };
        try {
            co_await weft::detail::run_blocking(fail);
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
        auto marker = std::make_shared<on_destroy>(on_destroy{finished});
        auto slow = [g, marker]() -> int {
            g->pass();
            throw std::runtime_error("late failure");
        };
        auto call = [](decltype(slow) f) -> weft::coro<int> { co_return co_await weft::detail::run_blocking(f); };
        marker.reset();
        auto t = weft::create_task(call(std::move(slow)));
        EXPECT_TRUE(co_await await_waiting(g, 1));  // the call is running
        t.cancel();
        try {
            co_await t;
        } catch (const weft::cancelled_error&) {
            co_return "cancelled";
        }
        co_return "returned";
    };
    const std::string r = run(body(g, finished));
    g->release();
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (!finished->load() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(1ms);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(r, "cancelled");
    EXPECT_TRUE(finished->load());
    EXPECT_EQ(err.find("never retrieved"), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(Dns, dns_test, weft_test::io_configs(), weft_test::io_config_name);

TEST(BlockingPool, GrowsToItsLimitAndQueuesTheRest) {
    weft::detail::blocking_pool_options o;
    o.max_threads = 3;
    blocking_pool pool(o);
    auto g = std::make_shared<gate>();
    std::atomic<int> ran{0};
    for (int i = 0; i < 10; ++i)
        pool.submit([g, &ran] {
            g->pass();
            ran.fetch_add(1);
        });
    EXPECT_TRUE(g->wait_waiting(3, 10s));
    auto c = pool.snapshot();
    EXPECT_EQ(c.threads, 3u);
    EXPECT_EQ(c.queued, 7u);
    g->release();
    EXPECT_TRUE(wait_pool_quiet(pool));
    EXPECT_EQ(ran.load(), 10);
}

TEST(BlockingPool, IdleThreadsRetire) {
    weft::detail::blocking_pool_options o;
    o.max_threads = 4;
    o.idle_timeout = 20ms;
    blocking_pool pool(o);
    auto g = std::make_shared<gate>();
    for (int i = 0; i < 4; ++i) pool.submit([g] { g->pass(); });
    EXPECT_TRUE(g->wait_waiting(4, 10s));
    EXPECT_EQ(pool.snapshot().threads, 4u);
    g->release();
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (pool.snapshot().threads != 0 && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(1ms);
    EXPECT_EQ(pool.snapshot().threads, 0u);
    // A retired pool starts threads again.
    std::atomic<bool> ran{false};
    pool.submit([&ran] { ran.store(true); });
    EXPECT_TRUE(wait_pool_quiet(pool));
    EXPECT_TRUE(ran.load());
}

TEST(BlockingPool, ShutdownRunsTheQueueAndJoins) {
    std::atomic<int> ran{0};
    {
        weft::detail::blocking_pool_options o;
        o.max_threads = 2;
        blocking_pool pool(o);
        for (int i = 0; i < 20; ++i) pool.submit([&ran] { ran.fetch_add(1); });
    }  // the destructor waits for the queue
    EXPECT_EQ(ran.load(), 20);
}

TEST(BlockingPool, ShutdownDoesNotWaitForeverForAStuckJob) {
    auto g = std::make_shared<gate>();
    auto done = std::make_shared<std::atomic<bool>>(false);
    const auto start = std::chrono::steady_clock::now();
    {
        weft::detail::blocking_pool_options o;
        o.max_threads = 1;
        o.exit_grace = 50ms;
        blocking_pool pool(o);
        pool.submit([g, done] {
            g->pass();
            done->store(true);
        });
        EXPECT_TRUE(g->wait_waiting(1, 10s));
        pool.shutdown();
        // After shutdown, a job runs on its caller.
        bool inline_ran = false;
        pool.submit([&inline_ran] { inline_ran = true; });
        EXPECT_TRUE(inline_ran);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_FALSE(done->load());
    // The detached thread finishes its job on its own.
    g->release();
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (!done->load() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(done->load());
}

} // namespace
