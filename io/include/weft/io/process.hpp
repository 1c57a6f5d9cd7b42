// Subprocesses: asyncio.create_subprocess_exec / create_subprocess_shell.
//
//     weft::process p = co_await weft::create_subprocess_exec(
//         "printf", {"one\ntwo\n"}, {.stdout_ = weft::pipe});
//     while (true) {
//         std::string line = co_await p.stdout_.readline();
//         if (line.empty()) break;
//         ...
//     }
//     int status = co_await p.wait();
//
// Standard streams. Each of stdin, stdout and stderr is inherited from this
// process (the default), connected to a pipe (weft::pipe: the process then
// has a stream for it), connected to /dev/null (weft::devnull), or, for
// stderr only, sent where stdout goes (weft::stdio::to_stdout, Python's
// subprocess.STDOUT).
//
// Exit. A child is watched by the event loop that started it (a pidfd in its
// reactor) and reaped as soon as it exits, whether or not anyone waits for
// it and whether or not its process object still exists: no child is left a
// zombie. If that loop goes away first (runtime shutdown) while the child
// still runs, a background thread waits for the child and reaps it.
// returncode() is the exit status, or -N when signal N killed the child (as
// asyncio). If something else in the program reaps the child first (a
// waitpid(-1) elsewhere, SIGCHLD set to SIG_IGN), its status is unknown and
// reported as 255, as asyncio does.
//
// Beware, as in asyncio: wait() with stdout or stderr piped can deadlock if
// the child fills the pipe and nobody reads it; communicate() reads both.
//
// Errors: std::system_error with the errno and a message naming the
// operation and the program ("create_subprocess_exec no-such-program: No
// such file or directory"), for a program that is not found or not
// executable, a working directory that does not exist, or exhausted
// descriptors or processes. value_error for an empty program name, strings
// that contain a NUL byte, or environment entries without '='.
#pragma once

#include <weft/io/streams.hpp>
#include <weft/scheduler/coro.hpp>

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft {

/// Where a standard stream of a child goes.
enum class stdio {
    inherit,    ///< the parent's descriptor (asyncio's None)
    pipe,       ///< a pipe to a stream of the process object (PIPE)
    devnull,    ///< /dev/null (DEVNULL)
    to_stdout,  ///< stderr only: the same as stdout (STDOUT)
};

/// asyncio.subprocess.PIPE and DEVNULL, for process_options.
inline constexpr stdio pipe = stdio::pipe;
inline constexpr stdio devnull = stdio::devnull;

namespace detail {
/// The working directory of process_options: a string on the heap, so that
/// its default (empty) value is a null pointer rather than a std::string
/// (see process_options). Converts from and to std::string.
class heap_string {
public:
    heap_string() noexcept = default;
    heap_string(std::string s)
        : s_(s.empty() ? nullptr : std::make_shared<const std::string>(std::move(s))) {}
    heap_string(const char* s) : heap_string(std::string(s ? s : "")) {}
    heap_string(std::string_view s) : heap_string(std::string(s)) {}
    const std::string& str() const noexcept { return s_ ? *s_ : empty_string(); }
    operator const std::string&() const noexcept { return str(); }
    bool empty() const noexcept { return !s_; }

private:
    static const std::string& empty_string() noexcept {
        static const std::string e;
        return e;
    }
    std::shared_ptr<const std::string> s_;
};
} // namespace detail

/// Options of create_subprocess_exec / _shell, for designated initializers:
///
///     co_await weft::create_subprocess_exec(prog, args, {.stdout_ = weft::pipe});
///
/// g++ 12 miscompiles an aggregate temporary written inside a co_await
/// expression when a member it initializes has a non-trivial constructor
/// (the member is constructed at the wrong address): a std::string member,
/// even left empty, corrupts memory. So cwd is a heap_string, whose empty
/// default, like env's nullopt, is safe: braced options that set only
/// stdin_, stdout_, stderr_, limit and start_new_session may be written
/// inside the co_await. With g++ 12, build options that set cwd or env in a
/// variable first.
struct process_options {
    stdio stdin_ = stdio::inherit;
    stdio stdout_ = stdio::inherit;
    stdio stderr_ = stdio::inherit;
    /// The child's working directory; empty: this process's. A relative
    /// program path is looked up from it.
    detail::heap_string cwd{};
    /// The child's whole environment, as "NAME=value" entries; nullopt:
    /// this process's environment. The program is searched for in this
    /// process's PATH either way.
    std::optional<std::vector<std::string>> env{};
    /// The buffer limit of the stdout and stderr readers.
    std::size_t limit = default_stream_limit;
    /// Runs the child in a new session (setsid), out of the terminal's
    /// process group: Ctrl-C in the terminal does not reach it.
    bool start_new_session = false;
};

namespace detail {
class child_state;
}

/// What communicate() collected (asyncio's (stdout_data, stderr_data)):
/// empty for a stream that was not piped.
struct communicate_result {
    std::string stdout_data;
    std::string stderr_data;
};

/// A running or finished child process (asyncio.subprocess.Process). A
/// cheap handle: copies refer to the same child. Dropping every handle
/// neither kills nor forgets the child: it is still reaped when it exits.
class process {
public:
    /// An empty handle: every operation throws weft::error.
    process() noexcept = default;
    explicit process(std::shared_ptr<detail::child_state> s) noexcept : s_(std::move(s)) {}

    /// Streams to and from the child, for each standard stream created
    /// with weft::pipe (empty otherwise: using them throws weft::error).
    stream_writer stdin_;
    stream_reader stdout_;
    stream_reader stderr_;

    pid_t pid() const;
    /// The exit status once the child was reaped: its exit code, or -N if
    /// signal N killed it. nullopt while it runs.
    std::optional<int> returncode() const;

    /// Waits for the child to exit and returns returncode(). Cancelling
    /// the waiting task only ends that wait: the child still runs, and a
    /// later wait() works. Any number of tasks on any workers may wait.
    coro<int> wait();

    /// Writes `input` to stdin (when piped) and closes it; meanwhile reads
    /// stdout and stderr (when piped) to their end; then waits for the
    /// child to exit. The child's stdin is closed even when input is empty,
    /// so a program reading it sees end of file. A child that stops
    /// reading early (broken pipe) is not an error. Cancelling the task
    /// drops what was read so far (as asyncio).
    coro<communicate_result> communicate(std::string input);
    coro<communicate_result> communicate() { return communicate(std::string()); }

    /// Sends signal sig to the child. Once the child has been reaped this
    /// does nothing (its pid may belong to another process by then), where
    /// asyncio raises ProcessLookupError. value_error for an invalid
    /// signal number.
    void send_signal(int sig);
    /// send_signal(SIGTERM).
    void terminate();
    /// send_signal(SIGKILL).
    void kill();

    /// Used when the process is created: the streams of piped stdio.
    void attach_stdin(stream_writer w) noexcept {
        stdin_ = std::move(w);
        piped_stdin_ = true;
    }
    void attach_stdout(stream_reader r) noexcept {
        stdout_ = std::move(r);
        piped_stdout_ = true;
    }
    void attach_stderr(stream_reader r) noexcept {
        stderr_ = std::move(r);
        piped_stderr_ = true;
    }

private:
    detail::child_state& state(const char* what) const;
    std::shared_ptr<detail::child_state> s_;
    bool piped_stdin_ = false, piped_stdout_ = false, piped_stderr_ = false;
};

/// Starts `program` with arguments `args` (argv[0] is program; a name
/// without '/' is searched for in PATH). Returns once the child runs (or
/// throws std::system_error naming the program if it could not be
/// started). Inside a task: the child is watched by the running loop.
///
/// Overloads rather than defaulted arguments: g++ 12 also copies a
/// defaulted class-type argument bitwise when the call is written inside
/// a co_await (see process_options).
coro<process> create_subprocess_exec(std::string program, std::vector<std::string> args, process_options opts);
coro<process> create_subprocess_exec(std::string program, std::vector<std::string> args);
coro<process> create_subprocess_exec(std::string program);

/// Runs `cmd` with /bin/sh -c. A command the shell cannot find is not an
/// error here: the shell exits with status 127.
coro<process> create_subprocess_shell(std::string cmd, process_options opts);
coro<process> create_subprocess_shell(std::string cmd);

} // namespace weft
