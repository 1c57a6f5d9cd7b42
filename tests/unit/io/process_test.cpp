// Subprocesses: create_subprocess_exec / create_subprocess_shell, pipes to
// the child's standard streams, communicate, exit statuses, signals, and
// reaping (many children at once, processes dropped early, children that
// outlive their runtime), on both backends and on one and two workers.
#include "support/io_test.hpp"

#include <weft/io/process.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;

class process_test : public weft_test::io_test {};

/// True once pid is no child of this process any more (it was reaped).
/// WNOWAIT: looking never reaps a zombie itself.
bool reaped(pid_t pid) {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 &&
           errno == ECHILD;
}

/// Waits on the loop clock (up to 5 s) until pid is reaped.
weft::coro<bool> eventually_reaped(pid_t pid) {
    const auto deadline = weft::deadline_after(5s);
    while (!reaped(pid)) {
        if (weft::clock::now() > deadline) co_return false;
        co_await weft::sleep(2ms);
    }
    co_return true;
}

weft::process_options piped_stdout() {
    weft::process_options o;
    o.stdout_ = weft::pipe;
    return o;
}

TEST_P(process_test, ExecPipesStdoutReadLineByLine) {
    auto body = []() -> weft::coro<std::vector<std::string>> {
        auto p_start = weft::create_subprocess_exec("printf", {"one\ntwo\nthree\n"}, piped_stdout());
        weft::process p = co_await std::move(p_start);
        std::vector<std::string> lines;
        for (;;) {
            std::string line = co_await p.stdout_.readline();
            if (line.empty()) break;
            lines.push_back(line);
        }
        const int rc = co_await p.wait();
        EXPECT_EQ(rc, 0);
        EXPECT_EQ(p.returncode(), 0);
        EXPECT_GT(p.pid(), 0);
        co_return lines;
    };
    EXPECT_EQ(run(body()), (std::vector<std::string>{"one\n", "two\n", "three\n"}));
}

TEST_P(process_test, BracedOptionsInsideTheAwait) {
    // The designated-initializer form (see process_options for what g++ 12
    // allows inside a co_await).
    auto body = []() -> weft::coro<std::string> {
        std::vector<std::string> args = {"-c", "echo out; echo err >&2"};
        weft::process p = co_await weft::create_subprocess_exec(
            "sh", args, {.stdout_ = weft::pipe, .stderr_ = weft::pipe, .limit = 1024});
        weft::communicate_result r = co_await p.communicate();
        weft::process q = co_await weft::create_subprocess_shell("echo shell", {.stdout_ = weft::pipe});
        std::string shell = co_await q.stdout_.read();
        co_await q.wait();
        co_return r.stdout_data + r.stderr_data + shell;
    };
    EXPECT_EQ(run(body()), "out\nerr\nshell\n");
}

TEST_P(process_test, CatEchoesWhatIsWrittenToStdin) {
    auto body = []() -> weft::coro<std::string> {
        weft::process_options o;
        o.stdin_ = weft::pipe;
        o.stdout_ = weft::pipe;
        auto p_start = weft::create_subprocess_exec("cat", {}, o);
        weft::process p = co_await std::move(p_start);
        p.stdin_.write("hello\n");
        co_await p.stdin_.drain();
        // The echo comes back before the input is closed.
        std::string first = co_await p.stdout_.readline();
        EXPECT_EQ(first, "hello\n");
        p.stdin_.write("world\n");
        p.stdin_.close();
        co_await p.stdin_.wait_closed();
        std::string rest = co_await p.stdout_.read();
        EXPECT_EQ(co_await p.wait(), 0);
        co_return first + rest;
    };
    EXPECT_EQ(run(body()), "hello\nworld\n");
}

TEST_P(process_test, CommunicateFeedsStdinAndCollectsBothOutputs) {
    auto body = []() -> weft::coro<weft::communicate_result> {
        weft::process_options o;
        o.stdin_ = weft::pipe;
        o.stdout_ = weft::pipe;
        o.stderr_ = weft::pipe;
        auto p_start = weft::create_subprocess_exec("sh", {"-c", "cat; echo to-stderr >&2; exit 4"}, o);
        weft::process p = co_await std::move(p_start);
        weft::communicate_result r = co_await p.communicate("some input\n");
        EXPECT_EQ(p.returncode(), 4);
        co_return r;
    };
    auto [out, err] = run(body());
    EXPECT_EQ(out, "some input\n");
    EXPECT_EQ(err, "to-stderr\n");
}

TEST_P(process_test, CommunicateMovesAMegabyteBothWays) {
    // Input larger than the pipe buffer while the output fills the other
    // pipe: writing and reading must proceed together.
    auto body = []() -> weft::coro<std::size_t> {
        weft::process_options o;
        o.stdin_ = weft::pipe;
        o.stdout_ = weft::pipe;
        auto p_start = weft::create_subprocess_exec("cat", {}, o);
        weft::process p = co_await std::move(p_start);
        std::string input(1 << 20, 'x');
        for (std::size_t i = 0; i < input.size(); i += 4096) input[i] = static_cast<char>('a' + (i / 4096) % 26);
        weft::communicate_result r = co_await p.communicate(input);
        EXPECT_TRUE(r.stdout_data == input);
        EXPECT_EQ(p.returncode(), 0);
        co_return r.stdout_data.size();
    };
    EXPECT_EQ(run(body()), std::size_t(1) << 20);
}

TEST_P(process_test, CommunicateClosesStdinEvenWithoutInput) {
    auto body = []() -> weft::coro<weft::communicate_result> {
        weft::process_options o;
        o.stdin_ = weft::pipe;
        o.stdout_ = weft::pipe;
        auto p_start = weft::create_subprocess_exec("cat", {}, o);
        weft::process p = co_await std::move(p_start);
        co_return co_await p.communicate();
    };
    auto r = run(body());
    EXPECT_EQ(r.stdout_data, "");
    EXPECT_EQ(r.stderr_data, "");
}

TEST_P(process_test, CommunicateWithAChildThatIgnoresItsInput) {
    // The child exits without reading: the broken pipe is not an error.
    auto body = []() -> weft::coro<int> {
        weft::process_options o;
        o.stdin_ = weft::pipe;
        auto p_start = weft::create_subprocess_exec("true", {}, o);
        weft::process p = co_await std::move(p_start);
        co_await p.wait();
        (void)co_await p.communicate(std::string(1 << 20, 'y'));
        co_return *p.returncode();
    };
    EXPECT_EQ(run(body()), 0);
}

TEST_P(process_test, ExitCodes) {
    auto body = []() -> weft::coro<std::vector<int>> {
        std::vector<int> codes;
        weft::process t = co_await weft::create_subprocess_exec("true");
        codes.push_back(co_await t.wait());
        weft::process f = co_await weft::create_subprocess_exec("false");
        codes.push_back(co_await f.wait());
        auto s_start = weft::create_subprocess_exec("sh", {"-c", "exit 3"});
        weft::process s = co_await std::move(s_start);
        codes.push_back(co_await s.wait());
        weft::process big = co_await weft::create_subprocess_shell("exit 255");
        codes.push_back(co_await big.wait());
        // wait() again, and returncode(), give the same status.
        codes.push_back(co_await s.wait());
        codes.push_back(*s.returncode());
        co_return codes;
    };
    EXPECT_EQ(run(body()), (std::vector<int>{0, 1, 3, 255, 3, 3}));
}

TEST_P(process_test, KillAndTerminateGiveMinusTheSignal) {
    auto body = []() -> weft::coro<std::vector<int>> {
        std::vector<int> codes;
        auto a_start = weft::create_subprocess_exec("sleep", {"30"});
        weft::process a = co_await std::move(a_start);
        EXPECT_FALSE(a.returncode().has_value());
        a.kill();
        codes.push_back(co_await a.wait());
        auto b_start = weft::create_subprocess_exec("sleep", {"30"});
        weft::process b = co_await std::move(b_start);
        b.terminate();
        codes.push_back(co_await b.wait());
        auto c_start = weft::create_subprocess_exec("sleep", {"30"});
        weft::process c = co_await std::move(c_start);
        c.send_signal(SIGINT);
        codes.push_back(co_await c.wait());
        // After the child was reaped, signals do nothing.
        a.kill();
        b.terminate();
        c.send_signal(SIGUSR1);
        codes.push_back(*a.returncode());
        co_return codes;
    };
    EXPECT_EQ(run(body()), (std::vector<int>{-SIGKILL, -SIGTERM, -SIGINT, -SIGKILL}));
}

TEST_P(process_test, AMissingProgramIsENOENTNamingIt) {
    auto body = []() -> weft::coro<std::string> {
        try {
            auto start = weft::create_subprocess_exec("weft-no-such-program", {"x"});
            (void)co_await std::move(start);
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code(), std::error_code(ENOENT, std::system_category()));
            co_return e.what();
        }
        co_return "no exception";
    };
    const std::string what = run(body());
    EXPECT_NE(what.find("create_subprocess_exec weft-no-such-program"), std::string::npos) << what;
}

TEST_P(process_test, AProgramThatIsNotExecutableIsEACCES) {
    auto body = []() -> weft::coro<int> {
        try {
            (void)co_await weft::create_subprocess_exec("/etc/passwd");
        } catch (const std::system_error& e) {
            co_return e.code().value();
        }
        co_return 0;
    };
    EXPECT_EQ(run(body()), EACCES);
}

TEST_P(process_test, ShellCommand) {
    auto body = []() -> weft::coro<std::string> {
        weft::process p = co_await weft::create_subprocess_shell("echo $((6 * 7)) | tr 4 x", piped_stdout());
        std::string out = co_await p.stdout_.read();
        EXPECT_EQ(co_await p.wait(), 0);
        weft::process missing = co_await weft::create_subprocess_shell("weft-no-such-command 2>/dev/null");
        EXPECT_EQ(co_await missing.wait(), 127);
        co_return out;
    };
    EXPECT_EQ(run(body()), "x2\n");
}

TEST_P(process_test, StderrToStdoutAndDevnull) {
    auto body = []() -> weft::coro<std::vector<std::string>> {
        std::vector<std::string> r;
        weft::process_options merged = piped_stdout();
        merged.stderr_ = weft::stdio::to_stdout;
        weft::process a = co_await weft::create_subprocess_shell("echo out; echo err >&2", merged);
        r.push_back((co_await a.communicate()).stdout_data);

        weft::process_options quiet = piped_stdout();
        quiet.stdin_ = weft::devnull;
        quiet.stderr_ = weft::devnull;
        weft::process b = co_await weft::create_subprocess_shell("cat; echo done; echo err >&2", quiet);
        auto [out, err] = co_await b.communicate();
        r.push_back(out);
        r.push_back(err);
        co_return r;
    };
    EXPECT_EQ(run(body()), (std::vector<std::string>{"out\nerr\n", "done\n", ""}));
}

TEST_P(process_test, WorkingDirectoryAndEnvironment) {
    auto body = []() -> weft::coro<std::string> {
        weft::process_options o = piped_stdout();
        o.cwd = "/";
        o.env = std::vector<std::string>{"WEFT_TEST_VAR=forty two", "PATH=/usr/bin:/bin"};
        auto p_start =
            weft::create_subprocess_exec("sh", {"-c", "pwd; echo \"$WEFT_TEST_VAR\"; echo \"${HOME-unset}\""}, o);
        weft::process p = co_await std::move(p_start);
        co_return (co_await p.communicate()).stdout_data;
    };
    EXPECT_EQ(run(body()), "/\nforty two\nunset\n");
}

TEST_P(process_test, BadArgumentsAreRefused) {
    auto body = []() -> weft::coro<std::vector<std::string>> {
        std::vector<std::string> errors;
        auto expect_value_error = [](weft::coro<weft::process> c, std::vector<std::string>& out) -> weft::coro<void> {
            try {
                (void)co_await std::move(c);
                out.push_back("no exception");
            } catch (const weft::value_error& e) {
                out.push_back(e.what());
            }
        };
        co_await expect_value_error(weft::create_subprocess_exec(""), errors);
        auto nul_arg = weft::create_subprocess_exec("echo", {std::string("a\0b", 3)});
        co_await expect_value_error(std::move(nul_arg), errors);
        weft::process_options bad_env;
        bad_env.env = std::vector<std::string>{"NOEQUALS"};
        auto env_start = weft::create_subprocess_exec("true", {}, bad_env);
        co_await expect_value_error(std::move(env_start), errors);
        weft::process_options bad_stdin;
        bad_stdin.stdin_ = weft::stdio::to_stdout;
        auto stdin_start = weft::create_subprocess_exec("true", {}, bad_stdin);
        co_await expect_value_error(std::move(stdin_start), errors);

        weft::process_options bad_cwd;
        bad_cwd.cwd = "/weft-no-such-directory";
        try {
            auto cwd_start = weft::create_subprocess_exec("true", {}, bad_cwd);
            (void)co_await std::move(cwd_start);
            errors.push_back("no exception");
        } catch (const std::system_error& e) {
            errors.push_back(e.what());
        }

        weft::process p = co_await weft::create_subprocess_exec("true");
        try {
            p.send_signal(-1);
        } catch (const weft::value_error& e) {
            errors.push_back(e.what());
        }
        co_await p.wait();
        try {
            weft::process empty;
            (void)empty.pid();
        } catch (const weft::error& e) {
            errors.push_back(e.what());
        }
        co_return errors;
    };
    const auto errors = run(body());
    ASSERT_EQ(errors.size(), 7u);
    EXPECT_NE(errors[0].find("empty program"), std::string::npos) << errors[0];
    EXPECT_NE(errors[1].find("NUL"), std::string::npos) << errors[1];
    EXPECT_NE(errors[2].find("NOEQUALS"), std::string::npos) << errors[2];
    EXPECT_NE(errors[3].find("stderr only"), std::string::npos) << errors[3];
    EXPECT_NE(errors[4].find("/weft-no-such-directory"), std::string::npos) << errors[4];
    EXPECT_NE(errors[5].find("invalid signal"), std::string::npos) << errors[5];
    EXPECT_NE(errors[6].find("empty process"), std::string::npos) << errors[6];
}

TEST_P(process_test, FiftyChildrenExitAtOnceAndAreAllReaped) {
    auto body = []() -> weft::coro<void> {
        std::vector<weft::process> procs;
        for (int i = 0; i < 50; ++i) {
            auto p_start = weft::create_subprocess_exec("sh", {"-c", "exit " + std::to_string(i % 7)});
            weft::process p = co_await std::move(p_start);
            procs.push_back(std::move(p));
        }
        std::vector<weft::coro<int>> waits;
        for (auto& p : procs) waits.push_back(p.wait());
        auto all = weft::gather(std::move(waits));
        const std::vector<int> codes = co_await std::move(all);
        for (int i = 0; i < 50; ++i) {
            EXPECT_EQ(codes[static_cast<std::size_t>(i)], i % 7);
            EXPECT_TRUE(reaped(procs[static_cast<std::size_t>(i)].pid())) << "child " << i << " left a zombie";
        }
    };
    run(body());
}

TEST_P(process_test, CancellingAWaitLeavesTheChildRunningAndWaitWorksAgain) {
    auto body = []() -> weft::coro<int> {
        auto p_start = weft::create_subprocess_exec("sleep", {"30"});
        weft::process p = co_await std::move(p_start);
        weft::task<int> waiter = weft::create_task(p.wait());
        co_await weft::sleep(1ms);
        waiter.cancel();
        bool cancelled = false;
        try {
            (void)co_await waiter;
        } catch (const weft::cancelled_error&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        EXPECT_FALSE(p.returncode().has_value());
        // A second waiter, then the kill that ends both the child and it.
        weft::task<int> second = weft::create_task(p.wait());
        p.kill();
        co_return co_await second;
    };
    EXPECT_EQ(run(body()), -SIGKILL);
}

TEST_P(process_test, NoZombieWhenTheProcessIsDroppedEarly) {
    auto body = []() -> weft::coro<void> {
        pid_t quick, later;
        {
            weft::process p = co_await weft::create_subprocess_exec("true");
            quick = p.pid();
        }
        {
            // Reads stdin until end of file: dropping the process closes
            // its stdin, so the child exits after its handle is gone.
            weft::process_options o;
            o.stdin_ = weft::pipe;
            auto p_start = weft::create_subprocess_exec("sh", {"-c", "read x; exit 0"}, o);
            weft::process p = co_await std::move(p_start);
            later = p.pid();
        }
        EXPECT_TRUE(co_await eventually_reaped(quick));
        EXPECT_TRUE(co_await eventually_reaped(later));
    };
    run(body());
}

TEST_P(process_test, AChildOutlivingItsRuntimeIsStillReaped) {
    auto body = []() -> weft::coro<weft::process> {
        auto p_start = weft::create_subprocess_exec("sleep", {"30"});
        weft::process p = co_await std::move(p_start);
        co_return p;
    };
    weft::process p = run(body());
    // The runtime and its loops are gone; the child runs on.
    EXPECT_FALSE(p.returncode().has_value());
    p.kill();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!p.returncode() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(p.returncode(), -SIGKILL);
    EXPECT_TRUE(reaped(p.pid()));
}

TEST_P(process_test, WaitFromManyTasks) {
    auto body = []() -> weft::coro<std::vector<int>> {
        weft::process_options o;
        o.stdin_ = weft::pipe;
        auto p_start = weft::create_subprocess_exec("sh", {"-c", "read x; exit 9"}, o);
        weft::process p = co_await std::move(p_start);
        std::vector<weft::task<int>> waiters;
        for (int i = 0; i < 8; ++i) waiters.push_back(weft::create_task(p.wait()));
        co_await weft::sleep(1ms);
        p.stdin_.close();
        auto all = weft::gather(std::move(waiters));
        co_return co_await std::move(all);
    };
    EXPECT_EQ(run(body()), std::vector<int>(8, 9));
}

TEST_P(process_test, WaitAndCommunicateDoNotNeedTheProcessObject) {
    auto body = []() -> weft::coro<std::string> {
        auto start = weft::create_subprocess_exec("sh", {"-c", "cat; exit 6"}, {.stdin_ = weft::pipe, .stdout_ = weft::pipe});
        std::optional<weft::process> p(co_await std::move(start));
        weft::task<int> waiter = weft::create_task(p->wait());
        weft::coro<weft::communicate_result> talk = p->communicate("through\n");
        p.reset();
        weft::communicate_result r = co_await std::move(talk);
        EXPECT_EQ(co_await waiter, 6);
        co_return r.stdout_data;
    };
    EXPECT_EQ(run(body()), "through\n");
}

INSTANTIATE_TEST_SUITE_P(Process, process_test, weft_test::io_configs(), weft_test::io_config_name);

} // namespace
