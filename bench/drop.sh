#!/usr/bin/env bash
# `run` with N small recordings (.mp4 + .move, 16 KiB each, 10 device folders) moved into its
# watch path at once, by hand (the row "run, 2000 recordings dropped in" of bench/run.sh):
#
#   bench/drop.sh BIN [LOG_LEVEL]     prints "ceiling S" (fixtures ceiling, new sandbox) and
#                                     "run S" (from the move to the last take, polled 0.05 s)
#
# Env: N (default 2000), CEIL=0 (skip the ceiling), KEEPLOG=FILE (keep run's log; with
# LOG_LEVEL=debug each recording's "queued" and "done" lines carry timestamps),
# PERF="perf record -g -o FILE --" (a prefix for the run process). A/B: run it with two
# binaries back to back, e.g. a copy of main's target/release/move-ingest and yours.
# Needs `cargo build --release` (move-sandbox) and `cargo bench -p move-ingest --no-run
# --bench fixtures` (run from the repository root).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "$1"); LEVEL=${2:-info}; N=${N:-2000}
SANDBOX_BIN=$PWD/target/release/move-sandbox
FX=$(cargo bench -p move-ingest --no-run --bench fixtures --message-format=json 2>/dev/null |
    grep -o '"executable":"[^"]*fixtures[^"]*"' | sed 's/.*:"//;s/"$//')
W=$(mktemp -d); S=$(mktemp -d /dev/shm/move-drop.XXXXXX)
WORK=$W; STORE=$S # for lib.sh
KEY=k$RANDOM$RANDOM
now() { date +%s.%N; }
RPID=
cleanup() { for p in $RPID $SANDBOX_PID; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$W" "$S"; }
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"
snap() { curl -sS "$BASE/admin/stats"; }
cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; } # utime + stime of PID, s
stat_in() { echo "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
if [ "${CEIL:-1}" = 1 ]; then
  "$FX" tree "$W/small" 10 "$N" 1 16384 >/dev/null; sync
  start_sandbox
  s0=$(cpu $SANDBOX_PID)
  MOVE_API_KEY=$KEY /usr/bin/time -f '%U %S' -o "$W/c.time" "$FX" ceiling "$ENDPOINT" "$W/small" 4 > "$W/c.out"
  echo "ceiling $(sed -n 's/.* in \([0-9.]*\) s$/\1/p' "$W/c.out") cpu: client $(awk '{ print $1 + $2 }' "$W/c.time") s, sandbox $(awk "BEGIN{print $(cpu $SANDBOX_PID) - $s0}") s"
fi
start_sandbox
mkdir -p "$W/drop"
write_config "$W/drop.toml" "$W/drop" "$W/state" $'[upload]\nconcurrency = 4'
MOVE_API_KEY=$KEY ${PERF:-} "$BIN" --config "$W/drop.toml" run >"$W/drop.out" 2>"$W/drop.err" & RPID=$!
for _ in $(seq 600); do grep -q 'watching for recordings' "$W/drop.err" 2>/dev/null && break; sleep 0.05; done
sleep 3
"$FX" tree "$W/stage" 10 "$N" 1 16384 >/dev/null
find "$W/stage" -type f -exec touch -d "@$(awk "BEGIN{printf \"%.3f\", $(now) - 1.5}")" {} +
sync
before=$(stat_in "$(snap)" takes_created)
r0=$(cpu $RPID); s0=$(cpu $SANDBOX_PID)
t0=$(now)
mv "$W/stage"/* "$W/drop/"
for _ in $(seq 6000); do
  [ $(( $(stat_in "$(snap)" takes_created) - before )) -ge "$N" ] && break
  sleep 0.05
done
t1=$(now)
echo "run $(awk "BEGIN{printf \"%.3f\", $t1 - $t0}") t0=$t0 cpu: run $(awk "BEGIN{print $(cpu $RPID) - $r0}") s, sandbox $(awk "BEGIN{print $(cpu $SANDBOX_PID) - $s0}") s"
kill -INT $RPID; wait $RPID 2>/dev/null || true; RPID=
[ -n "${KEEPLOG:-}" ] && cp "$W/drop.err" "$KEEPLOG"
exit 0
