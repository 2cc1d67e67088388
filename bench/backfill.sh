#!/usr/bin/env bash
# The backfill row of bench/run.sh alone, for comparing builds back to back:
#
#   bench/backfill.sh [--recs N] BINARY...   each BINARY backfills the same N small
#                                            recordings (default 2000), in turn, RUNS times
#   RUNS=3 bench/backfill.sh old/move-ingest target/release/move-ingest
#
# Same data and config as bench/run.sh (10 devices, .mp4 + .move of 16 KiB each,
# upload.concurrency = 4, state.db on disk, the sandbox's bytes in /dev/shm); each run
# starts from an empty state and a new, empty sandbox (with takes left by an earlier run,
# a build that adopts existing takes would not upload at all). Prints one line per run: binary, recordings/s, wall time,
# CPU (user + sys) of the backfill process, load average. Needs target/release/move-sandbox
# and the fixtures bench (`cargo bench -p move-ingest --no-run --bench fixtures`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=2000
RUNS=${RUNS:-3}
[ "${1:-}" = --recs ] && { N=$2; shift 2; }
[ $# -gt 0 ] || { sed -n '2,13p' "$0"; exit 2; }
SANDBOX_BIN=$ROOT/target/release/move-sandbox
FIXTURES=$(cargo bench -p move-ingest --no-run --message-format=json --bench fixtures 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*fixtures[^"]*\)".*/\1/p' | tail -1)
[ -x "$SANDBOX_BIN" ] && [ -x "$FIXTURES" ] || { echo "build first: cargo build --release; cargo bench -p move-ingest --no-run --bench fixtures" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian: apt-get install time)" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/move-backfill.XXXXXX")
STORE=$(mktemp -d /dev/shm/move-backfill.XXXXXX 2>/dev/null || mktemp -d "$WORK/store.XXXXXX")
KEY="bench-key-$RANDOM$RANDOM"
. "$ROOT/bench/lib.sh"
trap 'stop_sandbox; rm -rf "$WORK" "$STORE"' EXIT
"$FIXTURES" tree "$WORK/small" 10 "$N" 1 16384 >/dev/null
sync
for _ in $(seq "$RUNS"); do
    for bin in "$@"; do
        rm -rf "$WORK/state"
        start_sandbox
        write_config "$WORK/config.toml" "$WORK/small" "$WORK/state" $'[upload]\nconcurrency = 4'
        t0=$(date +%s.%N)
        MOVE_API_KEY=$KEY /usr/bin/time -f '%U %S' -o "$WORK/time" "$bin" --config "$WORK/config.toml" backfill --no-progress \
            >"$WORK/out" 2>"$WORK/err" || true
        t1=$(date +%s.%N)
        grep -q "^backfill: $N done, 0 failed" "$WORK/out" || { echo "$bin: $(tail -3 "$WORK/out" "$WORK/err")" >&2; exit 1; }
        takes=$(curl -sS "${ENDPOINT%/ugc/graphql}/admin/stats" | sed -n 's/.*"takes_created":\([0-9]*\).*/\1/p')
        [ "$takes" = "$N" ] || { echo "$bin: the sandbox made ${takes:-?} takes, not $N" >&2; exit 1; }
        stop_sandbox
        awk -v bin="$bin" -v a="$t0" -v b="$t1" -v n="$N" -v cpu="$(cat "$WORK/time")" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
            'BEGIN { split(cpu, c, " "); printf "%s\t%.0f/s\t%.2f s\tCPU %.2f s\tload %s\n", bin, n / (b - a), b - a, c[1] + c[2], load }'
    done
done
