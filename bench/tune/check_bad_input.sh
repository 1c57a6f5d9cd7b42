#!/bin/sh
# Every bad command line must exit 2 with a message and the usage on stderr,
# and print nothing on stdout.
# Usage: check_bad_input.sh WEFT_TUNE
tune=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {
    "$tune" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne 2 ] || ! grep -q '^usage: weft-tune' "$tmp/err" || [ -s "$tmp/out" ]; then
        echo "FAIL: weft-tune $* exited $rc (want 2, usage on stderr, nothing on stdout)"
        cat "$tmp/err"
        fail=1
    else
        echo "ok: weft-tune $*: $(head -n 1 "$tmp/err")"
    fi
}
check --no-such-flag
check --workers 0
check --workers 2-1
check --policies none,tight
check --workload fibonacci
check --workload cmd
check --cmd "true" --workload fib
check --reps
check --seconds -1
check --synthetic "pack:2 bogus:3"
exit $fail
