#!/usr/bin/env bash
# The rig row of bench/run.sh alone, for comparing builds:
#
#   RIG_RECS=500 bench/rig.sh BINARY [SANDBOX_BINARY [LOG_LEVEL]]
#
# A 3-camera rig ([[multicam]], group "stem", sync "none", a pinned FINISHED volume) of
# RIG_RECS recordings (16 KiB videos) backfilled from a new state, then the same videos from 3
# single cameras; prints both rates (files/s) and their ratio. PERF="strace -f -o F" (or any
# wrapper) runs the rig's backfill under it. The work dir (logs) is kept and printed.
set -euo pipefail
BIN=$1; SANDBOX_BIN=${2:-$(dirname "$0")/../target/release/move-sandbox}; LEVEL=${3:-info}
RIG_RECS=${RIG_RECS:-500}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/move-rig.XXXXXX"); STORE=$(mktemp -d /dev/shm/move-rig.XXXXXX)
KEY=k$RANDOM
. "$(dirname "$0")/lib.sh"
trap 'stop_sandbox; rm -rf "$STORE"' EXIT
gql() { curl -sS -H "Authorization: $KEY" -H 'Content-Type: application/json' -d "$1" "$ENDPOINT"; }
mk_rig_tree() { local root=$1; shift
  for cam in "$@"; do mkdir -p "$root/$cam"; head -c 16384 /dev/zero >"$root/$cam/take-000000.mp4"
    for i in $(seq 1 $((RIG_RECS - 1))); do cp "$root/$cam/take-000000.mp4" "$root/$cam/$(printf 'take-%06d.mp4' "$i")"; done; done
  find "$root" -type f -exec touch -d '1 hour ago' {} +; }
SANDBOX_ARGS="--volume-queue-ms 0 --volume-run-ms 0" start_sandbox
LENS=goprohero10-fhd; SOURCES=
for cam in cam-1 cam-2 cam-3; do
  file=$(gql '{"query":"mutation { createFile(type: \"mp4\", name: \"calib.mp4\") { id presignedUrl } }"}')
  fid=$(echo "$file" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
  head -c 1000 /dev/urandom >"$WORK/calib.mp4"
  curl -sS -o /dev/null -T "$WORK/calib.mp4" "$(echo "$file" | sed -n 's/.*"presignedUrl":"\([^"]*\)".*/\1/p')"
  SOURCES="$SOURCES{\"deviceLabel\":\"$cam\",\"fileId\":\"$fid\",\"format\":\"MP4\",\"cameraSettings\":{\"lens\":\"$LENS\"}},"
done
VOLUME=$(gql "{\"query\":\"mutation(\$s: [SourceInput!]) { createVolumeWithHuman(sources: \$s, humanHeight: 1.8, areaType: NORMAL) { ... on HumanVolume { id } } }\",\"variables\":{\"s\":[${SOURCES%,}]}}" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
for _ in $(seq 100); do gql '{"query":"query { listVolumes(first: 100) { items { ... on HumanVolume { state } } } }"}' | grep -q '"FINISHED"' && break; sleep 0.1; done
mk_rig_tree "$WORK/rig" cam-1 cam-2 cam-3
mk_rig_tree "$WORK/single" cam-a cam-b cam-c
write_config "$WORK/rig.toml" "$WORK/rig" "$WORK/state-rig" "$(printf '[upload]\nconcurrency = 4\n\n[[multicam]]\nname = "stage-a"\ndevices = ["cam-1", "cam-2", "cam-3"]\nlens = "%s"\nsync = "none"\nvolume = "%s"' "$LENS" "$VOLUME")"
t0=$(date +%s.%N)
MOVE_API_KEY=$KEY ${PERF:-} "$BIN" --config "$WORK/rig.toml" backfill --no-progress >"$WORK/rig.out" 2>"$WORK/rig.err" || true
t1=$(date +%s.%N)
curl -sS "${ENDPOINT%/ugc/graphql}/admin/stats" > $WORK/rig.stats
start_sandbox
write_config "$WORK/single.toml" "$WORK/single" "$WORK/state-single" $'[upload]\nconcurrency = 4'
MOVE_API_KEY=$KEY "$BIN" --config "$WORK/single.toml" backfill --no-progress >"$WORK/single.out" 2>"$WORK/single.err" || true
t2=$(date +%s.%N)
tail -1 $WORK/rig.out; tail -1 $WORK/single.out
awk -v a=$t0 -v b=$t1 -v c=$t2 -v n=$((3*RIG_RECS)) 'BEGIN{printf "rig %.3fs %.0f files/s, single %.3fs %.0f files/s, ratio %.2f\n", b-a, n/(b-a), c-b, n/(c-b), (c-b)/(b-a)}'
echo "work: $WORK"; cat $WORK/rig.stats; echo
