#!/usr/bin/env bash
# Builds the release preset and runs the main job: every example program.
# Each step is a function; add new steps (tools, benchmarks) to main().
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

preset=release
build_dir="build/$preset"

build() {
    bash scripts/install-deps.sh
    echo "=== configure ($preset) ==="
    cmake --preset "$preset"
    echo "=== build ($preset) ==="
    cmake --build --preset "$preset" -j 2
}

# Runs every example_* program in build/release/examples, alphabetically,
# with a time unit of WEFT_EXAMPLE_UNIT_MS milliseconds (default 200).
run_examples() {
    local unit_ms="${WEFT_EXAMPLE_UNIT_MS:-200}"
    local programs=()
    local failed=()
    local program rc

    if [[ -d "$build_dir/examples" ]]; then
        mapfile -t programs < <(find "$build_dir/examples" -maxdepth 1 -type f \
            -name 'example_*' -perm -u+x | LC_ALL=C sort)
    fi
    if [[ ${#programs[@]} -eq 0 ]]; then
        echo "=== no example programs in $build_dir/examples ==="
        return 0
    fi

    for program in "${programs[@]}"; do
        echo "=== example $(basename "$program") (unit ${unit_ms} ms) ==="
        rc=0
        WEFT_EXAMPLE_UNIT_MS="$unit_ms" "$program" || rc=$?
        if [[ $rc -ne 0 ]]; then
            echo "=== example $(basename "$program") FAILED (exit status $rc) ==="
            failed+=("$(basename "$program")")
        fi
    done

    if [[ ${#failed[@]} -ne 0 ]]; then
        echo "=== ${#failed[@]} of ${#programs[@]} examples failed: ${failed[*]} ==="
        return 1
    fi
    echo "=== all ${#programs[@]} examples passed ==="
}

main() {
    build
    run_examples
}

main "$@"
