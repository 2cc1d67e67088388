# Shared by the bench scripts (sourced, not run): the sandbox and the config they all use.
# The caller sets WORK, STORE, KEY and SANDBOX_BIN; optional: SANDBOX_PIN (a prefix such as
# `taskset -c 0`), SANDBOX_ARGS (more sandbox flags) and LEVEL (the log level, default info).

SANDBOX_PID=

bench_die() { echo "bench: $*" >&2; exit 1; }

# (Re)starts the sandbox with no files and no takes; sets SANDBOX_PID, ENDPOINT and BASE.
# Each measured run gets a new one: with the takes of an earlier run there, a backfill from an
# empty state adopts the take (found by name, size and SHA-256) instead of uploading.
start_sandbox() {
    stop_sandbox
    rm -rf "$STORE/sandbox"
    rm -f "$WORK/sandbox.out" # not the last sandbox's line, read before the new one starts
    ${SANDBOX_PIN:-} "$SANDBOX_BIN" --port 0 --data "$STORE/sandbox" --api-key "$KEY" ${SANDBOX_ARGS:-} \
        >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
    SANDBOX_PID=$!
    for _ in $(seq 300); do
        grep -q '^sandbox listening on ' "$WORK/sandbox.out" 2>/dev/null && break
        kill -0 "$SANDBOX_PID" 2>/dev/null || bench_die "the sandbox exited: $(cat "$WORK/sandbox.err")"
        sleep 0.1
    done
    ENDPOINT=$(sed -n 's/^sandbox listening on //p' "$WORK/sandbox.out" | head -1)
    [ -n "$ENDPOINT" ] || bench_die "the sandbox did not announce its address"
    BASE=${ENDPOINT%/ugc/graphql}
    case "$BASE" in http://127.0.0.1:*) ;; *) bench_die "the sandbox is not on 127.0.0.1: $BASE" ;; esac
}

stop_sandbox() {
    if [ -n "$SANDBOX_PID" ]; then
        kill "$SANDBOX_PID" 2>/dev/null && wait "$SANDBOX_PID" 2>/dev/null || true
        SANDBOX_PID=
    fi
}

# A config for one watch folder and state dir (settle and move wait 1 s); extra TOML appended.
write_config() { # PATH WATCH STATE [EXTRA]
    cat >"$1" <<EOT
[api]
endpoint = "$ENDPOINT"

[[watch]]
path = "$2"
device_label = "from-dir"

[pairing]
settle_secs = 1
move_wait_secs = 1

[state]
dir = "$3"

[log]
level = "${LEVEL:-info}"
${4:-}
EOT
}
