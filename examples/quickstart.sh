#!/usr/bin/env bash
# Quick start: builds move-ingest and move-sandbox, makes a few sample recordings (three single cameras and a
# rig of three cameras with a calibration and two recordings), starts the local sandbox API, backfills the
# samples into it and shows the takes and the rig's volume. No Move account needed; nothing leaves 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== building move-ingest and move-sandbox (release): the first build takes several minutes;"
echo "   cargo prints each crate as it compiles"
cargo build --release
bin="$PWD/target/release/move-ingest"
sandbox_bin="$PWD/target/release/move-sandbox"
work=$(mktemp -d "${TMPDIR:-/tmp}/move-ingest-quickstart.XXXXXX")
sandbox_pid=""
cleanup() { [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

echo "== sample recordings in $work/captures"
for dev in cam-a cam-b phone-c; do
  mkdir -p "$work/captures/$dev"
  head -c 2000000 /dev/urandom > "$work/captures/$dev/take01.mp4"
  [ "$dev" = phone-c ] || head -c 20000 /dev/urandom > "$work/captures/$dev/take01.move"
done
touch -d '10 minutes ago' "$work"/captures/*/*
# A rig of three synchronised cameras (docs/multicam.md): each camera has its own folder, and one
# recording is the same stem in each: first the calibration (calib-01), then two recordings.
for cam in rig-cam-1 rig-cam-2 rig-cam-3; do
  mkdir -p "$work/captures/$cam"
  for stem in calib-01 act-01 act-02; do
    head -c 1000000 /dev/urandom > "$work/captures/$cam/$stem.mp4"
  done
  touch -d '30 minutes ago' "$work/captures/$cam/calib-01.mp4"
  touch -d '20 minutes ago' "$work/captures/$cam/act-01.mp4"
  touch -d '15 minutes ago' "$work/captures/$cam/act-02.mp4"
done
find "$work/captures" -type f | sort

echo "== starting the sandbox"
# --volume-run-ms: the sandbox calibrates a volume in 3 s (Move takes minutes).
"$sandbox_bin" --port 0 --data "$work/sandbox" --api-key sandbox-key \
  --volume-queue-ms 500 --volume-run-ms 3000 > "$work/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/sandbox.log" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/^sandbox listening on //p' "$work/sandbox.log" | head -n1)
echo "sandbox at $endpoint"

cat > "$work/config.toml" <<TOML
[api]
endpoint = "$endpoint"

[[watch]]
path = "$work/captures"
device_label = "from-dir"

[take.metadata]
site = "quickstart"
host = "{hostname}"

[state]
dir = "$work/state"

# The rig: its cameras' recordings become multicam takes, never single-camera takes.
[[multicam]]
name = "stage-a"
devices = ["rig-cam-1", "rig-cam-2", "rig-cam-3"]
lens = "goprohero10-fhd"        # a lens name from: move-ingest lenses (listCameraSettings)
sync = "timecode"
wait_secs = 30
calibration = "calib*"          # calib-01 becomes the volume
human_height_m = 1.80
area = "normal"
TOML

export MOVE_API_KEY=sandbox-key
echo "== move-ingest check (the config, the key, the folders)"
"$bin" --config "$work/config.toml" check
echo "== move-ingest backfill --dry-run (what it would do; sends nothing)"
"$bin" --config "$work/config.toml" backfill --dry-run
echo "== move-ingest backfill (the rig's volume takes a few seconds to calibrate; backfill waits for it)"
"$bin" --config "$work/config.toml" backfill
echo "== move-ingest status"
"$bin" --config "$work/config.toml" status
echo "== move-ingest takes list --expand sources (three single-camera takes, two multicam takes)"
"$bin" --config "$work/config.toml" takes list --expand sources
echo "== move-ingest volumes list (the rig's volume, made from calib-01)"
"$bin" --config "$work/config.toml" volumes list
echo "== a second backfill sends nothing"
"$bin" --config "$work/config.toml" backfill
echo "(the files stay in $work; remove it when done)"
