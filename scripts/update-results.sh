#!/usr/bin/env bash
# Regenerates the measured tables of bench/RESULTS.md (between its
# weft-bench markers) and bench/results.json: builds weft-bench in the
# release preset and runs the full suite (about 4 minutes on 2 cores).
# Run it on a quiet machine; the reading of the figures around the tables
# is kept as it is and should be checked against the new numbers.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release -j 2 --target weft_bench_suite
build/release/bench/suite/weft-bench --markdown bench/RESULTS.md --json bench/results.json "$@"
