// How a runtime's workers are pinned to processing units.
#pragma once

#include <utility>
#include <vector>

namespace weft {

enum class pinning_policy { none, compact, scatter, numa, cpu_list };

/// How workers are pinned to processing units: a policy, or an explicit list
/// of cpu numbers (worker i pins to cpus[i % size]).
struct pinning {
    pinning_policy policy = pinning_policy::none;
    std::vector<unsigned> cpus{};

    pinning() = default;
    pinning(pinning_policy p) : policy(p) {}  // NOLINT: implicit on purpose
    static pinning cpu_list(std::vector<unsigned> list) {
        pinning p(pinning_policy::cpu_list);
        p.cpus = std::move(list);
        return p;
    }
};

} // namespace weft
