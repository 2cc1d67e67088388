#!/usr/bin/env bash
# Quick start: builds move-ingest and move-sandbox, makes a few sample recordings, starts the local sandbox API,
# backfills the samples into it and shows the takes. No Move account needed; nothing leaves 127.0.0.1.
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
find "$work/captures" -type f | sort

echo "== starting the sandbox"
"$sandbox_bin" --port 0 --data "$work/sandbox" --api-key sandbox-key > "$work/sandbox.log" &
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
TOML

export MOVE_API_KEY=sandbox-key
echo "== move-ingest check (the config, the key, the folders)"
"$bin" --config "$work/config.toml" check
echo "== move-ingest backfill --dry-run (what it would do; sends nothing)"
"$bin" --config "$work/config.toml" backfill --dry-run
echo "== move-ingest backfill"
"$bin" --config "$work/config.toml" backfill
echo "== move-ingest status"
"$bin" --config "$work/config.toml" status
echo "== move-ingest takes list --expand sources"
"$bin" --config "$work/config.toml" takes list --expand sources
echo "== a second backfill sends nothing"
"$bin" --config "$work/config.toml" backfill
echo "(the files stay in $work; remove it when done)"
