// A child process with its stdout on a pipe: started with posix_spawn
// (safe in a process that already runs threads), read line by line with a
// deadline, stopped with SIGTERM (SIGKILL after a grace period), and reaped
// with wait4 for its exit status and CPU time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace weft_suite {

/// Peak resident set of a live process (0: this one), from VmHWM in
/// /proc/<pid>/status; 0 when unknown. Not wait4's ru_maxrss: across
/// execve Linux carries over the peak of the memory image being replaced,
/// which after posix_spawn (vfork) is the parent's.
long peak_rss_kib(pid_t pid = 0);

struct exit_info {
    bool exited = false;  // false: killed by a signal
    int code = -1;        // exit status, or the signal number
    double cpu_seconds = 0;  // user + system

    bool ok() const { return exited && code == 0; }
    std::string describe() const;
};

class child_process {
public:
    /// Starts argv[0] (a path) with stdout on a pipe and stderr inherited.
    /// Throws std::runtime_error when it cannot be started.
    explicit child_process(const std::vector<std::string>& argv);
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const { return pid_; }
    /// The next line of stdout (without the newline); nullopt at end of
    /// stream or when `timeout` passes first.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    /// Everything left on stdout until the child closes it; nullopt when
    /// `timeout` passes first.
    std::optional<std::string> read_all(std::chrono::milliseconds timeout);
    /// Waits for the child to exit (after SIGTERM if `terminate`, then
    /// SIGKILL if it is still there after `grace`).
    exit_info wait(bool terminate = false, std::chrono::milliseconds grace = std::chrono::seconds(5));

private:
    /// Reads what is available within the deadline; false at end of stream
    /// or on timeout.
    bool fill(std::chrono::steady_clock::time_point deadline);

    pid_t pid_ = -1;
    int out_ = -1;
    bool eof_ = false;
    std::string buffer_;
};

} // namespace weft_suite
