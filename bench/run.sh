#!/usr/bin/env bash
# The performance benchmark of issue 5, in one command:
#
#   bench/run.sh            full run (~5-10 min on 2 cores): every target of BENCHMARKS.md
#   bench/run.sh --quick    the same steps at small sizes (< 1 min once built), for CI
#
# Options: --no-build (use target/release as it is), --reps N (throughput repetitions),
#          --idle-secs N (idle-CPU window; default 60, quick 5).
#
# It builds the release binary and the criterion benches, makes all data in temp dirs
# (removed at exit), starts `move-sandbox` on 127.0.0.1, and prints one table with
# each figure beside its target and its anchor (curl for throughput, /usr/bin/time -v for
# RSS). Only 127.0.0.1 is contacted. The table also goes to target/bench-last-run.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
BUILD=1
REPS=
IDLE_SECS=
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --no-build) BUILD=0 ;;
        --reps) REPS=$2; shift ;;
        --idle-secs) IDLE_SECS=$2; shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ "$QUICK" = 1 ]; then
    BIG_MIB=256; MID_MIB=64; REPS=${REPS:-1}
    SMALL_RECS=200; RIG_RECS=50; STARTUP_RECS=10000; KEEP_MID=5000; IDLE_RECS=1000; IDLE_SECS=${IDLE_SECS:-3}
    SCAN_FILES=5000; HASH_MIB=8; HISTORY_RECS=30000; SETTLE=1
    CRITERION=(--warm-up-time 0.3 --measurement-time 0.5)
else
    BIG_MIB=2048; MID_MIB=256; REPS=${REPS:-3}
    SMALL_RECS=2000; RIG_RECS=500; STARTUP_RECS=100000; KEEP_MID=20000; IDLE_RECS=10000; IDLE_SECS=${IDLE_SECS:-60}
    SCAN_FILES=100000; HASH_MIB=256; HISTORY_RECS=1000000; SETTLE=3
    CRITERION=()
fi
DEVICES=10
KEY="bench-key-$RANDOM$RANDOM"
BIN=$ROOT/target/release/move-ingest
SANDBOX_BIN=$ROOT/target/release/move-sandbox

START=$(date +%s.%N)
say() { printf '\n== [%5.1fs] %s\n' "$(awk -v a="$START" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "$*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

# ---------------------------------------------------------------- tools
if [ ! -x /usr/bin/time ]; then
    say "installing Debian's time (for /usr/bin/time -v)"
    if command -v apt-get >/dev/null; then
        (apt-get install -y -q time >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q time >/dev/null; }) \
            || die "cannot install the time package"
    else
        die "/usr/bin/time is missing; install GNU time"
    fi
fi
command -v curl >/dev/null || die "curl is needed (the throughput anchor)"

# ---------------------------------------------------------------- build
BENCHES=(--bench hash --bench scan --bench fixtures)
if [ "$BUILD" = 1 ]; then
    say "cargo build --release; cargo bench --no-run"
    cargo build --release --quiet
fi
[ -x "$BIN" ] || die "$BIN is missing; run without --no-build"
[ -x "$SANDBOX_BIN" ] || die "$SANDBOX_BIN is missing; run without --no-build"
# The bench executables, resolved once: nothing is rebuilt while the bench runs.
declare -A EXE
while read -r name path; do EXE[$name]=$path; done < <(
    cargo bench -p move-ingest --no-run --message-format=json "${BENCHES[@]}" 2>/dev/null |
        grep -o '"target":{[^}]*"name":"[a-z]*"[^}]*}.*"executable":"[^"]*"' |
        sed 's/.*"name":"\([a-z]*\)".*"executable":"\([^"]*\)"/\1 \2/')
for b in hash scan fixtures; do
    [ -x "${EXE[$b]:-}" ] || die "cannot build the $b bench: cargo bench --no-run ${BENCHES[*]}"
done
fixtures() { "${EXE[fixtures]}" "$@"; }

# ---------------------------------------------------------------- temp dirs
WORK=$(mktemp -d "${TMPDIR:-/tmp}/move-bench.XXXXXX")
# The sandbox keeps uploaded bytes in RAM (tmpfs) where there is one: the bench measures the
# uploader, and a disk-backed sandbox would make the disk the limit for curl and us alike.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    STORE=$(mktemp -d /dev/shm/move-bench.XXXXXX)
else
    STORE=$WORK/store
fi
# start_sandbox (sets SANDBOX_PID, ENDPOINT, BASE), stop_sandbox, write_config
. "$ROOT/bench/lib.sh"
SERVICE_PID=
# The upload row pinned (see "1. one big upload"): "taskset -c N" before the sandbox and
# before the client (ours or curl), and the kind's prefix in tput.tsv.
SANDBOX_PIN=
CLIENT_PIN=
PIN_TAG=
cleanup() {
    for p in $SERVICE_PID $SANDBOX_PID; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
    done
    rm -rf "$WORK" "$STORE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export MOVE_BENCH_TMP=$WORK

RESULTS=$WORK/results.tsv
: >"$RESULTS"
# row TARGET FIGURE VERDICT ANCHOR/NOTE
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; }
# pass/FAIL against a target; in --quick mode the sizes are not the targets' sizes, so it
# only says how the small run compares ("quick: pass"/"quick: below").
verdict() { # a figure marked "~" (seen by polling, see stamp_s) is judged by its value
    awk -v a="${1#\~}" -v op="$2" -v b="$3" -v q="$QUICK" 'BEGIN {
        ok = (op == "<=") ? (a <= b) : (a >= b)
        if (q == 1) print ok ? "quick: pass" : "quick: below"; else print ok ? "pass" : "FAIL" }'
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
now() { date +%s.%N; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# "TID voluntary-context-switches" for every thread of a process.
wakeups() { for t in /proc/"$1"/task/*; do echo "${t##*/} $(awk '/^voluntary_ctxt_switches/ { print $2 }' "$t/status" 2>/dev/null)"; done; }
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- sandbox
say "starting the sandbox (data in $STORE)"
start_sandbox

# A presigned upload URL from a createFile call, as curl would get it.
presigned_url() {
    curl -sS -H "Authorization: $KEY" -H 'Content-Type: application/json' \
        -d '{"query":"mutation { createFile(type: \"mp4\", name: \"curl.mp4\") { id presignedUrl } }"}' "$ENDPOINT" |
        sed -n 's/.*"presignedUrl":"\([^"]*\)".*/\1/p'
}
drop_blobs() { rm -f "$STORE"/sandbox/blobs/* 2>/dev/null || true; }
stat_of() { curl -sS "$BASE/admin/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

# Runs the binary under /usr/bin/time -v; sets WALL (s), RSS_KB, USER_S, SYS_S; output in $WORK/last.*
timed() { # CONFIG ARGS...
    local cfg=$1; shift
    local t0 t1
    t0=$(now)
    MOVE_API_KEY=$KEY /usr/bin/time -v -o "$WORK/last.time" $CLIENT_PIN "$BIN" --config "$cfg" "$@" \
        >"$WORK/last.out" 2>"$WORK/last.err" || true
    t1=$(now)
    WALL=$(calc '%.3f' "$t1 - $t0")
    RSS_KB=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/last.time")
    USER_S=$(sed -n 's/.*User time (seconds): //p' "$WORK/last.time")
    SYS_S=$(sed -n 's/.*System time (seconds): //p' "$WORK/last.time")
    EXIT=$(sed -n 's/.*Exit status: //p' "$WORK/last.time")
}

# ---------------------------------------------------------------- 1. one big upload vs curl
say "throughput: ${BIG_MIB} MiB, ours vs curl -T, $REPS interleaved repetitions; RSS at ${MID_MIB} MiB and ${BIG_MIB} MiB"
for name in big mid; do
    mkdir -p "$WORK/$name/cam-01"
done
fixtures blob "$WORK/big/cam-01/big.mp4" $((BIG_MIB << 20))
fixtures blob "$WORK/mid/cam-01/mid.mp4" $((MID_MIB << 20))
sync
cat "$WORK/big/cam-01/big.mp4" "$WORK/mid/cam-01/mid.mp4" >/dev/null # warm: both read from the page cache
BIG_BYTES=$((BIG_MIB << 20))

# One line per run in tput.tsv: KIND WALL_S CLIENT_CPU_S SANDBOX_CPU_S RSS_KB
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$WORK/tput.tsv"; }
HAVE_OPENSSL=$(command -v openssl >/dev/null && echo 1 || echo 0)
curl_once() { # curl | curl+sha256 (openssl dgst -sha256 of the same file at the same time)
    local url s0 s1 t0 t1 code hash_cpu=0 hash_pid=
    url=$(presigned_url)
    [ -n "$url" ] || die "createFile gave no presigned URL"
    s0=$(cpu_ticks "$SANDBOX_PID")
    t0=$(now)
    if [ "$1" = curl+sha256 ]; then
        /usr/bin/time -f '%U %S' -o "$WORK/hash.time" openssl dgst -sha256 "$WORK/big/cam-01/big.mp4" >/dev/null &
        hash_pid=$!
    fi
    code=$(/usr/bin/time -f '%U %S' -o "$WORK/curl.time" $CLIENT_PIN curl -sS -o /dev/null -w '%{http_code}' -T "$WORK/big/cam-01/big.mp4" "$url")
    [ -n "$hash_pid" ] && wait "$hash_pid"
    t1=$(now)
    s1=$(cpu_ticks "$SANDBOX_PID")
    [ "$code" = 200 ] || die "curl's upload answered $code"
    [ "$1" = curl+sha256 ] && hash_cpu=$(awk '{ print $1 + $2 }' "$WORK/hash.time")
    drop_blobs
    record "$PIN_TAG$1" "$(calc '%.3f' "$t1 - $t0")" "$(awk -v h="$hash_cpu" '{ print $1 + $2 + h }' "$WORK/curl.time")" \
        "$(calc '%.2f' "($s1 - $s0) / $CLK_TCK")" -
}
ours_once() { # NAME (big|mid)
    local s0 s1
    rm -rf "$WORK/state-$1"
    start_sandbox
    write_config "$WORK/$1.toml" "$WORK/$1" "$WORK/state-$1"
    s0=$(cpu_ticks "$SANDBOX_PID")
    timed "$WORK/$1.toml" backfill --no-progress
    s1=$(cpu_ticks "$SANDBOX_PID")
    grep -q '^backfill: 1 done' "$WORK/last.out" || die "the $1 upload failed: $(cat "$WORK/last.out" "$WORK/last.err")"
    drop_blobs
    record "${PIN_TAG}ours-$1" "$WALL" "$(calc '%.2f' "$USER_S + $SYS_S")" "$(calc '%.2f' "($s1 - $s0) / $CLK_TCK")" "$RSS_KB"
}
: >"$WORK/tput.tsv"
for rep in $(seq "$REPS"); do
    # Interleaved, the order turned each time, so a busy moment does not favour one side.
    if [ $((rep % 2)) = 1 ]; then curl_once curl; ours_once big; else ours_once big; curl_once curl; fi
    [ "$HAVE_OPENSSL" = 1 ] && curl_once curl+sha256
    ours_once mid
done
# The same upload with the sandbox on core 0 and the client on core 1: storage that is another
# machine, as the real Move storage is. On the shared cores the sandbox (which hashes and
# writes every byte too) and our SHA-256 of every byte compete for the same 2 cores.
HAVE_PIN=$(command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ] && echo 1 || echo 0)
if [ "$HAVE_PIN" = 1 ]; then
    SANDBOX_PIN="taskset -c 0" CLIENT_PIN="taskset -c 1" PIN_TAG=pinned-
    start_sandbox
    for rep in $(seq "$REPS"); do
        if [ $((rep % 2)) = 1 ]; then curl_once curl; ours_once big; else ours_once big; curl_once curl; fi
    done
    SANDBOX_PIN= CLIENT_PIN= PIN_TAG=
    start_sandbox
fi
column -t "$WORK/tput.tsv" >&2 || cat "$WORK/tput.tsv" >&2
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -F'\t' -v k="$1" -v c="$2" '$1 == k { print $c }' "$WORK/tput.tsv"; } # KIND COLUMN
CURL_S=$(col curl 2 | median)
OURS_S=$(col ours-big 2 | median)
CURL_BEST=$(col curl 2 | sort -g | head -1)
OURS_BEST=$(col ours-big 2 | sort -g | head -1)
GIB=$(calc '%.4f' "$BIG_MIB / 1024")
per_gib() { calc '%.2f' "$1 / $GIB"; }
CURL_MBS=$(calc '%.0f' "$BIG_BYTES / $CURL_S / 1e6")
OURS_MBS=$(calc '%.0f' "$BIG_BYTES / $OURS_S / 1e6")
RATIO=$(calc '%.2f' "$CURL_S / $OURS_S")
RATIO_BEST=$(calc '%.2f' "$CURL_BEST / $OURS_BEST")
CPU_NOTE="CPU s/GiB (client + sandbox): curl $(per_gib "$(col curl 3 | median)") + $(per_gib "$(col curl 4 | median)"), ours $(per_gib "$(col ours-big 3 | median)") + $(per_gib "$(col ours-big 4 | median)")"
row "upload ${BIG_MIB} MiB ≥ 0.95× curl -T, client and sandbox sharing the 2 cores" "ours ${OURS_MBS} MB/s, curl ${CURL_MBS} MB/s: **${RATIO}×** (best runs: ${RATIO_BEST}×)" \
    "$(verdict "$RATIO" '>=' 0.95)" \
    "medians of $REPS interleaved runs; ours = the whole backfill process (start, createFile, PUT, take, exit); $CPU_NOTE"
if [ "$HAVE_PIN" = 1 ]; then
    P_CURL_S=$(col pinned-curl 2 | median)
    P_OURS_S=$(col pinned-ours-big 2 | median)
    P_RATIO=$(calc '%.2f' "$P_CURL_S / $P_OURS_S")
    row "upload ${BIG_MIB} MiB ≥ 0.95× curl -T, sandbox on core 0, client on core 1" \
        "ours $(calc '%.0f' "$BIG_BYTES / $P_OURS_S / 1e6") MB/s, curl $(calc '%.0f' "$BIG_BYTES / $P_CURL_S / 1e6") MB/s: **${P_RATIO}×**" \
        "$(verdict "$P_RATIO" '>=' 0.95)" \
        "taskset -c 0 for the sandbox, -c 1 for ours or curl (storage as another machine); medians of $REPS interleaved runs; CPU s/GiB (client + sandbox): curl $(per_gib "$(col pinned-curl 3 | median)") + $(per_gib "$(col pinned-curl 4 | median)"), ours $(per_gib "$(col pinned-ours-big 3 | median)") + $(per_gib "$(col pinned-ours-big 4 | median)")"
fi
if [ "$HAVE_OPENSSL" = 1 ]; then
    SHA_S=$(col curl+sha256 2 | median)
    row "upload ${BIG_MIB} MiB vs curl -T ∥ openssl dgst -sha256" \
        "curl ∥ sha256 $(calc '%.0f' "$BIG_BYTES / $SHA_S / 1e6") MB/s: ours **$(calc '%.2f' "$SHA_S / $OURS_S")×**" "info" \
        "the same work as ours (send + SHA-256 of every byte) by curl and openssl side by side; CPU s/GiB $(per_gib "$(col curl+sha256 3 | median)") + $(per_gib "$(col curl+sha256 4 | median)")"
fi
RSS_BIG=$(col ours-big 5 | sort -g | tail -1)
RSS_MID=$(col ours-mid 5 | sort -g | tail -1)
RSS_BIG_MIB=$(calc '%.1f' "$RSS_BIG / 1024")
RSS_MID_MIB=$(calc '%.1f' "$RSS_MID / 1024")
RSS_OK=$(verdict "$RSS_BIG_MIB" '<=' 32)
FLAT=$(awk -v a="$RSS_BIG" -v b="$RSS_MID" 'BEGIN { print (a <= b * 1.25 + 2048) ? "flat" : "GROWS" }')
[ "$FLAT" = flat ] || RSS_OK=FAIL
row "peak RSS ≤ 32 MiB, flat" "${RSS_MID_MIB} MiB at ${MID_MIB} MiB, ${RSS_BIG_MIB} MiB at ${BIG_MIB} MiB ($FLAT)" "$RSS_OK" \
    "/usr/bin/time -v, Maximum resident set size of the whole backfill process (max of $REPS runs each)"

# The optional cap: upload.max_bytes_per_sec on the mid-size file, whole process timed.
CAP=$((MID_MIB << 20 >> 2)) # a quarter of the file per second: about 4 s
rm -rf "$WORK/state-mid"
start_sandbox
write_config "$WORK/cap.toml" "$WORK/mid" "$WORK/state-mid" "$(printf '[upload]\nmax_bytes_per_sec = %s' "$CAP")"
timed "$WORK/cap.toml" backfill --no-progress
grep -q '^backfill: 1 done' "$WORK/last.out" || die "the capped upload failed: $(cat "$WORK/last.out" "$WORK/last.err")"
drop_blobs
CAPPED=$(calc '%.0f' "$((MID_MIB << 20)) / $WALL")
CAP_ERR=$(calc '%.1f' "100 * ($CAPPED - $CAP) / $CAP")
row "upload.max_bytes_per_sec honoured within 5%" "cap $CAP B/s: $CAPPED B/s (${CAP_ERR}%)" \
    "$(awk -v e="$CAP_ERR" 'BEGIN { print (e <= 5 && e >= -5) ? "pass" : "FAIL" }')" \
    "${MID_MIB} MiB file, whole backfill process (start and take included)"

# ---------------------------------------------------------------- 2. small recordings vs the API's ceiling
# The ceiling: a minimal client (benches/ceiling/) making the same requests (createFile + PUT
# for each file, createSingleCamTake) with the same concurrency against a new sandbox, nothing
# else. `backfill` and `run` are each measured back to back with it, and each request the
# sandbox served is counted.
say "small recordings: $SMALL_RECS (.mp4 16 KiB + .move 16 KiB) from $DEVICES devices: the API's ceiling, backfill, run"
fixtures tree "$WORK/small" "$DEVICES" "$SMALL_RECS" 1 16384 >/dev/null
sync
snap() { curl -sS "$BASE/admin/stats"; }
stat_in() { echo "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
# Sets REQ_TOTAL (GraphQL requests + PUTs), REQ_LIST (listTakes pages) and REQ_TAKES since SNAPSHOT.
requests_since() { # SNAPSHOT
    local now; now=$(snap)
    d() { echo $(($(stat_in "$now" "$1") - $(stat_in "$2" "$1"))); }
    REQ_TOTAL=$(($(d graphql_requests "$1") + $(d uploads_completed "$1") + $(d uploads_rejected "$1")))
    REQ_LIST=$(d takes_listed "$1")
    REQ_TAKES=$(d takes_created "$1")
}
ceiling_once() { # ROOT; sets CEIL_S
    local before
    start_sandbox
    before=$(snap)
    MOVE_API_KEY=$KEY fixtures ceiling "$ENDPOINT" "$1" 4 >"$WORK/ceiling.out" || die "the ceiling client failed"
    CEIL_S=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' "$WORK/ceiling.out")
    requests_since "$before"
    [ "$REQ_TAKES" = "$SMALL_RECS" ] || die "the ceiling client made $REQ_TAKES takes, not $SMALL_RECS"
    CEIL_REQ=$REQ_TOTAL
    drop_blobs
}
: >"$WORK/small.tsv"
for rep in $(seq "$REPS"); do
    ceiling_once "$WORK/small"
    start_sandbox
    rm -rf "$WORK/state-small"
    write_config "$WORK/small.toml" "$WORK/small" "$WORK/state-small" $'[upload]\nconcurrency = 4'
    before=$(snap)
    timed "$WORK/small.toml" backfill --no-progress
    requests_since "$before"
    grep -q "^backfill: $SMALL_RECS done, 0 failed" "$WORK/last.out" || die "the backfill did not finish: $(cat "$WORK/last.out" "$WORK/last.err" | tail -5)"
    [ "$REQ_TAKES" = "$SMALL_RECS" ] || die "the sandbox made $REQ_TAKES takes, not $SMALL_RECS"
    drop_blobs
    printf '%s\t%s\t%s\t%s\t%s\n' "$CEIL_S" "$WALL" "$REQ_TOTAL" "$REQ_LIST" "$CEIL_REQ" >>"$WORK/small.tsv"
done
scol() { cut -f"$1" "$WORK/small.tsv" | median; }
CEIL_S=$(scol 1)
BF_S=$(scol 2)
CEIL_RATE=$(calc '%.0f' "$SMALL_RECS / $CEIL_S")
BF_RATE=$(calc '%.0f' "$SMALL_RECS / $BF_S")
BF_RATIO=$(calc '%.2f' "$CEIL_S / $BF_S")
row "backfill $SMALL_RECS small recordings ≥ 0.8× the API's ceiling" \
    "ours ${BF_RATE}/s, ceiling ${CEIL_RATE}/s: **${BF_RATIO}×**" "$(verdict "$BF_RATIO" '>=' 0.8)" \
    "medians of $REPS runs back to back; ours = the whole backfill process from a new state (start, scan, state.db on disk, upload.concurrency = 4); the ceiling = a minimal client making the same requests 4 recordings at a time (benches/ceiling/)"
BF_REQ=$(tail -1 "$WORK/small.tsv" | cut -f3)
BF_LIST=$(tail -1 "$WORK/small.tsv" | cut -f4)
CEIL_REQ=$(tail -1 "$WORK/small.tsv" | cut -f5)

# run: 2,000 recordings dropped into a watched folder at once (their device folders moved in),
# into a state that began before they were made (a healthy state: nothing to look for).
drop_once() { # sets the run's seconds in RUN_S and its requests (requests_since)
    start_sandbox
    rm -rf "$WORK/state-drop" "$WORK/drop" "$WORK/stage"
    mkdir -p "$WORK/drop"
    write_config "$WORK/drop.toml" "$WORK/drop" "$WORK/state-drop" $'[upload]\nconcurrency = 4'
    MOVE_API_KEY=$KEY "$BIN" --config "$WORK/drop.toml" run >"$WORK/drop.out" 2>"$WORK/drop.err" &
    SERVICE_PID=$!
    for _ in $(seq 600); do
        grep -q 'watching for recordings' "$WORK/drop.err" 2>/dev/null && break
        kill -0 "$SERVICE_PID" 2>/dev/null || die "run stopped: $(tail -3 "$WORK/drop.err")"
        sleep 0.05
    done
    sleep 3
    fixtures tree "$WORK/stage" "$DEVICES" "$SMALL_RECS" 1 16384 >/dev/null
    # Made after the state began, and older than settle_secs: complete when found.
    find "$WORK/stage" -type f -exec touch -d "@$(calc '%.3f' "$(now) - 1.5")" {} +
    sync
    local before t0 t1
    before=$(snap)
    t0=$(now)
    mv "$WORK/stage"/* "$WORK/drop/"
    for _ in $(seq 6000); do
        [ "$(($(stat_in "$(snap)" takes_created) - $(stat_in "$before" takes_created)))" -ge "$SMALL_RECS" ] && break
        kill -0 "$SERVICE_PID" 2>/dev/null || die "run stopped: $(tail -3 "$WORK/drop.err")"
        sleep 0.05
    done
    t1=$(now)
    requests_since "$before"
    kill "$SERVICE_PID" 2>/dev/null && wait "$SERVICE_PID" 2>/dev/null || true
    SERVICE_PID=
    [ "$REQ_TAKES" = "$SMALL_RECS" ] || die "run made $REQ_TAKES takes of $SMALL_RECS dropped in: $(tail -3 "$WORK/drop.err")"
    drop_blobs
    RUN_S=$(calc '%.3f' "$t1 - $t0")
}
RUN_ALL=()
for rep in $(seq "$REPS"); do
    drop_once
    RUN_ALL+=("$RUN_S")
done
RUN_S=$(printf '%s\n' "${RUN_ALL[@]}" | median)
RUN_RATIO=$(calc '%.2f' "$CEIL_S / $RUN_S")
row "\`run\`, $SMALL_RECS recordings dropped in at once ≥ 0.8× the API's ceiling" \
    "ours $(calc '%.0f' "$SMALL_RECS / $RUN_S")/s, ceiling ${CEIL_RATE}/s: **${RUN_RATIO}×**" "$(verdict "$RUN_RATIO" '>=' 0.8)" \
    "median of $REPS runs (${RUN_ALL[*]} s), each from the move of 10 device folders into the watch path to the last take (polled every 0.05 s), a new sandbox and state each; the ceiling's median from above; upload.concurrency = 4"
per() { calc '%.2f' "$1 / $SMALL_RECS"; }
# 2 files a recording: createFile + PUT each, one take: 5 requests. Beyond that, only a
# constant per process: the key check, and for a new state one listTakes page per 100 takes.
REQ_OK=$(awk -v r="$REQ_TOTAL" -v l="$REQ_LIST" -v b="$BF_REQ" -v bl="$BF_LIST" -v n="$SMALL_RECS" \
    'BEGIN { print (l == 0 && r <= 5 * n && b <= 5 * n + 1 + bl && bl <= 1) ? "pass" : "FAIL" }')
row "requests per new recording = createFile + PUT per file + 1 take (5 here)" \
    "\`run\` (healthy state) **$(per "$REQ_TOTAL")** ($REQ_TOTAL, listTakes $REQ_LIST); backfill (new state) $(per "$BF_REQ") ($BF_REQ, listTakes $BF_LIST); ceiling $(per "$CEIL_REQ")" \
    "$REQ_OK" "counted by the sandbox (GraphQL requests + PUTs); backfill's extra: the key check and, its state being new, one listTakes page (the sandbox held no take)"
rm -rf "$WORK/drop" "$WORK/state-drop" "$WORK/state-small"

# ---------------------------------------------------------------- 2b. a rig costs no more
# A 3-camera rig ([[multicam]], group "stem", a pinned FINISHED volume) of $RIG_RECS recordings
# (3 videos each) against $((3 * RIG_RECS)) single-camera recordings (one video each), the same
# 16 KiB files, each a whole backfill from a new state: files per second, the rig's vs the
# single cameras'.
say "rig: $RIG_RECS recordings of a 3-camera rig vs $((3 * RIG_RECS)) single-camera recordings"
gql() { # QUERY-JSON
    curl -sS -H "Authorization: $KEY" -H 'Content-Type: application/json' -d "$1" "$ENDPOINT"
}
mk_rig_tree() { # ROOT CAMS...: RIG_RECS stems, one 16 KiB video per camera, an hour old
    local root=$1; shift
    for cam in "$@"; do
        mkdir -p "$root/$cam"
        head -c 16384 /dev/zero >"$root/$cam/take-000000.mp4"
        for i in $(seq 1 $((RIG_RECS - 1))); do cp "$root/$cam/take-000000.mp4" "$root/$cam/$(printf 'take-%06d.mp4' "$i")"; done
    done
    find "$root" -type f -exec touch -d '1 hour ago' {} +
}
SANDBOX_ARGS="--volume-queue-ms 0 --volume-run-ms 0"
start_sandbox
SANDBOX_ARGS=
LENS=goprohero10-fhd
SOURCES=
for cam in cam-1 cam-2 cam-3; do
    file=$(gql '{"query":"mutation { createFile(type: \"mp4\", name: \"calib.mp4\") { id presignedUrl } }"}')
    fid=$(echo "$file" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
    head -c 1000 /dev/urandom >"$WORK/calib.mp4"
    curl -sS -o /dev/null -T "$WORK/calib.mp4" "$(echo "$file" | sed -n 's/.*"presignedUrl":"\([^"]*\)".*/\1/p')"
    SOURCES="$SOURCES{\"deviceLabel\":\"$cam\",\"fileId\":\"$fid\",\"format\":\"MP4\",\"cameraSettings\":{\"lens\":\"$LENS\"}},"
done
VOLUME=$(gql "{\"query\":\"mutation(\$s: [SourceInput!]) { createVolumeWithHuman(sources: \$s, humanHeight: 1.8, areaType: NORMAL) { ... on HumanVolume { id } } }\",\"variables\":{\"s\":[${SOURCES%,}]}}" |
    sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
[ -n "$VOLUME" ] || die "the sandbox made no volume for the rig"
for _ in $(seq 100); do
    gql '{"query":"query { listVolumes(first: 100) { items { ... on HumanVolume { state } } } }"}' | grep -q '"FINISHED"' && break
    sleep 0.1
done
mk_rig_tree "$WORK/rig" cam-1 cam-2 cam-3
mk_rig_tree "$WORK/single" cam-a cam-b cam-c
write_config "$WORK/rig.toml" "$WORK/rig" "$WORK/state-rig" "$(printf '[upload]\nconcurrency = 4\n\n[[multicam]]\nname = "stage-a"\ndevices = ["cam-1", "cam-2", "cam-3"]\nlens = "%s"\nsync = "none"\nvolume = "%s"' "$LENS" "$VOLUME")"
timed "$WORK/rig.toml" backfill --no-progress
RIG_S=$WALL
grep -q "^backfill: .*0 failed" "$WORK/last.out" || die "the rig's backfill: $(cat "$WORK/last.out" "$WORK/last.err" | tail -n 5)"
RIG_TAKES=$(stat_of takes_created)
drop_blobs
start_sandbox
write_config "$WORK/single.toml" "$WORK/single" "$WORK/state-single" $'[upload]\nconcurrency = 4'
timed "$WORK/single.toml" backfill --no-progress
SINGLE_S=$WALL
grep -q "^backfill: $((3 * RIG_RECS)) done, 0 failed" "$WORK/last.out" || die "the single cameras' backfill: $(cat "$WORK/last.out" "$WORK/last.err" | tail -n 5)"
drop_blobs
RIG_FPS=$(calc '%.0f' "3 * $RIG_RECS / $RIG_S")
SINGLE_FPS=$(calc '%.0f' "3 * $RIG_RECS / $SINGLE_S")
RIG_RATIO=$(calc '%.2f' "$SINGLE_S / $RIG_S")
row "a 3-camera rig's files at the single cameras' rate (≥ 0.95×)" \
    "rig ${RIG_FPS} files/s, single cameras ${SINGLE_FPS} files/s: **${RIG_RATIO}×**" "$(verdict "$RIG_RATIO" '>=' 0.95)" \
    "whole backfills from a new state, $((3 * RIG_RECS)) videos of 16 KiB each: a [[multicam]] rig (group stem, sync none, a pinned volume; $RIG_TAKES multicam takes) vs the same videos from 3 single cameras (a take each); upload.concurrency = 4"
rm -rf "$WORK/rig" "$WORK/single" "$WORK/state-rig" "$WORK/state-single"

# ---------------------------------------------------------------- 3. done recordings kept on disk
# after_take = keep (the default): every done recording's files stay in the capture folders.
# States of 1,000, 20,000 and $STARTUP_RECS done recordings, each with all its files (.mp4 +
# .move) on disk; `run` on each: READY, the first scan taken in, SETTLE s idle, its RSS.

# Starts `run`, waits for its "READY:" line (logged as it tells systemd READY=1: state.db
# opened (PRAGMA quick_check runs beside the start; READY waits for it up to 0.3 s) and the
# unfinished work queued again), then for "watching for recordings" (the first scan taken
# in: every watch path scanned and each find looked up), stays SETTLE seconds, stops it.
# Sets READY_S (seconds from exec to the READY line's timestamp), SCANNED_S (the same for
# the first scan taken in), READY_RSS_MIB (VmRSS at READY) and IDLE_RSS_KB (VmRSS after
# SETTLE seconds of idling).
# The seconds from T0 to a log line's own timestamp. SEEN is when the bench saw the line
# (seconds from T0, polled every 0.05 s): the timestamp must fall between T0 and SEEN, else
# (a line from another run, a clock step, a timestamp that does not parse) SEEN is used,
# marked "~".
stamp_s() { # LOG-LINE T0 SEEN
    local ts s
    ts=$(echo "$1" | grep -o '^[0-9]\{4\}-[0-9T:.-]*Z' || true)
    s=$([ -n "$ts" ] && date -d "$ts" +%s.%N 2>/dev/null || true)
    if [ -n "$s" ] && awk -v s="$s" -v t0="$2" -v seen="$3" 'BEGIN { d = s - t0; exit !(d >= 0 && d <= seen + 0.01) }'; then
        calc '%.3f' "$s - $2"
    else
        echo "~$3"
    fi
}
RUN_N=0
run_until_ready() { # CONFIG [SETTLE]
    local t0 line scanned seen err
    READY_S=n/a SCANNED_S=n/a READY_RSS_MIB=n/a IDLE_RSS_KB=n/a
    RUN_N=$((RUN_N + 1))
    err=$WORK/run-$RUN_N.err # each run its own log: no line of another run can be read
    t0=$(now)
    MOVE_API_KEY=$KEY "$BIN" --config "$1" run >"$WORK/run.out" 2>"$err" &
    SERVICE_PID=$!
    for _ in $(seq 1200); do
        line=$(grep -m1 'READY: state open' "$err" 2>/dev/null) && break
        kill -0 "$SERVICE_PID" 2>/dev/null || break
        sleep 0.05
    done
    seen=$(calc '%.3f' "$(now) - $t0")
    if [ -n "${line:-}" ]; then
        READY_S=$(stamp_s "$line" "$t0" "$seen")
        READY_RSS_MIB=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVICE_PID/status" 2>/dev/null || echo n/a)
        for _ in $(seq 1200); do
            scanned=$(grep -m1 'watching for recordings' "$err" 2>/dev/null) && break
            kill -0 "$SERVICE_PID" 2>/dev/null || break
            sleep 0.05
        done
        seen=$(calc '%.3f' "$(now) - $t0")
        [ -n "${scanned:-}" ] && SCANNED_S=$(stamp_s "$scanned" "$t0" "$seen")
        if [ -n "${2:-}" ]; then
            sleep "$2"
            IDLE_RSS_KB=$(awk '/VmRSS/ { print $2 }' "/proc/$SERVICE_PID/status" 2>/dev/null || echo n/a)
        fi
        if [ -n "${2:-}" ]; then # a big state's check may still run: wait for its verdict
            for _ in $(seq 600); do
                grep -q 'state database checked' "$err" && break
                sleep 0.1
            done
        fi
        CHECK_MS=$(sed -n 's/.*state database checked.* ms=\([0-9]*\).*/\1/p' "$err" | head -1)
    fi
    kill "$SERVICE_PID" 2>/dev/null && wait "$SERVICE_PID" 2>/dev/null || true
    SERVICE_PID=
    cp "$err" "$WORK/run.err" # the last run's log, for the messages below
}
KEEP_SIZES=(1000 "$KEEP_MID" "$STARTUP_RECS")
say "kept on disk: states of ${KEEP_SIZES[*]} done recordings, all their files on disk"
declare -A K_READY K_SCAN K_RSS K_DB
for n in "${KEEP_SIZES[@]}"; do
    fixtures tree "$WORK/keep" "$DEVICES" "$n" 1 0 >/dev/null
    fixtures state "$WORK/state-keep" "$WORK/keep" 0 >/dev/null
    K_DB[$n]=$(calc '%.0f' "$(stat -c %s "$WORK/state-keep/state.db") / 1e6")
    write_config "$WORK/keep.toml" "$WORK/keep" "$WORK/state-keep"
    sync # the fixtures' own writeback is not part of the start-up
    run_until_ready "$WORK/keep.toml" "$SETTLE"
    [ "$READY_S" = n/a ] && die "\`run\` on $n done recordings did not become ready: $(tail -3 "$WORK/run.err")"
    K_READY[$n]=$READY_S K_SCAN[$n]=$SCANNED_S K_RSS[$n]=$IDLE_RSS_KB
    if [ "$n" = "$STARTUP_RECS" ]; then
        timed "$WORK/keep.toml" backfill --no-progress
        grep -Eq '^backfill: (0 done, 0 failed|[0-9]+ already done, nothing new)' "$WORK/last.out" || die "start-up backfill: $(cat "$WORK/last.out" "$WORK/last.err" | tail -5)"
        BACKFILL_NOOP=$WALL
    fi
    rm -rf "$WORK/keep" "$WORK/state-keep"
done
BIGK=$STARTUP_RECS
growth() { calc '%.1f' "(${K_RSS[$1]} - ${K_RSS[1000]}) * 1024 / ($1 - 1000)"; }
G_MID=$(growth "$KEEP_MID")
G_BIG=$(growth "$BIGK")
G_OK=$(awk -v a="$G_MID" -v b="$G_BIG" -v q="$QUICK" 'BEGIN { ok = (a <= 64 && b <= 64); if (q == 1) print ok ? "quick: pass" : "quick: below"; else print ok ? "pass" : "FAIL" }')
row "idle \`run\` RSS ≤ 64 B per done recording kept on disk (after_take = keep)" \
    "**${G_MID} B** (1000 → $KEEP_MID), **${G_BIG} B** (1000 → $BIGK); $(calc '%.1f' "${K_RSS[1000]} / 1024") → $(calc '%.1f' "${K_RSS[$KEEP_MID]} / 1024") → $(calc '%.1f' "${K_RSS[$BIGK]} / 1024") MiB" \
    "$G_OK" "VmRSS $SETTLE s after the first scan was taken in; every recording's .mp4 and .move on disk; state.db ${K_DB[1000]} → ${K_DB[$KEEP_MID]} → ${K_DB[$BIGK]} MB"
BIGK_MIB=$(calc '%.1f' "${K_RSS[$BIGK]} / 1024")
row "idle \`run\` RSS ≤ 24 MiB at $BIGK done recordings kept on disk" "**${BIGK_MIB} MiB**" "$(verdict "$BIGK_MIB" '<=' 24)" \
    "VmRSS $SETTLE s after the first scan; $((2 * BIGK)) files on disk"
row "first scan of $BIGK done recordings on disk ≤ 1.5 s" "**${K_SCAN[$BIGK]} s**" "$(verdict "${K_SCAN[$BIGK]}" '<=' 1.5)" \
    "\`run\` from exec to the first scan taken in (\"watching for recordings\": every folder walked, each folder's done recordings asked in one query); 1000: ${K_SCAN[1000]} s, $KEEP_MID: ${K_SCAN[$KEEP_MID]} s"
row "start-up, $BIGK done recordings ≤ 2 s" "**${K_READY[$BIGK]} s**" "$(verdict "${K_READY[$BIGK]}" '<=' 2)" \
    "\`run\` from exec to READY: state.db (${K_DB[$BIGK]} MB) opened, unfinished work queued (the first scan follows READY); a \`backfill\` with nothing to do ${BACKFILL_NOOP} s"

# ---------------------------------------------------------------- 3b. nothing grows with history
# States of 1,000, 20,000 and $HISTORY_RECS done recordings, made directly in state.db (no API):
# the same 1,000 recordings (.mp4 + .move) on disk in each, the rest history whose files are
# gone from the capture folders. Each run: READY, then SETTLE s idle, then its RSS.
say "history: states of 1000, 20000 and $HISTORY_RECS done recordings (1000 on disk)"
ONDISK=1000
fixtures tree "$WORK/hist" "$DEVICES" "$ONDISK" 1 1024 >/dev/null
declare -A H_READY H_RSS H_DB H_CHECK
for n in 1000 20000 "$HISTORY_RECS"; do
    t0=$(now)
    fixtures state "$WORK/state-h$n" "$WORK/hist" $((n - ONDISK)) >/dev/null
    say "  state of $n made in $(calc '%.1f' "$(now) - $t0") s"
    H_DB[$n]=$(calc '%.0f' "$(stat -c %s "$WORK/state-h$n/state.db") / 1e6")
    write_config "$WORK/h$n.toml" "$WORK/hist" "$WORK/state-h$n"
    sync
    run_until_ready "$WORK/h$n.toml" "$SETTLE"
    H_READY[$n]=$READY_S
    H_RSS[$n]=$IDLE_RSS_KB
    H_CHECK[$n]=${CHECK_MS:-?}
    [ "$READY_S" = n/a ] && die "\`run\` on $n done recordings did not become ready: $(tail -3 "$WORK/run.err")"
done
BIG=$HISTORY_RECS
STATUS_S=0
for args in status "status --json" "status --failed" "status --since 1h"; do
    # shellcheck disable=SC2086
    timed "$WORK/h$BIG.toml" $args
    [ "$EXIT" = 0 ] || die "$args failed: $(tail -3 "$WORK/last.err")"
    STATUS_S=$(awk -v a="$STATUS_S" -v b="$WALL" 'BEGIN { print (b > a) ? b : a }')
done
grep -q "\"done\": $BIG" "$WORK/last.out" 2>/dev/null || true
BIG_RSS_MIB=$(calc '%.1f' "${H_RSS[$BIG]} / 1024")
row "idle \`run\` RSS ≤ 48 MiB at $BIG done recordings" "**${BIG_RSS_MIB} MiB**" "$(verdict "$BIG_RSS_MIB" '<=' 48)" \
    "VmRSS $SETTLE s after READY; state.db ${H_DB[$BIG]} MB (made directly, no API); $ONDISK of the recordings on disk (.mp4 + .move), the rest history"
row "\`run\` to READY ≤ 2 s at $BIG done recordings" "**${H_READY[$BIG]} s** (1000: ${H_READY[1000]} s, 20000: ${H_READY[20000]} s)" \
    "$(verdict "${H_READY[$BIG]}" '<=' 2)" \
    "exec to READY: state.db opened, unfinished work queued, the first scan ($ONDISK recordings on disk) looked up; the history is not read. PRAGMA quick_check runs beside the start (READY waits up to 0.3 s for it; no step is written before it passes): ${H_CHECK[$BIG]} ms at $BIG, ${H_CHECK[20000]} ms at 20000"
row "\`status\` ≤ 0.3 s at $BIG done recordings" "**${STATUS_S} s** (slowest of status, status --json, status --failed, status --since 1h)" \
    "$(verdict "$STATUS_S" '<=' 0.3)" "whole process; state.db opened read-only; counts from the phase index, \`--since\` from the time index (the history spans five years)"
GROWTH=$(calc '%.1f' "(${H_RSS[20000]} - ${H_RSS[1000]}) * 1024 / 19000")
row "idle RSS growth ≤ 64 B per done recording (1000 → 20000)" "**${GROWTH} B** ($(calc '%.1f' "${H_RSS[1000]} / 1024") → $(calc '%.1f' "${H_RSS[20000]} / 1024") MiB)" \
    "$(verdict "$GROWTH" '<=' 64)" "VmRSS $SETTLE s after READY; state.db ${H_DB[1000]} MB → ${H_DB[20000]} MB; negative means within noise"
rm -rf "$WORK"/state-h* "$WORK/hist"

# ---------------------------------------------------------------- 4-6. criterion micro benches
# criterion BENCH [FILTER]: runs it in bencher format; then ns NAME-PATTERN gives a median.
criterion() {
    (cd "$ROOT" && "${EXE[$1]}" --bench --output-format bencher "${CRITERION[@]}" ${2:+"$2"}) \
        >>"$WORK/criterion.log" 2>"$WORK/criterion.err" || die "criterion $1 failed: $(tail -5 "$WORK/criterion.err")"
}
ns() { grep -F "$1" "$WORK/criterion.log" | tail -1 | sed 's/.*bench: *\([0-9,]*\) ns.*/\1/' | tr -d ,; }
secs() { calc '%.3f' "$(ns "$1") / 1e9"; }
: >"$WORK/criterion.log"

say "scan: $SCAN_FILES files, warm (criterion)"
MOVE_BENCH_SCAN_FILES=$SCAN_FILES criterion scan
SCAN_S=$(secs 'scan/')
row "scan $SCAN_FILES files warm ≤ 1 s" "${SCAN_S} s ($(calc '%.0f' "$SCAN_FILES / $SCAN_S") files/s)" "$(verdict "$SCAN_S" '<=' 1)" \
    "criterion, crates/move-ingest/benches/scan.rs: \`scan::scan\` of 10 device folders, an .mp4 and a .move per recording"

say "SHA-256 alone (criterion)"
MOVE_BENCH_HASH_MIB=$HASH_MIB criterion hash
SHA_MBS=$(calc '%.0f' "$HASH_MIB * 1048576 / $(ns 'sha256/sha2') * 1e3")
RING_MBS=$(calc '%.0f' "$HASH_MIB * 1048576 / $(ns 'sha256/ring') * 1e3")
FILE_MBS=$(calc '%.0f' "$HASH_MIB * 1048576 / $(ns 'sha256/upload::sha256_file') * 1e3")
# The reader thread reads a 1 MiB chunk and hashes it while it is still in the cache, and the
# socket sends meanwhile; if that work were not overlapped at all it would take OURS/FILE of
# the upload's time: "halving" would need FILE <= 2 x upload rate. The verdict is taken on
# "read + hash a file" (what the reader does per byte); the in-memory figures hash 256 MiB
# straight from RAM, which on a VM is bound by memory bandwidth, not by SHA-NI.
SHARE=$(calc '%.0f' "100 * $OURS_MBS / $FILE_MBS")
row "SHA-256 alone, must not halve throughput" "read + hash a file ${FILE_MBS} MB/s (sha2 from RAM ${SHA_MBS} MB/s, ring ${RING_MBS} MB/s)" \
    "$(verdict "$FILE_MBS" '>=' "$((2 * OURS_MBS))")" \
    "criterion, crates/move-ingest/benches/hash.rs, ${HASH_MIB} MiB in 1 MiB reads and updates (\`upload::sha256_file\`, the reader thread's loop without the send); at ${OURS_MBS} MB/s of upload, reading and hashing take ${SHARE}% of one core, overlapped with sending"

# ---------------------------------------------------------------- 7. idle service
say "idle: move-ingest run with $IDLE_RECS done recordings, ${IDLE_SECS} s"
fixtures tree "$WORK/idle" "$DEVICES" "$IDLE_RECS" 1 1024 >/dev/null
fixtures state "$WORK/state-idle" "$WORK/idle" 0 >/dev/null
write_config "$WORK/idle.toml" "$WORK/idle" "$WORK/state-idle"
sync
MOVE_API_KEY=$KEY "$BIN" --config "$WORK/idle.toml" run >"$WORK/idle.out" 2>"$WORK/idle.err" &
SERVICE_PID=$!
for _ in $(seq 1200); do
    grep -q 'watching for recordings' "$WORK/idle.err" 2>/dev/null && break
    kill -0 "$SERVICE_PID" 2>/dev/null || break
    sleep 0.05
done
sleep 2 # past the start-up scan's tail
if kill -0 "$SERVICE_PID" 2>/dev/null && grep -q 'watching for recordings' "$WORK/idle.err"; then
    a=$(cpu_ticks "$SERVICE_PID")
    wakeups "$SERVICE_PID" >"$WORK/wake0"
    sleep "$IDLE_SECS"
    b=$(cpu_ticks "$SERVICE_PID")
    wakeups "$SERVICE_PID" >"$WORK/wake1"
    # Threads that ended in between took their counts with them: count the ones alive at the end.
    WAKE=$(awk 'NR == FNR { before[$1] = $2; next } { n += $2 - ($1 in before ? before[$1] : 0) } END { print n + 0 }' "$WORK/wake0" "$WORK/wake1")
    RSS_IDLE=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVICE_PID/status")
    IDLE_PCT=$(calc '%.3f' "100 * ($b - $a) / $CLK_TCK / $IDLE_SECS")
    kill "$SERVICE_PID" 2>/dev/null && wait "$SERVICE_PID" 2>/dev/null || true
    SERVICE_PID=
    row "idle service ≤ 0.1% CPU" "**${IDLE_PCT}%** over ${IDLE_SECS} s ($((b - a)) ticks of 1/${CLK_TCK} s, $WAKE wake-ups of its threads)" \
        "$(verdict "$IDLE_PCT" '<=' 0.1)" \
        "utime+stime of \`run\` from /proc/PID/stat once it was ready; $IDLE_RECS done recordings (.mp4 + .move) on disk; RSS ${RSS_IDLE} MiB"
else
    row "idle service ≤ 0.1% CPU" "not measured" "FAIL" "\`run\` did not become ready: $(tail -2 "$WORK/idle.err" | tr '\n' ' ')"
    kill "$SERVICE_PID" 2>/dev/null && wait "$SERVICE_PID" 2>/dev/null || true
    SERVICE_PID=
fi

# ---------------------------------------------------------------- table
{
    echo "| target | figure | verdict | anchor / notes |"
    echo "| --- | --- | --- | --- |"
    awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$RESULTS"
    echo
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ { print $2 }') GiB;" \
        "$(uname -sr); $(rustc --version | cut -d' ' -f1-2); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    REV=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
    git diff --quiet HEAD -- crates Cargo.toml 2>/dev/null || REV="$REV + uncommitted changes in crates/"
    echo "Command: \`bench/run.sh$([ "$QUICK" = 1 ] && echo ' --quick')\` ($(date -u +%Y-%m-%dT%H:%MZ), built from $REV)"
} | tee "$ROOT/target/bench-last-run.md"
# Exit 1 if a target failed or a step could not be measured (--quick: only the latter, and the cap).
! grep -q $'\tFAIL\t' "$RESULTS"
