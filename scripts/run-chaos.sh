#!/usr/bin/env bash
# Runs the concurrency tests of an already built preset in chaos mode
# (WEFT_CHAOS=1: shuffled ready queues, random oldest-first picks, random
# yields at awaits), once per seed: the tests written for any interleaving
# (stress, stealing, thread-safe entry points, the sync primitives across
# workers). Tests of one loop's order
# are left out: chaos changes that order on purpose.
# Usage: scripts/run-chaos.sh [preset] [seeds...]   (default: tsan 1 2 3)
set -euo pipefail

preset="${1:-tsan}"
shift || true
seeds=("$@")
[[ ${#seeds[@]} -eq 0 ]] && seeds=(1 2 3)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tests="$root/build/$preset/tests/weft_tests"
if [[ ! -x "$tests" ]]; then
    echo "run-chaos: $tests not built; run scripts/run-tests.sh $preset first" >&2
    exit 2
fi

filter='W/StressTest.*:Stealing/*:W/ThreadsafeLoadTest.*:WorkDeque*:LifoSlot.*:Sync/*:Queue/*:Condition/*'
for seed in "${seeds[@]}"; do
    echo "=== chaos ($preset), WEFT_CHAOS_SEED=$seed ==="
    WEFT_CHAOS=1 WEFT_CHAOS_SEED="$seed" "$tests" --gtest_brief=1 --gtest_filter="$filter"
done
