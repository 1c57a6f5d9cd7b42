// Child processes for the echo and cmd workloads: started with extra
// environment variables (WEFT_PIN, WEFT_WORKERS), their output sent to
// files, waited for or stopped.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace weft_tune {

using env_vars = std::vector<std::pair<std::string, std::string>>;

/// A child process. The destructor kills it (SIGKILL) and reaps it if it is
/// still running, so an error path never leaves a server behind.
class child {
public:
    /// Runs argv[0] (a path, no PATH search) with argv, this process's
    /// environment plus `env` (replacing variables of the same name), stdout
    /// to `out_path` and stderr to `err_path` (the same file when equal).
    /// Throws std::runtime_error if it cannot be started.
    child(const std::vector<std::string>& argv, const env_vars& env, const std::string& out_path,
          const std::string& err_path);
    ~child();
    child(const child&) = delete;
    child& operator=(const child&) = delete;

    pid_t pid() const noexcept { return pid_; }
    /// True while the child has not exited (reaps it when it has).
    bool running();
    /// Waits for the exit; returns a description of how it ended, empty when
    /// it exited with status 0 ("exit status 3", "killed by signal 9").
    std::string wait();
    /// SIGTERM, then SIGKILL if it is still running after `grace_seconds`.
    void stop(double grace_seconds);

private:
    pid_t pid_ = -1;
    int status_ = 0;
    bool reaped_ = false;
};

/// A private directory under $TMPDIR (or /tmp), removed with its files.
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

/// The whole file, or "" when it cannot be read.
std::string read_text(const std::string& path);
/// The last `lines` lines of `text`, for error messages.
std::string tail(const std::string& text, unsigned lines);

} // namespace weft_tune
