#include "child_process.hpp"

#include <cerrno>
#include <cstdio>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace weft_suite {

long peak_rss_kib(pid_t pid) {
    const std::string path = pid > 0 ? "/proc/" + std::to_string(pid) + "/status" : "/proc/self/status";
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (!f) return 0;
    char line[256];
    long kib = 0;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
    std::fclose(f);
    return kib;
}

std::string exit_info::describe() const {
    if (exited) return "exit status " + std::to_string(code);
    return std::string("killed by signal ") + std::to_string(code) + " (" + ::strsignal(code) + ")";
}

child_process::child_process(const std::vector<std::string>& argv) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    out_ = fds[0];
}

child_process::~child_process() {
    if (pid_ > 0) wait(true, std::chrono::seconds(2));
    if (out_ >= 0) ::close(out_);
}

bool child_process::fill(std::chrono::steady_clock::time_point deadline) {
    if (eof_) return false;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() < 0) return false;
        pollfd p{out_, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        char chunk[4096];
        const ssize_t n = ::read(out_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            eof_ = true;
            return false;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }
}

std::optional<std::string> child_process::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto nl = buffer_.find('\n');
        if (nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return line;
        }
        if (!fill(deadline)) return std::nullopt;
    }
}

std::optional<std::string> child_process::read_all(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fill(deadline)) {
    }
    if (!eof_) return std::nullopt;
    std::string all;
    all.swap(buffer_);
    return all;
}

exit_info child_process::wait(bool terminate, std::chrono::milliseconds grace) {
    exit_info info;
    if (pid_ <= 0) return info;
    if (terminate) ::kill(pid_, SIGTERM);
    const auto give_up = std::chrono::steady_clock::now() + grace;
    int status = 0;
    rusage ru{};
    for (;;) {
        const pid_t r = ::wait4(pid_, &status, terminate ? WNOHANG : 0, &ru);
        if (r == pid_) break;
        if (r < 0 && errno != EINTR) {
            pid_ = -1;
            return info;
        }
        if (r == 0 && std::chrono::steady_clock::now() >= give_up) {
            ::kill(pid_, SIGKILL);
            terminate = false;  // now block until it is gone
        } else if (r == 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    pid_ = -1;
    info.exited = WIFEXITED(status);
    info.code = info.exited ? WEXITSTATUS(status) : WTERMSIG(status);
    info.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    return info;
}

} // namespace weft_suite
