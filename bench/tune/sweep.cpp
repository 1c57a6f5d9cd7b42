#include "sweep.hpp"

#include <algorithm>
#include <stdexcept>

namespace weft_tune {

std::string policy_name(weft::pinning_policy p) {
    switch (p) {
    case weft::pinning_policy::none: return "none";
    case weft::pinning_policy::compact: return "compact";
    case weft::pinning_policy::scatter: return "scatter";
    case weft::pinning_policy::numa: return "numa";
    case weft::pinning_policy::cpu_list: return "cpu_list";
    }
    return "?";
}

std::string describe(const config& c) {
    return policy_name(c.policy) + ", " + std::to_string(c.workers) +
           (c.workers == 1 ? " worker" : " workers");
}

const result& sweep_result::best() const {
    if (rows.empty()) throw std::logic_error("sweep_result::best: no rows");
    return *std::max_element(rows.begin(), rows.end(), [](const result& a, const result& b) {
        return a.median < b.median;
    });
}

const result* sweep_result::baseline() const {
    for (const result& r : rows)
        if (r.cfg.policy == weft::pinning_policy::none && r.cfg.workers == default_workers)
            return &r;
    return nullptr;
}

namespace {

void summarize(result& r) {
    std::vector<double> v = r.samples;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    r.min = v.front();
    r.max = v.back();
    r.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

} // namespace

sweep_result run_sweep(workload& w, const std::vector<weft::pinning_policy>& policies,
                       const std::vector<unsigned>& workers, unsigned reps,
                       unsigned default_workers, const progress_fn& progress) {
    sweep_result s;
    s.workload = w.name();
    s.title = w.title();
    s.unit = w.unit();
    s.reps = reps;
    s.default_workers = default_workers;
    for (weft::pinning_policy p : policies)
        for (unsigned n : workers) s.rows.push_back({{p, n}, {}, 0, 0, 0});
    for (unsigned rep = 1; rep <= reps; ++rep)
        for (result& r : s.rows) {
            const double v = w.measure(r.cfg);
            r.samples.push_back(v);
            if (progress) progress(rep, r.cfg, v);
        }
    for (result& r : s.rows) summarize(r);
    return s;
}

} // namespace weft_tune
