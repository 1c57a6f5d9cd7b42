#!/usr/bin/env bash
# The main job: installs what is missing, builds the tools in the release
# preset, then shows the machine and weft's numbers on it:
#   1. weft-tune --quick: the topology as hwloc sees it, the worker plan of
#      each pinning policy, a short sweep of policies x worker counts, the
#      settings to use (and weft-tune.svg, the plot);
#   2. weft-bench --quick: the whole benchmark suite against oneTBB, Asio
#      and the standard library, in the same run.
# With --examples it also runs every example program afterwards.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

preset=release
build_dir="build/$preset"
with_examples=0
for arg in "$@"; do
    case $arg in
        --examples) with_examples=1 ;;
        -h|--help)
            sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
            exit 0 ;;
        *) echo "run-main.sh: unknown option '$arg' (expected --examples)" >&2; exit 2 ;;
    esac
done

build() {
    bash scripts/install-deps.sh
    echo "=== configure ($preset) ==="
    cmake --preset "$preset"
    local targets=(weft_tune weft_bench_suite)
    if [[ $with_examples == 1 ]]; then
        targets=(all)
    fi
    echo "=== build ($preset: ${targets[*]}) ==="
    cmake --build --preset "$preset" -j 2 --target "${targets[@]}"
}

tune() {
    echo "=== weft-tune --quick ==="
    "$build_dir/bench/tune/weft-tune" --quick --svg "$build_dir/weft-tune.svg"
}

bench() {
    echo "=== weft-bench --quick ==="
    "$build_dir/bench/suite/weft-bench" --quick --json "$build_dir/weft-bench.json"
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
    tune
    bench
    if [[ $with_examples == 1 ]]; then
        run_examples
    fi
}

main
