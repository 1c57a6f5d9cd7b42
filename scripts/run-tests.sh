#!/usr/bin/env bash
# Builds weft with a CMake preset and runs its tests.
# Usage: scripts/run-tests.sh [preset]   (dev, release, asan-ubsan, tsan; default dev)
set -euo pipefail

preset="${1:-dev}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/install-deps.sh

echo "=== configure ($preset) ==="
cmake --preset "$preset"

echo "=== build ($preset) ==="
cmake --build --preset "$preset" -j 2

echo "=== test ($preset) ==="
# Last step on purpose: ctest's summary is the final output, and its exit
# status is the script's.
ctest --preset "$preset" -j 2
