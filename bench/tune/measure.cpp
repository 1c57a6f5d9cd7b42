#include "measure.hpp"

#include "process.hpp"
#include "workloads.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include <unistd.h>

namespace weft_tune {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

env_vars weft_env(const config& c) {
    return {{"WEFT_PIN", policy_name(c.policy)}, {"WEFT_WORKERS", std::to_string(c.workers)}};
}

std::string env_text(const config& c) {
    return "WEFT_PIN=" + policy_name(c.policy) + " WEFT_WORKERS=" + std::to_string(c.workers);
}

class fib_workload final : public workload {
public:
    fib_workload(int n, double seconds) : n_(n), seconds_(seconds) {}
    std::string name() const override { return "fib"; }
    std::string title() const override {
        return "fib(" + std::to_string(n_) + "), recursive task spawning";
    }
    std::string unit() const override { return "runs/s"; }

    double measure(const config& c) override {
        weft::runtime_options o;
        o.workers = c.workers;
        o.pinning = c.policy;
        weft::runtime rt(o);
        const std::int64_t expected = weft_bench::expected_fib(n_);
        auto run_once = [&] {
            const std::int64_t got = weft_bench::fib_weft(rt, n_);
            if (got != expected)
                throw std::runtime_error("fib(" + std::to_string(n_) + ") returned " +
                                         std::to_string(got) + " instead of " +
                                         std::to_string(expected) + " with " + describe(c));
        };
        run_once();  // warm-up: the first run pays for frame pools and page faults
        unsigned runs = 0;
        const auto t0 = clock_type::now();
        double elapsed = 0;
        do {
            run_once();
            ++runs;
            elapsed = seconds_since(t0);
        } while (elapsed < seconds_);
        return runs / elapsed;
    }

private:
    int n_;
    double seconds_;
};

class echo_workload final : public workload {
public:
    echo_workload(const std::string& dir, double seconds, double warmup, int connections)
        : server_(dir + "/weft_echo_server"), load_(dir + "/echo_load"), seconds_(seconds),
          warmup_(warmup), connections_(connections) {
        for (const std::string& exe : {server_, load_})
            if (::access(exe.c_str(), X_OK) != 0)
                throw std::runtime_error(exe +
                                         " not found: build the targets weft_echo_server and "
                                         "echo_load, or give their directory with --echo-dir");
    }
    std::string name() const override { return "echo"; }
    std::string title() const override {
        return "TCP echo, " + std::to_string(connections_) + " connections";
    }
    std::string unit() const override { return "req/s"; }

    double measure(const config& c) override {
        temp_dir tmp;
        // The server sets runtime_options::workers from its --workers flag,
        // which takes precedence over WEFT_WORKERS: pass both so the server
        // runs what the variables say.
        child server({server_, "--workers", std::to_string(c.workers)}, weft_env(c),
                     tmp.file("server.out"), tmp.file("server.err"));
        const int port = wait_for_port(server, tmp, c);
        child load({load_, "--port", std::to_string(port), "--connections",
                    std::to_string(connections_), "--seconds", std::to_string(seconds_),
                    "--warmup", std::to_string(warmup_), "--json"},
                   {}, tmp.file("load.out"), tmp.file("load.err"));
        const std::string how = load.wait();
        server.stop(5.0);
        if (!how.empty())
            throw std::runtime_error("echo_load failed (" + how + ") against the server with " +
                                     env_text(c) + ": " + tail(read_text(tmp.file("load.err")), 5));
        const std::string out = read_text(tmp.file("load.out"));
        const std::string key = "\"req_per_s\":";
        const auto at = out.find(key);
        if (at == std::string::npos)
            throw std::runtime_error("echo_load printed no req_per_s with " + env_text(c) + ": " + out);
        return std::stod(out.substr(at + key.size()));
    }

private:
    int wait_for_port(child& server, const temp_dir& tmp, const config& c) {
        const std::string prefix = "listening on 127.0.0.1:";
        const auto t0 = clock_type::now();
        while (seconds_since(t0) < 10.0) {
            const std::string out = read_text(tmp.file("server.out"));
            const auto at = out.find(prefix);
            if (at != std::string::npos && out.find('\n', at) != std::string::npos)
                return std::stoi(out.substr(at + prefix.size()));
            if (!server.running()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        const std::string how = server.running() ? "no port after 10 s" : server.wait();
        throw std::runtime_error("weft_echo_server did not start with " + env_text(c) + " (" + how +
                                 "): " + tail(read_text(tmp.file("server.err")), 5));
    }

    std::string server_, load_;
    double seconds_, warmup_;
    int connections_;
};

class cmd_workload final : public workload {
public:
    explicit cmd_workload(std::string command) : command_(std::move(command)) {}
    std::string name() const override { return "cmd"; }
    std::string title() const override { return "sh -c '" + command_ + "'"; }
    std::string unit() const override { return "runs/s"; }

    double measure(const config& c) override {
        temp_dir tmp;
        const auto t0 = clock_type::now();
        child cmd({"/bin/sh", "-c", command_}, weft_env(c), tmp.file("out"), tmp.file("out"));
        const std::string how = cmd.wait();
        const double elapsed = seconds_since(t0);
        if (!how.empty()) {
            const std::string output = tail(read_text(tmp.file("out")), 10);
            throw std::runtime_error("the command failed (" + how + ") with " + env_text(c) +
                                     (output.empty() ? std::string(" (no output)")
                                                     : "; its last output:\n" + output));
        }
        return 1.0 / elapsed;
    }

private:
    std::string command_;
};

} // namespace

std::unique_ptr<workload> make_fib_workload(int n, double seconds) {
    return std::make_unique<fib_workload>(n, seconds);
}

std::unique_ptr<workload> make_echo_workload(const std::string& dir, double seconds, double warmup,
                                             int connections) {
    return std::make_unique<echo_workload>(dir, seconds, warmup, connections);
}

std::unique_ptr<workload> make_cmd_workload(const std::string& command) {
    return std::make_unique<cmd_workload>(command);
}

std::string executable_dir() {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(".") : exe.parent_path().string();
}

} // namespace weft_tune
