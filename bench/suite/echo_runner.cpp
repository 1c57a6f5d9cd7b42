#include "echo_runner.hpp"

#include "child_process.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <optional>
#include <sstream>

#include <csignal>
#include <unistd.h>

namespace weft_suite {

namespace {

namespace fs = std::filesystem;

std::string number(double x) {
    std::ostringstream o;
    o << x;
    return o.str();
}

/// Reads the "listening on 127.0.0.1:<port>" line; 0 if it never comes.
int read_port(child_process& server) {
    const auto line = server.read_line(std::chrono::seconds(10));
    if (!line) return 0;
    const auto colon = line->rfind(':');
    if (line->rfind("listening on ", 0) != 0 || colon == std::string::npos) return 0;
    return std::atoi(line->c_str() + colon + 1);
}

/// One run: start the server, load it, stop it.
void run_once(const echo_settings& s, echo_server_runs& runs, const std::vector<std::string>& server_argv) {
    try {
        child_process server(server_argv);
        const int port = read_port(server);
        if (port <= 0) {
            const exit_info e = server.wait(true);
            runs.errors.push_back(runs.program + " did not report its port (" + e.describe() + ")");
            return;
        }
        child_process load({s.dir + "/echo_load", "--port", std::to_string(port), "--connections",
                            std::to_string(s.connections), "--seconds", number(s.seconds), "--warmup",
                            number(s.warmup), "--size", std::to_string(s.size), "--json"});
        const auto limit = std::chrono::milliseconds(static_cast<long>((s.seconds + s.warmup) * 1000) + 30'000);
        const std::optional<std::string> out = load.read_all(limit);
        const exit_info load_exit = load.wait(!out.has_value());
        runs.peak_rss_kib = std::max(runs.peak_rss_kib, peak_rss_kib(server.pid()));
        const exit_info server_exit = server.wait(true);
        if (!out) {
            runs.errors.push_back("echo_load against " + runs.program + " did not finish in time");
            return;
        }
        if (!load_exit.ok()) {
            runs.errors.push_back("echo_load against " + runs.program + ": " + load_exit.describe());
            return;
        }
        // A crash of the server under load is a failure; stopping on SIGTERM is not.
        if (!server_exit.ok() && !(!server_exit.exited && server_exit.code == SIGTERM)) {
            runs.errors.push_back(runs.program + " under load: " + server_exit.describe());
            return;
        }
        const std::string line = out->substr(0, out->find('\n'));
        std::map<std::string, double> fig = parse_flat_json(line);
        if (!fig.count("req_per_s") || !fig.count("total_requests") || fig["total_requests"] <= 0) {
            runs.errors.push_back("echo_load against " + runs.program + " printed no result: '" + line + "'");
            return;
        }
        // The server's CPU time over its whole life (start-up and warm-up
        // included) per request of the whole run.
        fig["server_cpu_us_per_req"] = server_exit.cpu_seconds * 1e6 / fig["total_requests"];
        for (const auto& [name, value] : fig) runs.figures[name].push_back(value);
        std::fprintf(stderr, "  echo %-18s %9.0f req/s  p50 %6.1f us  p99 %7.1f us\n", runs.program.c_str(),
                     fig["req_per_s"], fig["p50_us"], fig["p99_us"]);
    } catch (const std::exception& e) {
        runs.errors.push_back(e.what());
    }
}

} // namespace

std::string default_echo_dir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return "../echo";
    return (exe.parent_path().parent_path() / "echo").lexically_normal().string();
}

std::map<std::string, double> parse_flat_json(const std::string& line) {
    std::map<std::string, double> out;
    std::size_t i = 0;
    while ((i = line.find('"', i)) != std::string::npos) {
        const std::size_t end = line.find('"', i + 1);
        if (end == std::string::npos) break;
        const std::string key = line.substr(i + 1, end - i - 1);
        std::size_t v = end + 1;
        while (v < line.size() && (line[v] == ' ' || line[v] == ':')) ++v;
        char* stop = nullptr;
        const double x = std::strtod(line.c_str() + v, &stop);
        if (stop != line.c_str() + v) out[key] = x;
        i = stop && stop != line.c_str() + v ? static_cast<std::size_t>(stop - line.c_str()) : end + 1;
    }
    return out;
}

echo_results run_echo(const echo_settings& s) {
    echo_results r;
    const std::string w = std::to_string(s.workers);
    r.asio.program = "asio_echo_server";
    r.asio.label = "Asio " + std::string("coroutine server, ") + w + (s.workers == 1 ? " thread" : " threads");
    r.weft.program = "weft_echo_server";
    r.weft.label = "weft streams, " + w + (s.workers == 1 ? " worker" : " workers") + ", epoll";
    auto exists = [&](const char* p) { return ::access((s.dir + "/" + p).c_str(), X_OK) == 0; };
    r.asio.available = exists("asio_echo_server");
    r.weft.available = exists("weft_echo_server");
    if (!exists("echo_load")) {
        const std::string why = s.dir + "/echo_load not found (build the echo_load target, or see --echo-dir)";
        r.weft.errors.push_back(why);
        return r;
    }
    if (!r.weft.available) r.weft.errors.push_back(s.dir + "/weft_echo_server not found");
    for (int rep = 0; rep < s.reps; ++rep) {
        if (r.asio.available)
            run_once(s, r.asio, {s.dir + "/asio_echo_server", "--threads", w});
        if (r.weft.available)
            run_once(s, r.weft, {s.dir + "/weft_echo_server", "--workers", w, "--backend", "epoll"});
    }
    return r;
}

} // namespace weft_suite
