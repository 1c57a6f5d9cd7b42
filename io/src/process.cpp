// create_subprocess_exec / create_subprocess_shell and weft::process
// (process.hpp).
//
// Spawning uses posix_spawn, which glibc implements with clone(CLONE_VM |
// CLONE_VFORK): the child runs only async-signal-safe code until exec, so
// it is safe in a process full of worker threads, and an exec failure
// (program not found) comes back as posix_spawn's return value.
//
// Every pipe end is created close-on-exec, the child's ends included, so a
// child started at the same time by another thread never inherits them (it
// would hold a pipe open and hide end of file); posix_spawn's dup2 onto
// 0, 1, 2 clears the flag on the copies the child keeps.
#include "child_watch.hpp"

#include <weft/errors.hpp>
#include <weft/io/process.hpp>
#include <weft/scheduler/event_loop.hpp>
#include <weft/scheduler/gather.hpp>
#include <weft/scheduler/task.hpp>

#include <cerrno>
#include <csignal>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace weft {

namespace {

/// A descriptor closed when it goes out of scope (unless released).
class unique_fd {
public:
    unique_fd() noexcept = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~unique_fd() { reset(); }
    int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }
    void reset() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

[[noreturn]] void fail(int err, const std::string& what) {
    throw std::system_error(err, std::system_category(), what);
}

/// One pipe for a standard stream: the parent's end non-blocking, both ends
/// close-on-exec, the child's end numbered 3 or above (so the dup2 onto 0,
/// 1, 2 of one stream cannot overwrite the child's end of another when this
/// process has closed its own standard descriptors).
struct stdio_pipe {
    unique_fd parent, child;
};

stdio_pipe make_stdio_pipe(bool child_reads, const std::string& what) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail(errno, what + ": pipe2");
    unique_fd r(fds[0]), w(fds[1]);
    stdio_pipe p;
    p.parent = std::move(child_reads ? w : r);
    p.child = std::move(child_reads ? r : w);
    if (p.child.get() < 3) {
        const int moved = ::fcntl(p.child.get(), F_DUPFD_CLOEXEC, 3);
        if (moved < 0) fail(errno, what + ": fcntl(F_DUPFD_CLOEXEC)");
        p.child = unique_fd(moved);
    }
    const int flags = ::fcntl(p.parent.get(), F_GETFL);
    if (flags < 0 || ::fcntl(p.parent.get(), F_SETFL, flags | O_NONBLOCK) != 0)
        fail(errno, what + ": fcntl(O_NONBLOCK)");
    return p;
}

void check_string(std::string_view s, const char* what, const std::string& op) {
    if (s.find('\0') != std::string_view::npos)
        throw value_error(op + ": " + what + " contains a NUL byte");
}

/// posix_spawn's attributes and file actions, destroyed with the object.
class spawn_setup {
public:
    explicit spawn_setup(const std::string& what) : what_(what) {
        if (int e = ::posix_spawn_file_actions_init(&actions_)) fail(e, what_ + ": posix_spawn_file_actions_init");
        if (int e = ::posix_spawnattr_init(&attr_)) {
            ::posix_spawn_file_actions_destroy(&actions_);
            fail(e, what_ + ": posix_spawnattr_init");
        }
    }
    ~spawn_setup() {
        ::posix_spawnattr_destroy(&attr_);
        ::posix_spawn_file_actions_destroy(&actions_);
    }
    spawn_setup(const spawn_setup&) = delete;
    spawn_setup& operator=(const spawn_setup&) = delete;

    void dup2(int from, int to) { check(::posix_spawn_file_actions_adddup2(&actions_, from, to)); }
    void open_devnull(int to) {
        check(::posix_spawn_file_actions_addopen(&actions_, to, "/dev/null", to == 0 ? O_RDONLY : O_WRONLY, 0));
    }
    void chdir(const std::string& dir) { check(::posix_spawn_file_actions_addchdir_np(&actions_, dir.c_str())); }
    /// An empty signal mask, and SIGPIPE and SIGXFSZ back to their default
    /// action (as Python's restore_signals) in case this process ignores
    /// them; optionally a new session.
    void signals_and_session(bool new_session) {
        sigset_t none, defaults;
        sigemptyset(&none);
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGPIPE);
        sigaddset(&defaults, SIGXFSZ);
        short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
        if (new_session) flags |= POSIX_SPAWN_SETSID;
        check(::posix_spawnattr_setsigmask(&attr_, &none));
        check(::posix_spawnattr_setsigdefault(&attr_, &defaults));
        check(::posix_spawnattr_setflags(&attr_, flags));
    }
    const posix_spawn_file_actions_t* actions() const noexcept { return &actions_; }
    const posix_spawnattr_t* attr() const noexcept { return &attr_; }

private:
    void check(int e) const {
        if (e) fail(e, what_ + ": preparing posix_spawn");
    }
    std::string what_;
    posix_spawn_file_actions_t actions_;
    posix_spawnattr_t attr_;
};

int open_pidfd(pid_t pid) noexcept {
#ifdef SYS_pidfd_open
    // Close-on-exec always. Fails (ENOSYS, or EPERM under some seccomp
    // filters) on old kernels: the loop then polls.
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
    return -1;
#endif
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    out.reserve(v.size() + 1);
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

/// Starts argv[0] with argv; `op` and `name` make up error messages
/// ("create_subprocess_exec ls").
process spawn(const char* op, const std::string& name, std::vector<std::string> argv,
              const process_options& opts) {
    const std::string what = std::string(op) + " " + name;
    event_loop& loop = get_running_loop();

    if (argv.front().empty()) throw value_error(std::string(op) + ": empty program name");
    for (const auto& a : argv) check_string(a, "an argument", what);
    check_string(opts.cwd.str(), "the working directory", what);
    if (opts.env) {
        for (const auto& e : *opts.env) {
            check_string(e, "an environment entry", what);
            if (e.find('=') == std::string::npos || e.front() == '=')
                throw value_error(what + ": environment entry '" + e + "' is not NAME=value");
        }
    }
    if (opts.stdin_ == stdio::to_stdout || opts.stdout_ == stdio::to_stdout)
        throw value_error(what + ": stdio::to_stdout is for stderr only");
    if (opts.limit == 0) throw value_error(what + ": the stream limit must be positive");

    spawn_setup setup(what);
    stdio_pipe in, out, err;
    if (opts.stdin_ == stdio::pipe) {
        in = make_stdio_pipe(/*child_reads=*/true, what);
        setup.dup2(in.child.get(), 0);
    } else if (opts.stdin_ == stdio::devnull) {
        setup.open_devnull(0);
    }
    if (opts.stdout_ == stdio::pipe) {
        out = make_stdio_pipe(false, what);
        setup.dup2(out.child.get(), 1);
    } else if (opts.stdout_ == stdio::devnull) {
        setup.open_devnull(1);
    }
    if (opts.stderr_ == stdio::pipe) {
        err = make_stdio_pipe(false, what);
        setup.dup2(err.child.get(), 2);
    } else if (opts.stderr_ == stdio::devnull) {
        setup.open_devnull(2);
    } else if (opts.stderr_ == stdio::to_stdout) {
        setup.dup2(1, 2);
    }
    if (!opts.cwd.empty()) setup.chdir(opts.cwd.str());
    setup.signals_and_session(opts.start_new_session);

    std::vector<char*> args = c_strings(argv);
    std::vector<std::string> env_copy;
    std::vector<char*> envp;
    if (opts.env) {
        env_copy = *opts.env;
        envp = c_strings(env_copy);
    }
    pid_t pid = -1;
    const int e = ::posix_spawnp(&pid, args[0], setup.actions(), setup.attr(), args.data(),
                                 opts.env ? envp.data() : environ);
    if (e != 0) {
        // chdir failures share errno values with exec failures: name the
        // directory when it is the culprit.
        if (!opts.cwd.empty() && ::access(opts.cwd.str().c_str(), X_OK) != 0)
            fail(e, what + " (working directory " + opts.cwd.str() + ")");
        fail(e, what);
    }
    in.child.reset();
    out.child.reset();
    err.child.reset();

    auto st = std::make_shared<detail::child_state>(pid, open_pidfd(pid));
    detail::watch_child(loop, st);

    process p(std::move(st));
    // The streams take the parent's ends over.
    if (in.parent.get() >= 0) p.attach_stdin(detail::make_pipe_writer(in.parent.release()));
    if (out.parent.get() >= 0) p.attach_stdout(detail::make_pipe_reader(out.parent.release(), opts.limit));
    if (err.parent.get() >= 0) p.attach_stderr(detail::make_pipe_reader(err.parent.release(), opts.limit));
    return p;
}

bool broken_pipe(const std::system_error& e) noexcept {
    return e.code() == std::error_code(EPIPE, std::system_category()) ||
           e.code() == std::error_code(ECONNRESET, std::system_category());
}

/// communicate()'s writer: the input, then end of file. A child that does
/// not read it all is not an error.
coro<void> feed_stdin(stream_writer w, std::string input) {
    try {
        if (!input.empty()) {
            w.write(input);
            co_await w.drain();
        }
    } catch (const std::system_error& e) {
        if (!broken_pipe(e)) throw;
    }
    w.close();
    try {
        co_await w.wait_closed();
    } catch (const std::system_error& e) {
        if (!broken_pipe(e)) throw;
    }
}

coro<std::string> read_to_end(stream_reader r) { co_return co_await r.read(-1); }

coro<void> nothing() { co_return; }
coro<std::string> empty_string() { co_return std::string(); }

/// Waits on the exit future without cancelling it when the waiting task is
/// cancelled (the future is shared by every waiter).
struct exit_awaiter : detail::future_wait {
    future<int> f;
    explicit exit_awaiter(future<int> ff)
        : detail::future_wait(ff.raw_state(), detail::cancel_mode::abandon), f(std::move(ff)) {}
    int await_resume() {
        finish();
        return f.result();
    }
};

coro<int> wait_exit(std::shared_ptr<detail::child_state> st) {
    exit_awaiter exited(st->exited());
    co_return co_await exited;
}

/// communicate(): the three streams at once, then the exit.
coro<communicate_result> collect_output(std::shared_ptr<detail::child_state> st, coro<void> writing,
                                        coro<std::string> out, coro<std::string> err) {
    auto all = gather(std::move(writing), std::move(out), std::move(err));
    auto results = co_await std::move(all);
    communicate_result r{std::move(std::get<1>(results)), std::move(std::get<2>(results))};
    co_await wait_exit(std::move(st));
    co_return r;
}

} // namespace

detail::child_state& process::state(const char* what) const {
    if (!s_) throw error(std::string("process::") + what + "(): empty process handle");
    return *s_;
}

pid_t process::pid() const { return state("pid").pid(); }

std::optional<int> process::returncode() const { return state("returncode").returncode(); }

// wait() and communicate() are plain functions that hand copies of the
// handles to coroutines: the coroutines do not depend on the process object
// (create_task(p.wait()) works after p is gone).

coro<int> process::wait() {
    (void)state("wait");
    return wait_exit(s_);
}

coro<communicate_result> process::communicate(std::string input) {
    (void)state("communicate");
    return collect_output(s_, piped_stdin_ ? feed_stdin(stdin_, std::move(input)) : nothing(),
                          piped_stdout_ ? read_to_end(stdout_) : empty_string(),
                          piped_stderr_ ? read_to_end(stderr_) : empty_string());
}

void process::send_signal(int sig) {
    detail::child_state& st = state("send_signal");
    if (sig < 0 || sig >= NSIG)
        throw value_error("process::send_signal(): invalid signal number " + std::to_string(sig));
    (void)st.send_signal(sig);
}

void process::terminate() { send_signal(SIGTERM); }

void process::kill() { send_signal(SIGKILL); }

coro<process> create_subprocess_exec(std::string program, std::vector<std::string> args,
                                     process_options opts) {
    std::vector<std::string> argv;
    argv.reserve(args.size() + 1);
    argv.push_back(program);
    for (auto& a : args) argv.push_back(std::move(a));
    co_return spawn("create_subprocess_exec", program, std::move(argv), opts);
}

coro<process> create_subprocess_exec(std::string program, std::vector<std::string> args) {
    return create_subprocess_exec(std::move(program), std::move(args), process_options());
}

coro<process> create_subprocess_exec(std::string program) {
    return create_subprocess_exec(std::move(program), std::vector<std::string>(), process_options());
}

coro<process> create_subprocess_shell(std::string cmd, process_options opts) {
    std::vector<std::string> argv{"/bin/sh", "-c", cmd};
    co_return spawn("create_subprocess_shell", cmd, std::move(argv), opts);
}

coro<process> create_subprocess_shell(std::string cmd) {
    return create_subprocess_shell(std::move(cmd), process_options());
}

} // namespace weft
