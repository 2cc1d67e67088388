#!/usr/bin/env bash
# The upload row of bench/run.sh alone, for comparing builds back to back:
#
#   bench/upload.sh [--mib N] BINARY... [curl]   each BINARY backfills the same N MiB file
#                                                (default 2048), in turn, RUNS times; `curl`
#                                                sends it with curl -T to a fresh createFile URL
#   RUNS=5 bench/upload.sh /work/wt-base/target/release/move-ingest target/release/move-ingest curl
#   PIN=1 bench/upload.sh ...                    the sandbox pinned to core 0 and the client
#                                                (ours or curl) to core 1 (`taskset -c`): storage
#                                                modelled as another machine
#
# Every run gets a new move-sandbox (target/release/move-sandbox, its bytes in /dev/shm) and a
# new state dir. Prints one line per run: what, seconds, MB/s, the CPU seconds of the client
# (task-clock, from `perf stat` when perf is there, else /usr/bin/time) and of the sandbox,
# and the load average. With PERF_RECORD=DIR, each BINARY's first run is also recorded with
# `perf record -e cpu-clock -g` into DIR/<n>.data (read with `perf report -i`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MIB=2048
RUNS=${RUNS:-3}
[ "${1:-}" = --mib ] && { MIB=$2; shift 2; }
[ $# -gt 0 ] || { sed -n '2,13p' "$0"; exit 2; }
SANDBOX_BIN=$ROOT/target/release/move-sandbox
[ -x "$SANDBOX_BIN" ] || { echo "build first: cargo build --release" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 1; }
SANDBOX_PIN=
CLIENT_PIN=
if [ "${PIN:-0}" = 1 ]; then
    command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ] || { echo "PIN=1 needs taskset and 2 cores" >&2; exit 1; }
    SANDBOX_PIN="taskset -c 0"
    CLIENT_PIN="taskset -c 1"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/move-upload.XXXXXX")
STORE=$(mktemp -d /dev/shm/move-upload.XXXXXX 2>/dev/null || mktemp -d "$WORK/store.XXXXXX")
KEY="bench-key-$RANDOM$RANDOM"
export MOVE_API_KEY=$KEY
. "$ROOT/bench/lib.sh"
trap 'stop_sandbox; rm -rf "$WORK" "$STORE"' EXIT
mkdir -p "$WORK/big/cam-01"
BLOB=$WORK/big/cam-01/big.mp4
head -c $((MIB << 20)) /dev/urandom >"$BLOB"
touch -d '2 hours ago' "$BLOB"
sync
cat "$BLOB" >/dev/null # read from the page cache by every run
HAVE_PERF=$(command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1 && echo 1 || echo 0)
cpu_of() { # COMMAND...: runs it, sets CPU_S (user + sys seconds)
    if [ "$HAVE_PERF" = 1 ]; then
        perf stat -x, -e task-clock -o "$WORK/perf.txt" "$@"
        CPU_S=$(awk -F, '/task-clock/ { printf "%.2f", $1 / 1000 }' "$WORK/perf.txt")
    else
        /usr/bin/time -f '%U %S' -o "$WORK/time" "$@"
        CPU_S=$(awk '{ printf "%.2f", $1 + $2 }' "$WORK/time")
    fi
}
declare -A RECORDED
for _ in $(seq "$RUNS"); do
    n=0
    for bin in "$@"; do
        n=$((n + 1))
        rm -rf "$WORK/state"
        start_sandbox
        write_config "$WORK/config.toml" "$WORK/big" "$WORK/state"
        s0=$(awk '{ print $14 + $15 }' "/proc/$SANDBOX_PID/stat")
        if [ "$bin" = curl ]; then
            url=$(curl -sS -H "Authorization: $KEY" -H 'Content-Type: application/json' \
                -d '{"query":"mutation { createFile(type: \"mp4\", name: \"curl.mp4\") { id presignedUrl } }"}' "$ENDPOINT" |
                sed -n 's/.*"presignedUrl":"\([^"]*\)".*/\1/p')
            t0=$(date +%s.%N)
            cpu_of $CLIENT_PIN curl -sS -o /dev/null -T "$BLOB" "$url"
        else
            t0=$(date +%s.%N)
            if [ -n "${PERF_RECORD:-}" ] && [ -z "${RECORDED[$n]:-}" ]; then
                RECORDED[$n]=1
                mkdir -p "$PERF_RECORD"
                perf record -q -e cpu-clock -F 2000 -g -o "$PERF_RECORD/$n.data" \
                    $CLIENT_PIN "$bin" --config "$WORK/config.toml" backfill --no-progress >"$WORK/out" 2>"$WORK/err"
                CPU_S=-
            else
                cpu_of $CLIENT_PIN "$bin" --config "$WORK/config.toml" backfill --no-progress >"$WORK/out" 2>"$WORK/err"
            fi
            grep -q '^backfill: 1 done' "$WORK/out" || { echo "$bin: $(tail -3 "$WORK/out" "$WORK/err")" >&2; exit 1; }
        fi
        t1=$(date +%s.%N)
        s1=$(awk '{ print $14 + $15 }' "/proc/$SANDBOX_PID/stat")
        stop_sandbox
        awk -v what="$bin${CLIENT_PIN:+ (pinned)}" -v a="$t0" -v b="$t1" -v mib="$MIB" -v cpu="$CPU_S" -v sb="$(((s1 - s0)))" \
            -v tck="$(getconf CLK_TCK)" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
            'BEGIN { printf "%s\t%.3f s\t%.0f MB/s\tclient CPU %s s\tsandbox CPU %.2f s\tload %s\n", what, b - a, mib * 1048576 / (b - a) / 1e6, cpu, sb / tck, load }'
    done
done
