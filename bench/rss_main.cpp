// weft_bench_rss: peak resident memory of one run of a workload.
//
//   weft_bench_rss [--size=small] <workload> <workers>
//   weft_bench_rss [--size=small] all
//
// Prints "workload workers peak_rss_kib", one line per measurement. Each
// measurement runs in a forked child (the parent never starts a thread, so
// the fork is safe) and reads the child's peak from wait4's rusage: every
// figure is that of a fresh process doing one run, untouched by the heap
// left behind by earlier runs, and needs no /proc tricks to reset the mark.
// idle-weft / idle-tbb start the runtime or arena and run nothing: the fixed
// cost to subtract. --size=small (fib(20), skynet 10k, spawn 10k) is for the
// ctest smoke run. Exits non-zero if a workload fails or returns a wrong
// result.
#include "workloads.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

namespace {

using weft_bench::sizes;

weft::runtime_options with_workers(int n) {
    weft::runtime_options o;
    o.workers = static_cast<unsigned>(n);
    return o;
}

// Each runs its workload once on a fresh runtime / arena of `n` threads and
// says whether the result was right.
bool idle_weft(int n, const sizes&) {
    weft::runtime rt(with_workers(n));
    return rt.workers() == static_cast<std::size_t>(n);
}
bool idle_tbb(int n, const sizes&) {
    tbb::task_arena arena(n);
    arena.initialize();
    return arena.max_concurrency() == n;
}
bool fib_weft(int n, const sizes& s) {
    weft::runtime rt(with_workers(n));
    return weft_bench::fib_weft(rt, s.fib_n) == weft_bench::expected_fib(s.fib_n);
}
bool fib_tbb(int n, const sizes& s) {
    tbb::task_arena arena(n);
    return weft_bench::fib_tbb(arena, s.fib_n) == weft_bench::expected_fib(s.fib_n);
}
bool skynet_weft(int n, const sizes& s) {
    weft::runtime rt(with_workers(n));
    return weft_bench::skynet_weft(rt, s.skynet_leaves) == weft_bench::expected_skynet(s.skynet_leaves);
}
bool skynet_tbb(int n, const sizes& s) {
    tbb::task_arena arena(n);
    return weft_bench::skynet_tbb(arena, s.skynet_leaves) == weft_bench::expected_skynet(s.skynet_leaves);
}
bool spawn_weft(int n, const sizes& s) {
    weft::runtime rt(with_workers(n));
    return weft_bench::spawn_weft(rt, s.spawn_tasks) == s.spawn_tasks;
}
bool spawn_tbb(int n, const sizes& s) {
    tbb::task_arena arena(n);
    return weft_bench::spawn_tbb(arena, s.spawn_tasks) == s.spawn_tasks;
}

struct workload {
    const char* name;
    bool (*run)(int workers, const sizes&);
};

constexpr workload workloads[] = {
    {"idle-weft", idle_weft},     {"idle-tbb", idle_tbb},     {"fib30-weft", fib_weft},
    {"fib30-tbb", fib_tbb},       {"skynet-weft", skynet_weft}, {"skynet-tbb", skynet_tbb},
    {"spawn-weft", spawn_weft},   {"spawn-tbb", spawn_tbb},
};

/// Runs `w` in a child process; prints its line and returns true on success.
bool measure(const workload& w, int workers, const sizes& s) {
    std::fflush(stdout);  // nothing buffered may be written twice
    const pid_t pid = fork();
    if (pid < 0) {
        std::perror("weft_bench_rss: fork");
        return false;
    }
    if (pid == 0) {
        int code = 2;
        try {
            code = w.run(workers, s) ? 0 : 1;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "weft_bench_rss: %s: %s\n", w.name, e.what());
        }
        // _exit: TBB's worker threads may still be parked; nothing to flush.
        _exit(code);
    }
    int status = 0;
    rusage ru{};
    if (wait4(pid, &status, 0, &ru) != pid) {
        std::perror("weft_bench_rss: wait4");
        return false;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "weft_bench_rss: %s on %d workers failed (%s %d)\n", w.name, workers,
                     WIFEXITED(status) ? "exit status" : "signal",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return false;
    }
    std::printf("%-12s %7d %14ld\n", w.name, workers, ru.ru_maxrss);  // ru_maxrss: KiB on Linux
    return true;
}

int usage() {
    std::fprintf(stderr, "usage: weft_bench_rss [--size=small] <workload> <workers>\n"
                         "       weft_bench_rss [--size=small] all\nworkloads:");
    for (const auto& w : workloads) std::fprintf(stderr, " %s", w.name);
    std::fprintf(stderr, "\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    sizes s = sizes::full();
    int first = 1;
    if (argc > 1 && std::strncmp(argv[1], "--size=", 7) == 0) {
        const std::string v = argv[1] + 7;
        if (v == "small") s = sizes::small();
        else if (v != "full") return usage();
        first = 2;
    }
    const int rest = argc - first;
    if (rest == 1 && std::strcmp(argv[first], "all") == 0) {
        std::printf("%-12s %7s %14s\n", "workload", "workers", "peak_rss_kib");
        bool ok = true;
        for (const auto& w : workloads)
            for (int n = 1; n <= 2; ++n) ok = measure(w, n, s) && ok;
        return ok ? 0 : 1;
    }
    if (rest != 2) return usage();
    const int workers = std::atoi(argv[first + 1]);
    if (workers < 1) return usage();
    for (const auto& w : workloads) {
        if (std::strcmp(w.name, argv[first]) != 0) continue;
        std::printf("%-12s %7s %14s\n", "workload", "workers", "peak_rss_kib");
        return measure(w, workers, s) ? 0 : 1;
    }
    return usage();
}
