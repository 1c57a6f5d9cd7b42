// Median, min and max of a few repetitions.
#pragma once

#include <algorithm>
#include <vector>

namespace weft_suite {

struct summary {
    double median = 0;
    double min = 0;
    double max = 0;
    int n = 0;
};

inline summary summarize(std::vector<double> v) {
    summary s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    s.n = static_cast<int>(v.size());
    s.min = v.front();
    s.max = v.back();
    const std::size_t m = v.size() / 2;
    s.median = v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
    return s;
}

} // namespace weft_suite
