// loop.add_signal_handler / remove_signal_handler: delivery on the loop
// that registered the handler, replacement, removal (and the restored
// disposition), bad signal numbers, and cleanup when the runtime ends, on
// both backends and on one and two workers.
//
// Each test first sets SIGUSR1 and SIGUSR2 to SIG_IGN (restored at the
// end), so that a signal arriving after its handler was removed is
// ignored instead of ending the test program.
#include "support/io_test.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;

/// Sets sig's disposition to SIG_IGN for the scope.
class ignored_signal {
public:
    explicit ignored_signal(int sig) : sig_(sig) {
        struct sigaction ign {};
        ign.sa_handler = SIG_IGN;
        sigemptyset(&ign.sa_mask);
        ::sigaction(sig_, &ign, &old_);
    }
    ~ignored_signal() { ::sigaction(sig_, &old_, nullptr); }
    ignored_signal(const ignored_signal&) = delete;
    ignored_signal& operator=(const ignored_signal&) = delete;

private:
    int sig_;
    struct sigaction old_ {};
};

bool disposition_is_ignore(int sig) {
    struct sigaction cur {};
    ::sigaction(sig, nullptr, &cur);
    return cur.sa_handler == SIG_IGN;
}

class signal_test : public weft_test::io_test {
protected:
    ignored_signal usr1_{SIGUSR1};
    ignored_signal usr2_{SIGUSR2};
};

/// Counts calls and remembers the thread of the last one; a future wakes
/// the test at the count it waits for.
struct recorder {
    std::atomic<int> calls{0};
    std::atomic<bool> on_registering_loop{true};
    weft::event_loop* loop = nullptr;
    std::function<void()> callback() {
        return [this] {
            if (&weft::get_running_loop() != loop) on_registering_loop = false;
            calls.fetch_add(1);
        };
    }
};

/// Waits (up to 5 s on the loop clock) until r has at least n calls.
weft::coro<bool> wait_calls(recorder& r, int n) {
    const auto deadline = weft::deadline_after(5s);
    while (r.calls.load() < n) {
        if (weft::clock::now() > deadline) co_return false;
        co_await weft::sleep(1ms);
    }
    co_return true;
}

TEST_P(signal_test, AHandlerRunsOnItsLoopWhenTheSignalArrives) {
    auto body = []() -> weft::coro<void> {
        recorder r;
        weft::event_loop& loop = weft::get_running_loop();
        r.loop = &loop;
        loop.add_signal_handler(SIGUSR1, r.callback());
        EXPECT_FALSE(disposition_is_ignore(SIGUSR1));
        ::raise(SIGUSR1);
        EXPECT_TRUE(co_await wait_calls(r, 1));
        // From another thread of the process, too.
        std::thread([] { ::kill(::getpid(), SIGUSR1); }).join();
        EXPECT_TRUE(co_await wait_calls(r, 2));
        EXPECT_TRUE(r.on_registering_loop.load());
        EXPECT_TRUE(loop.remove_signal_handler(SIGUSR1));
    };
    run_pinned(body());
}

TEST_P(signal_test, EachSignalRunsTheHandlerOnce) {
    auto body = []() -> weft::coro<int> {
        recorder r;
        weft::event_loop& loop = weft::get_running_loop();
        r.loop = &loop;
        loop.add_signal_handler(SIGUSR1, r.callback());
        for (int i = 1; i <= 5; ++i) {
            ::raise(SIGUSR1);
            EXPECT_TRUE(co_await wait_calls(r, i));
        }
        co_await weft_test::let_others_run();
        loop.remove_signal_handler(SIGUSR1);
        co_return r.calls.load();
    };
    EXPECT_EQ(run_pinned(body()), 5);
}

TEST_P(signal_test, RemovingStopsTheHandlerAndRestoresTheDisposition) {
    auto body = []() -> weft::coro<void> {
        recorder r1, r2;
        weft::event_loop& loop = weft::get_running_loop();
        r1.loop = r2.loop = &loop;
        loop.add_signal_handler(SIGUSR1, r1.callback());
        ::raise(SIGUSR1);
        EXPECT_TRUE(co_await wait_calls(r1, 1));
        EXPECT_TRUE(loop.remove_signal_handler(SIGUSR1));
        EXPECT_FALSE(loop.remove_signal_handler(SIGUSR1));
        EXPECT_TRUE(disposition_is_ignore(SIGUSR1));
        // SIGUSR1 now goes nowhere; SIGUSR2, raised after it, still gets
        // through, and by then SIGUSR1 would have been seen.
        loop.add_signal_handler(SIGUSR2, r2.callback());
        ::raise(SIGUSR1);
        ::raise(SIGUSR2);
        EXPECT_TRUE(co_await wait_calls(r2, 1));
        co_await weft_test::let_others_run();
        EXPECT_EQ(r1.calls.load(), 1);
        EXPECT_TRUE(loop.remove_signal_handler(SIGUSR2));
        EXPECT_TRUE(disposition_is_ignore(SIGUSR2));
    };
    run_pinned(body());
}

TEST_P(signal_test, TwoSignalsTwoHandlers) {
    auto body = []() -> weft::coro<void> {
        recorder r1, r2;
        weft::event_loop& loop = weft::get_running_loop();
        r1.loop = r2.loop = &loop;
        loop.add_signal_handler(SIGUSR1, r1.callback());
        loop.add_signal_handler(SIGUSR2, r2.callback());
        ::raise(SIGUSR2);
        ::raise(SIGUSR1);
        EXPECT_TRUE(co_await wait_calls(r1, 1));
        EXPECT_TRUE(co_await wait_calls(r2, 1));
        co_await weft_test::let_others_run();
        EXPECT_EQ(r1.calls.load(), 1);
        EXPECT_EQ(r2.calls.load(), 1);
        EXPECT_TRUE(loop.remove_signal_handler(SIGUSR1));
        EXPECT_TRUE(loop.remove_signal_handler(SIGUSR2));
    };
    run_pinned(body());
}

TEST_P(signal_test, AddingAgainReplacesTheHandler) {
    auto body = []() -> weft::coro<void> {
        recorder first, second;
        weft::event_loop& loop = weft::get_running_loop();
        first.loop = second.loop = &loop;
        loop.add_signal_handler(SIGUSR1, first.callback());
        loop.add_signal_handler(SIGUSR1, second.callback());
        ::raise(SIGUSR1);
        EXPECT_TRUE(co_await wait_calls(second, 1));
        co_await weft_test::let_others_run();
        EXPECT_EQ(first.calls.load(), 0);
        // One removal removes it: the replacement did not stack.
        EXPECT_TRUE(loop.remove_signal_handler(SIGUSR1));
        EXPECT_FALSE(loop.remove_signal_handler(SIGUSR1));
        EXPECT_TRUE(disposition_is_ignore(SIGUSR1));
    };
    run_pinned(body());
}

TEST_P(signal_test, BadSignalNumbersAndCallsAreRefused) {
    auto body = []() -> weft::coro<int> {
        weft::event_loop& loop = weft::get_running_loop();
        int refused = 0;
        for (int sig : {0, -1, NSIG, 1000, SIGKILL, SIGSTOP}) {
            try {
                loop.add_signal_handler(sig, [] {});
            } catch (const weft::value_error&) {
                ++refused;
            }
            try {
                (void)loop.remove_signal_handler(sig);
            } catch (const weft::value_error&) {
                ++refused;
            }
        }
        try {
            loop.add_signal_handler(SIGUSR1, {});
        } catch (const weft::value_error&) {
            ++refused;
        }
        // From a thread that does not run the loop.
        std::thread([&loop, &refused] {
            try {
                loop.add_signal_handler(SIGUSR1, [] {});
            } catch (const weft::error& e) {
                if (std::string(e.what()).find("thread running the loop") != std::string::npos) ++refused;
            }
        }).join();
        EXPECT_FALSE(loop.remove_signal_handler(SIGUSR1));
        EXPECT_TRUE(disposition_is_ignore(SIGUSR1));
        co_return refused;
    };
    EXPECT_EQ(run_pinned(body()), 14);
}

TEST_P(signal_test, ACallbackExceptionGoesToTheExceptionHandler) {
    auto body = []() -> weft::coro<std::string> {
        weft::event_loop& loop = weft::get_running_loop();
        auto got = std::make_shared<std::string>();
        loop.set_exception_handler([got](weft::event_loop&, const weft::exception_context& ctx) {
            try {
                if (ctx.exception) std::rethrow_exception(ctx.exception);
            } catch (const std::exception& e) {
                *got = e.what();
            }
        });
        loop.add_signal_handler(SIGUSR1, [] { throw std::runtime_error("from the handler"); });
        ::raise(SIGUSR1);
        const auto deadline = weft::deadline_after(5s);
        while (got->empty() && weft::clock::now() < deadline) co_await weft::sleep(1ms);
        loop.remove_signal_handler(SIGUSR1);
        loop.set_exception_handler(nullptr);
        co_return *got;
    };
    EXPECT_EQ(run_pinned(body()), "from the handler");
}

TEST_P(signal_test, RemovingFromAnotherThread) {
    auto body = []() -> weft::coro<void> {
        recorder r;
        weft::event_loop& loop = weft::get_running_loop();
        r.loop = &loop;
        loop.add_signal_handler(SIGUSR1, r.callback());
        bool removed = false;
        std::thread([&loop, &removed] { removed = loop.remove_signal_handler(SIGUSR1); }).join();
        EXPECT_TRUE(removed);
        EXPECT_TRUE(disposition_is_ignore(SIGUSR1));
        co_await weft_test::let_others_run();  // the loop drops its pipe watch
        // And it can be added again.
        loop.add_signal_handler(SIGUSR1, r.callback());
        ::raise(SIGUSR1);
        EXPECT_TRUE(co_await wait_calls(r, 1));
        EXPECT_TRUE(loop.remove_signal_handler(SIGUSR1));
    };
    run_pinned(body());
}

TEST_P(signal_test, TheRuntimeEndingRemovesItsHandlers) {
    auto leave_one = []() -> weft::coro<void> {
        weft::get_running_loop().add_signal_handler(SIGUSR1, [] {});
        co_return;
    };
    run_pinned(leave_one());
    // The loop is gone: its handler too, with the disposition restored.
    EXPECT_TRUE(disposition_is_ignore(SIGUSR1));
    ::raise(SIGUSR1);  // ignored

    // A new runtime starts afresh.
    auto again = []() -> weft::coro<int> {
        recorder r;
        weft::event_loop& loop = weft::get_running_loop();
        r.loop = &loop;
        loop.add_signal_handler(SIGUSR1, r.callback());
        ::raise(SIGUSR1);
        EXPECT_TRUE(co_await wait_calls(r, 1));
        co_await weft_test::let_others_run();
        EXPECT_TRUE(loop.remove_signal_handler(SIGUSR1));
        co_return r.calls.load();
    };
    EXPECT_EQ(run_pinned(again()), 1);
}

TEST_P(signal_test, AStandaloneLoopAndARuntimeLoop) {
    // A handler moves from one loop to another: the signal is delivered on
    // the loop that registered last, and each loop's watch keeps working.
    auto standalone = weft::new_event_loop();
    recorder on_standalone;
    on_standalone.loop = standalone.get();
    auto setup = [](weft::event_loop* l, recorder* r) -> weft::coro<void> {
        l->add_signal_handler(SIGUSR1, r->callback());
        ::raise(SIGUSR1);
        EXPECT_TRUE(co_await wait_calls(*r, 1));
    };
    standalone->run_until_complete(setup(standalone.get(), &on_standalone));

    auto body = [](recorder* old) -> weft::coro<int> {
        recorder r;
        weft::event_loop& loop = weft::get_running_loop();
        r.loop = &loop;
        loop.add_signal_handler(SIGUSR1, r.callback());  // replaces the standalone loop's
        ::raise(SIGUSR1);
        EXPECT_TRUE(co_await wait_calls(r, 1));
        co_await weft_test::let_others_run();
        EXPECT_EQ(old->calls.load(), 1);
        EXPECT_TRUE(loop.remove_signal_handler(SIGUSR1));
        co_return r.calls.load();
    };
    EXPECT_EQ(run_pinned(body(&on_standalone)), 1);
    // The standalone loop lost its last handler: running it once lets it
    // drop its pipe watch; then destroying it is clean.
    auto tick = []() -> weft::coro<void> { co_await weft::sleep(0ms); };
    standalone->run_until_complete(tick());
    EXPECT_FALSE(standalone->remove_signal_handler(SIGUSR1));
    standalone->close();
    standalone.reset();
    EXPECT_TRUE(disposition_is_ignore(SIGUSR1));
}

INSTANTIATE_TEST_SUITE_P(Signals, signal_test, weft_test::io_configs(), weft_test::io_config_name);

} // namespace
