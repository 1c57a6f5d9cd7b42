// Peak RSS per benchmark: each benchmark runs once (one iteration) in a
// fresh process of this executable (weft-bench --rss-child NAME), which
// reports its own peak resident set (VmHWM). Every figure includes what the
// process takes before any benchmark runs (the libraries, Google
// Benchmark): probe_idle measures that floor.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace weft_suite {

struct rss_result {
    long peak_kib = 0;  // 0: no figure (see error)
    std::string error;
};

/// `mode_flag` is passed on ("--quick", "--smoke" or "") so the child runs
/// the same sizes. Progress goes to stderr.
std::map<std::string, rss_result> probe_rss(const std::string& mode_flag, const std::vector<std::string>& names);

/// The peak RSS of a child that runs no benchmark.
rss_result probe_idle(const std::string& mode_flag);

/// The body of --rss-child: runs `name` once; exit status 0 when it ran and
/// checked its result, 1 when it failed, 3 when there is no such benchmark.
int rss_child_main(const std::string& name);

} // namespace weft_suite
