// short_count: how sizes appear in benchmark and workload names.
#include "../workloads.hpp"

namespace weft_bench {

std::string short_count(std::int64_t n) {
    if (n >= 1'000'000 && n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + "M";
    if (n >= 1'000 && n % 1'000 == 0) return std::to_string(n / 1'000) + "k";
    return std::to_string(n);
}

} // namespace weft_bench
