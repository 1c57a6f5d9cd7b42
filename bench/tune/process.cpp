#include "process.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace weft_tune {

child::child(const std::vector<std::string>& argv, const env_vars& env, const std::string& out_path,
             const std::string& err_path) {
    // Everything the child needs is built before fork: between fork and exec
    // only async-signal-safe calls are allowed.
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) {
        const std::string_view kv = *e;
        const std::string_view name = kv.substr(0, kv.find('='));
        bool replaced = false;
        for (const auto& [k, v] : env) replaced = replaced || name == k;
        if (!replaced) envs.emplace_back(kv);
    }
    for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
    std::vector<char*> envp, args;
    for (std::string& s : envs) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_copy = argv;
    for (std::string& s : argv_copy) args.push_back(s.data());
    args.push_back(nullptr);

    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const int err = err_path == out_path
                        ? out
                        : ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0 || err < 0) {
        const int e = errno;
        if (out >= 0) ::close(out);
        if (err >= 0 && err != out) ::close(err);
        throw std::runtime_error("cannot create " + out_path + ": " + std::strerror(e));
    }
    pid_ = ::fork();
    if (pid_ == 0) {
        ::dup2(out, STDOUT_FILENO);
        ::dup2(err, STDERR_FILENO);
        const int null = ::open("/dev/null", O_RDONLY);
        if (null >= 0) ::dup2(null, STDIN_FILENO);
        ::execve(args[0], args.data(), envp.data());
        const char msg[] = "exec failed\n";
        [[maybe_unused]] auto n = ::write(STDERR_FILENO, msg, sizeof msg - 1);
        ::_exit(127);
    }
    const int fork_errno = errno;
    ::close(out);
    if (err != out) ::close(err);
    if (pid_ < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(fork_errno));
}

child::~child() {
    if (pid_ > 0 && !reaped_) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status_, 0);
    }
}

bool child::running() {
    if (reaped_) return false;
    const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
    if (r == pid_) reaped_ = true;
    return !reaped_;
}

std::string child::wait() {
    while (!reaped_) {
        if (::waitpid(pid_, &status_, 0) == pid_) reaped_ = true;
        else if (errno != EINTR) return std::string("waitpid failed: ") + std::strerror(errno);
    }
    if (WIFEXITED(status_))
        return WEXITSTATUS(status_) == 0 ? "" : "exit status " + std::to_string(WEXITSTATUS(status_));
    if (WIFSIGNALED(status_)) return "killed by signal " + std::to_string(WTERMSIG(status_));
    return "ended with wait status " + std::to_string(status_);
}

void child::stop(double grace_seconds) {
    if (!running()) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_seconds);
    while (running() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (running()) ::kill(pid_, SIGKILL);
    wait();
}

temp_dir::temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/weft-tune.XXXXXX";
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("cannot create a temporary directory: " +
                                 std::string(std::strerror(errno)));
    path_ = tmpl;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string tail(const std::string& text, unsigned lines) {
    std::size_t end = text.size();
    while (end > 0 && text[end - 1] == '\n') --end;
    std::size_t pos = end;
    for (unsigned n = 0; n < lines && pos > 0; ++n) {
        const std::size_t nl = text.rfind('\n', pos - 1);
        pos = nl == std::string::npos ? 0 : nl;
        if (nl == std::string::npos) break;
    }
    if (pos < end && text[pos] == '\n') ++pos;
    return text.substr(pos, end - pos);
}

} // namespace weft_tune
