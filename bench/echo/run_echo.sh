#!/usr/bin/env bash
# TCP echo benchmark: weft against standalone Asio, same load, same run.
#
# Usage: bench/echo/run_echo.sh BUILD_DIR [options]
#   BUILD_DIR        a configured and built tree (Release), holding
#                    bench/echo/{echo_load,asio_echo_server,weft_echo_server};
#                    this script builds nothing.
#   --quick          2 s runs, 0.5 s warm-up, 1 repetition
#   --reps R         repetitions of every server (default 3); the
#                    repetitions are interleaved (asio, weft, ..., asio,
#                    weft, ...) so that a slow moment of the machine hits
#                    every server alike; the table shows medians
#   --seconds S      measured seconds per run (default 10)
#   --warmup S       warm-up seconds per run (default 1)
#   --connections N  (default 50)
#   --size BYTES     (default 64)
#   --threads T      echo_load threads (default 1)
#   --core           add the weft servers built on the core io layer only
#                    (weft_echo_server --low-level), and that server with
#                    --skip-after-short-read
#   --only-core      only those (with Asio), e.g. when streams are not built
#   --idle N         also measure the resident memory per idle connection:
#                    the server's RSS with N idle connections open minus its
#                    RSS with none, divided by N (default 0: not measured)
#   --workers N      threads (Asio) / workers (weft) of every server (default
#                    2; reuse_port rows only with N > 1)
#   --pin S:L        run the servers on CPUs S and echo_load on CPUs L
#                    (taskset lists), e.g. --workers 1 --pin 0:1 gives the
#                    server one core and the load generator the other
#   --raw            print every run's result line as it finishes
#
# Every server listens on 127.0.0.1 with port 0 and prints the port it got.
# Besides req/s and latency, the table gives the CPU time (user + system) per
# request of the server (from /proc/<pid>/stat around the echo_load run) and
# of echo_load: on a shared machine the steadier figure.
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 2
}

[[ $# -ge 1 ]] || usage
build=$1
shift
reps=3 seconds=10 warmup=1 connections=50 size=64 threads=1 idle=0
core=0 only_core=0 raw=0 workers=2 pin=":"
while [[ $# -gt 0 ]]; do
    case $1 in
        --quick) reps=1 seconds=2 warmup=0.5 ;;
        --reps) reps=$2; shift ;;
        --seconds) seconds=$2; shift ;;
        --warmup) warmup=$2; shift ;;
        --connections) connections=$2; shift ;;
        --size) size=$2; shift ;;
        --threads) threads=$2; shift ;;
        --core) core=1 ;;
        --only-core) core=1 only_core=1 ;;
        --idle) idle=$2; shift ;;
        --workers) workers=$2; shift ;;
        --pin) pin=$2; shift ;;
        --raw) raw=1 ;;
        -h|--help) usage ;;
        *) echo "run_echo.sh: unknown option $1" >&2; usage ;;
    esac
    shift
done

dir=$build/bench/echo
for exe in echo_load asio_echo_server weft_echo_server; do
    [[ -x $dir/$exe ]] || { echo "run_echo.sh: $dir/$exe not found (build it first)" >&2; exit 2; }
done

# name|command (relative to $dir)
w=$workers
plural=$([[ $w == 1 ]] && echo "" || echo "s")
configs=("asio, $w thread$plural|asio_echo_server --threads $w")
if [[ $only_core == 0 ]]; then
    configs+=("weft streams, $w worker$plural, epoll|weft_echo_server --workers $w --backend epoll")
    [[ $w == 1 ]] ||
        configs+=("weft streams, $w workers, epoll, reuse_port|weft_echo_server --workers $w --backend epoll --reuse-port")
    configs+=("weft streams, $w worker$plural, io_uring|weft_echo_server --workers $w --backend io_uring")
fi
if [[ $core == 1 ]]; then
    configs+=("weft core, $w worker$plural, epoll|weft_echo_server --low-level --workers $w --backend epoll")
    [[ $w == 1 ]] ||
        configs+=("weft core, $w workers, epoll, reuse_port|weft_echo_server --low-level --workers $w --backend epoll --reuse-port")
    configs+=("weft core, $w worker$plural, io_uring|weft_echo_server --low-level --workers $w --backend io_uring"
              "weft core, $w worker$plural, epoll, skip recv after short read|weft_echo_server --low-level --workers $w --backend epoll --skip-after-short-read")
fi

# --pin: taskset prefixes (a plain command keeps the server's pid in $!).
server_prefix=() load_prefix=()
server_cpus=${pin%%:*} load_cpus=${pin#*:}
[[ -z $server_cpus ]] || server_prefix=(taskset -c "$server_cpus")
[[ -z $load_cpus ]] || load_prefix=(taskset -c "$load_cpus")

tmp=$(mktemp -d)
server_pid=
starts=0
cleanup() {
    if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# start_server CMD: starts it, sets server_pid and port (0 if it failed).
start_server() {
    # A fresh output file each time: the redirection happens in the child,
    # so a reused file could still show the previous server's port.
    starts=$((starts + 1))
    local out=$tmp/server.$starts.out
    # shellcheck disable=SC2086
    "${server_prefix[@]}" "$dir"/$1 >"$out" 2>"$tmp/server.err" &
    server_pid=$!
    port=0
    for _ in $(seq 100); do
        if grep -qs '^listening on ' "$out"; then
            port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")
            return
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "run_echo.sh: '$1' did not start:" >&2
    cat "$tmp/server.err" >&2
    stop_server
}

stop_server() {
    [[ -n $server_pid ]] || return 0
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$server_pid" 2>/dev/null; then
        echo "run_echo.sh: server $server_pid did not stop on SIGTERM in 5 s; killed" >&2
        kill -9 "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

clk_tck=$(getconf CLK_TCK)
# cpu_ticks PID: user + system time of the process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# json_field LINE NAME
json_field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1"; }

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "# $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p')), kernel $(uname -r)"
echo "# $connections connections, $size-byte requests, ${seconds} s after ${warmup} s warm-up, $reps repetition(s), echo_load threads $threads"
[[ $pin == ":" ]] || echo "# servers on CPUs $server_cpus, echo_load on CPUs $load_cpus"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

for ((r = 1; r <= reps; ++r)); do
    for i in "${!configs[@]}"; do
        name=${configs[$i]%%|*}
        cmd=${configs[$i]#*|}
        start_server "$cmd"
        touch "$tmp/result.$i"
        if [[ $port == 0 ]]; then
            echo "$name" >>"$tmp/failed"
            continue
        fi
        cpu0=$(cpu_ticks "$server_pid")
        if line=$("${load_prefix[@]}" "$dir/echo_load" --port "$port" --connections "$connections" --seconds "$seconds" \
                      --warmup "$warmup" --size "$size" --threads "$threads" --json 2>"$tmp/load.err"); then
            cpu1=$(cpu_ticks "$server_pid")
            # The server's CPU time (user + system) over the whole run,
            # warm-up included, per request of the whole run.
            total=$(json_field "$line" total_requests)
            server_cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$clk_tck" -v n="$total" \
                             'BEGIN { printf "%.2f", (b - a) * 1e6 / hz / n }')
            line="${line%\}},\"server_cpu_us_per_req\":$server_cpu}"
            echo "$line" >>"$tmp/result.$i"
            [[ $raw == 1 ]] && echo "# rep $r, $name: $line (load $(cut -d' ' -f1 /proc/loadavg))"
        else
            echo "run_echo.sh: echo_load against '$name' failed: $(cat "$tmp/load.err")" >&2
            echo "$name" >>"$tmp/failed"
        fi
        stop_server
    done
done

echo
printf '| %-58s | %10s | %8s | %9s | %9s | %10s | %11s | %11s |\n' "server" "req/s" "vs asio" "p50 (us)" "p99 (us)" \
    "max (us)" "server CPU" "load CPU"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' "------------------------------------------------------------" "------------" "----------" \
    "-----------" "-----------" "------------" "-------------" "-------------"
asio_rps=
for i in "${!configs[@]}"; do
    name=${configs[$i]%%|*}
    if [[ ! -s $tmp/result.$i ]]; then
        printf '| %-58s | %10s | %8s | %9s | %9s | %10s | %11s | %11s |\n' "$name" "failed" "" "" "" "" "" ""
        continue
    fi
    med() { while read -r l; do json_field "$l" "$1"; done <"$tmp/result.$i" | median; }
    rps=$(med req_per_s)
    [[ $i == 0 ]] && asio_rps=$rps
    ratio=$(awk -v a="$rps" -v b="$asio_rps" 'BEGIN { printf "%.2fx", a / b }')
    printf '| %-58s | %10.0f | %8s | %9.1f | %9.1f | %10.1f | %8.2f us | %8.2f us |\n' "$name" "$rps" "$ratio" \
        "$(med p50_us)" "$(med p99_us)" "$(med max_us)" "$(med server_cpu_us_per_req)" "$(med client_cpu_us_per_req)"
done
echo "# server CPU, load CPU: CPU time (user + system) of the server and of echo_load per request"
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -s $tmp/failed ]]; then
    echo "# failed runs (medians are over the others):"
    sort "$tmp/failed" | uniq -c | sed 's/^/#   /'
fi

[[ $idle -gt 0 ]] || exit 0

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
open_fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

echo
echo "# resident memory per idle connection ($idle connections held open by echo_load --idle)"
printf '| %-58s | %12s | %12s | %14s |\n' "server" "RSS, 0 conn" "RSS, $idle" "per connection"
printf '|%s|%s|%s|%s|\n' "------------------------------------------------------------" "--------------" "--------------" "----------------"
for i in "${!configs[@]}"; do
    name=${configs[$i]%%|*}
    cmd=${configs[$i]#*|}
    start_server "$cmd"
    [[ $port != 0 ]] || continue
    sleep 0.5
    before=$(rss_kib "$server_pid")
    base_fds=$(open_fds "$server_pid")
    "$dir/echo_load" --port "$port" --idle "$idle" >"$tmp/idle.$starts.out" 2>"$tmp/idle.err" &
    idle_pid=$!
    ok=0
    for _ in $(seq 600); do
        if grep -qs "^idle: " "$tmp/idle.$starts.out" && (($(open_fds "$server_pid") >= base_fds + idle)); then
            ok=1
            break
        fi
        kill -0 "$idle_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ $ok == 1 ]]; then
        sleep 1  # let the handlers reach their first read
        after=$(rss_kib "$server_pid")
        per=$(awk -v a="$after" -v b="$before" -v n="$idle" 'BEGIN { printf "%.0f B", (a - b) * 1024 / n }')
        printf '| %-58s | %8d KiB | %8d KiB | %14s |\n' "$name" "$before" "$after" "$per"
    else
        printf '| %-58s | %12s | %12s | %14s |\n' "$name" "$before KiB" "failed" ""
        cat "$tmp/idle.err" >&2
    fi
    kill "$idle_pid" 2>/dev/null || true
    wait "$idle_pid" 2>/dev/null || true
    stop_server
done
