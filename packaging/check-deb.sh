#!/usr/bin/env bash
# Builds the Debian package and checks it on this machine, end to end, as an operator would:
#   1. build:   `cargo deb -p move-ingest` makes target/debian/move-ingest_<version>_<arch>.deb
#               (and move-ingest-dbgsym_<version>_<arch>.ddeb with the debug info)
#   2. content: the stripped binary, both units in /usr/lib/systemd/system (which is
#               /lib/systemd/system on merged-/usr systems), the config as a conffile,
#               one man page per command and subcommand (all of packaging/man), bash/zsh/fish
#               completions, README/CHANGELOG/docs, the sysusers file, the maintainer scripts
#   3. install: `dpkg -i` prints the next three commands; `move-ingest --version`,
#               `man -w move-ingest`, the bash completion loads; the user and group
#               `move-ingest` exist; /var/lib/move-ingest is theirs (0700); the service is
#               neither enabled nor started; `systemd-analyze verify` and `security` (exposure
#               at most 1.5) accept the installed units
#   4. upgrade: `dpkg -i` of the same package over an edited /etc/move-ingest/config.toml
#               keeps the edit (no prompt), the state dir, and the service enabled
#   5. remove:  keeps the config and the state dir; purge removes the binary, units, the
#               enablement and /etc/move-ingest, keeps /var/lib/move-ingest and the user, and says how to
#               delete them; the command it gives removes the user and its group
# Needs root, dpkg, cargo-deb (`cargo install cargo-deb --locked`), man-db and systemd
# (systemd-analyze, systemd-sysusers); .ci/run installs them. Leaves the machine as it found
# it. Refuses to touch an installed move-ingest package unless CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

fail() { echo "check-deb: FAILED: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }
step() { echo "== check-deb: $* (at ${SECONDS}s)"; }

[ "$(id -u)" -eq 0 ] || { echo "check-deb: SKIPPED: needs root (dpkg -i, a system user)"; exit 0; }
for tool in dpkg dpkg-deb man systemd-analyze systemd-sysusers readelf; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (apt-get install dpkg man-db systemd binutils)"
done
cargo deb --version >/dev/null 2>&1 || fail "cargo-deb is missing: cargo install cargo-deb --locked"

if dpkg-query -W -f='${Status}' move-ingest 2>/dev/null | grep -q 'installed'; then
    [ "${CI:-}" = true ] || fail "a move-ingest package is installed here; this script installs and purges its own (run it with CI=true to purge the installed one first)"
    echo "check-deb: CI=true: purging the move-ingest package left installed here"
    dpkg --purge move-ingest >/dev/null
fi
had_user=no; getent passwd move-ingest >/dev/null && had_user=yes
had_state=no; [ -e /var/lib/move-ingest ] && had_state=yes
cleanup() {
    if dpkg-query -W -f='${Status}' move-ingest 2>/dev/null | grep -q 'installed'; then
        dpkg --purge move-ingest >/dev/null 2>&1 || true
    fi
    [ "$had_state" = yes ] || rm -rf /var/lib/move-ingest
    if [ "$had_user" = no ] && getent passwd move-ingest >/dev/null; then userdel move-ingest || true; fi
    rm -rf "$tmp"
}
tmp="$(mktemp -d)"
trap cleanup EXIT

step "1. build: cargo deb -p move-ingest"
cargo deb -p move-ingest --locked | tee "$tmp/build.log"
version="$(cargo metadata --no-deps --format-version 1 --locked |
    grep -oE '"name":"move-ingest","version":"[^"]+"' | sed -E 's/.*"version":"([^"]+)"/\1/')"
arch="$(dpkg --print-architecture)"
deb="$(grep -E "/move-ingest_${version}_${arch}\.deb\$" "$tmp/build.log" || true)"
[ -n "$deb" ] && [ -f "$deb" ] || fail "cargo deb did not make move-ingest_${version}_${arch}.deb"
ok "$deb ($(du -k "$deb" | cut -f1) KiB)"
ddeb="$(dirname "$deb")/move-ingest-dbgsym_${version}_${arch}.ddeb"
[ -f "$ddeb" ] || fail "no $ddeb"
dpkg-deb -c "$ddeb" | grep -qE '/usr/lib/debug/\.build-id/.*\.debug$' || fail "$ddeb holds no debug info"
ok "$ddeb ($(du -k "$ddeb" | cut -f1) KiB): the debug info"

step "2. content: dpkg-deb -c, conffiles, maintainer scripts"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' > "$tmp/files"
expect_file() { grep -qxF "$1" "$tmp/files" || fail "the package lacks $1"; }
for f in /usr/bin/move-ingest \
    /usr/lib/systemd/system/move-ingest.service /usr/lib/systemd/system/move-ingest-backfill.service \
    /etc/move-ingest/config.toml /usr/lib/sysusers.d/move-ingest.conf \
    /usr/share/bash-completion/completions/move-ingest \
    /usr/share/zsh/vendor-completions/_move-ingest \
    /usr/share/fish/vendor_completions.d/move-ingest.fish \
    /usr/share/doc/move-ingest/README.md /usr/share/doc/move-ingest/CHANGELOG.md \
    /usr/share/doc/move-ingest/docs/service.md /usr/share/doc/move-ingest/copyright; do
    expect_file "$f"
done
pages=0
for page in packaging/man/*.1; do
    expect_file "/usr/share/man/man1/$(basename "$page").gz"
    pages=$((pages + 1))
done
packaged_pages="$(grep -c '^/usr/share/man/man1/.*\.1\.gz$' "$tmp/files")"
[ "$packaged_pages" -eq "$pages" ] || fail "$packaged_pages man pages packaged, packaging/man has $pages"
ok "binary, 2 units, config, sysusers, $pages man pages, 3 completions, docs"
dpkg-deb -e "$deb" "$tmp/control"
grep -qxF /etc/move-ingest/config.toml "$tmp/control/conffiles" || fail "conffiles does not list /etc/move-ingest/config.toml"
ok "conffiles: $(tr '\n' ' ' < "$tmp/control/conffiles")"
grep -q 'systemd-sysusers' "$tmp/control/postinst" || fail "postinst does not create the user (systemd-sysusers)"
# Enabling is checked after the install; here: nothing but try-restart (on upgrade, if running).
if grep -E '^\s*(deb-systemd-invoke|systemctl) ' "$tmp/control/postinst" | grep -qE ' (start|restart|enable) '; then
    fail "postinst starts or enables the service"
fi
grep -qE 'deb-systemd-invoke try-restart .*move-ingest\.service' "$tmp/control/postinst" ||
    fail "postinst does not restart a running service on upgrade"
ok "postinst runs systemd-sysusers, never starts the service, restarts it on upgrade if running"
dpkg-deb -x "$deb" "$tmp/root"
if readelf -S -W "$tmp/root/usr/bin/move-ingest" | grep -qE '\.(symtab|debug_info|debug_line) '; then
    fail "/usr/bin/move-ingest is not stripped"
fi
! grep -q '^/usr/lib/debug/' "$tmp/files" || fail "the .deb carries debug info (it belongs in the .ddeb)"
ok "/usr/bin/move-ingest is stripped"

step "3. install: dpkg -i"
dpkg -i "$deb" </dev/null | tee "$tmp/install.log"
grep -qF "sudoedit /etc/move-ingest/config.toml" "$tmp/install.log" &&
    grep -qF "/etc/move-ingest/api-key" "$tmp/install.log" &&
    grep -qF "systemctl enable --now move-ingest" "$tmp/install.log" ||
    fail "dpkg -i did not print the next three commands"
ok "dpkg -i printed the next three commands"
out="$(move-ingest --version)"
[ "$out" = "move-ingest $version" ] || fail "move-ingest --version printed '$out'"
ok "move-ingest --version: $out"
page="$(man -w move-ingest)" || fail "man -w move-ingest found no page"
ok "man -w move-ingest: $page"
man -w move-ingest-takes-list >/dev/null || fail "man -w move-ingest-takes-list found no page"
MANWIDTH=100 man move-ingest 2>/dev/null | grep -q 'Watches capture folders' || fail "man move-ingest does not render"
ok "man move-ingest renders; subcommand pages are found"
bash -c 'source /usr/share/bash-completion/completions/move-ingest && complete -p move-ingest' >/dev/null ||
    fail "the bash completion does not load"
ok "the bash completion loads"
getent passwd move-ingest >/dev/null || fail "no user move-ingest"
getent group move-ingest >/dev/null || fail "no group move-ingest"
[ "$(stat -c '%U:%G %a' /var/lib/move-ingest)" = "move-ingest:move-ingest 700" ] ||
    fail "/var/lib/move-ingest is $(stat -c '%U:%G %a' /var/lib/move-ingest), expected move-ingest:move-ingest 700"
ok "user and group move-ingest; /var/lib/move-ingest move-ingest:move-ingest 0700"
if systemctl --quiet is-enabled move-ingest.service 2>/dev/null; then fail "the service was enabled"; fi
if [ -d /run/systemd/system ] && systemctl --quiet is-active move-ingest.service; then fail "the service was started"; fi
ok "the service is installed, not enabled, not started"
for unit in move-ingest.service move-ingest-backfill.service; do
    out="$(systemd-analyze verify --man=no "/lib/systemd/system/$unit" 2>&1)" || fail "systemd-analyze verify $unit: $out"
    [ -z "$out" ] || fail "systemd-analyze verify $unit: $out"
    exposure="$(systemd-analyze security --offline=yes --threshold=20 "/lib/systemd/system/$unit" 2>&1 |
        sed -nE 's/.*exposure level for [^:]*: ([0-9.]+).*/\1/p')"
    awk -v s="${exposure:-99}" 'BEGIN { exit !(s <= 1.5) }' || fail "$unit: exposure ${exposure:-unknown}, above 1.5"
    ok "systemd-analyze verify /lib/systemd/system/$unit; exposure $exposure"
done

step "4. upgrade over itself with an edited config and the service enabled"
systemctl enable move-ingest.service >/dev/null 2>&1 || fail "systemctl enable move-ingest.service failed"
sed -i 's|^path = "/srv/captures"|path = "/srv/check-deb-captures"|' /etc/move-ingest/config.toml
grep -q '^path = "/srv/check-deb-captures"' /etc/move-ingest/config.toml || fail "could not edit the config"
echo "check-deb" > /var/lib/move-ingest/check-deb.marker
dpkg -i "$deb" </dev/null >"$tmp/upgrade.log" 2>&1 || { cat "$tmp/upgrade.log"; fail "dpkg -i over itself failed"; }
grep -q '^path = "/srv/check-deb-captures"' /etc/move-ingest/config.toml || fail "the upgrade replaced the edited config"
[ -f /var/lib/move-ingest/check-deb.marker ] || fail "the upgrade lost the state dir"
ok "the edited config and the state dir are kept"
systemctl --quiet is-enabled move-ingest.service || fail "the upgrade disabled the service"
! grep -qF "systemctl enable --now" "$tmp/upgrade.log" || fail "the upgrade repeated the first steps to an enabled service"
ok "the service stays enabled, and the upgrade does not repeat the first steps"

step "5. remove, then purge"
dpkg --remove move-ingest </dev/null >/dev/null
[ ! -e /usr/bin/move-ingest ] || fail "remove left /usr/bin/move-ingest"
[ -f /etc/move-ingest/config.toml ] || fail "remove deleted the config (only purge may)"
[ -f /var/lib/move-ingest/check-deb.marker ] || fail "remove deleted the state dir"
ok "remove: binary gone; config and state dir kept"
echo 'not-a-real-key' > /etc/move-ingest/api-key
echo 'whsec_bm90LWEtcmVhbC1zZWNyZXQtYXQtYWxs' > /etc/move-ingest/webhook-secret
echo 'not-a-real-metrics-token' > /etc/move-ingest/metrics-token
dpkg --purge move-ingest </dev/null | tee "$tmp/purge.log"
for gone in /usr/bin/move-ingest /lib/systemd/system/move-ingest.service \
    /lib/systemd/system/move-ingest-backfill.service /usr/lib/sysusers.d/move-ingest.conf \
    /etc/move-ingest /usr/share/man/man1/move-ingest.1.gz \
    /etc/systemd/system/multi-user.target.wants/move-ingest.service /etc/systemd/system/move-ingest.service; do
    [ ! -e "$gone" ] || fail "purge left $gone"
done
[ -f /var/lib/move-ingest/check-deb.marker ] || fail "purge deleted the state dir"
getent passwd move-ingest >/dev/null || fail "purge deleted the user (files may still be theirs)"
cleanup_cmd="$(sed -nE 's/^ +(rm -rf \/var\/lib\/move-ingest && userdel move-ingest)$/\1/p' "$tmp/purge.log")"
[ -n "$cleanup_cmd" ] || fail "purge did not say how to delete the state dir and the user"
ok "purge: binary, units, /etc/move-ingest gone; state dir and user kept; it says: $cleanup_cmd"
if [ "$had_state" = no ] && [ "$had_user" = no ]; then
    sh -c "$cleanup_cmd"
    [ ! -e /var/lib/move-ingest ] && ! getent passwd move-ingest >/dev/null && ! getent group move-ingest >/dev/null ||
        fail "'$cleanup_cmd' left the state dir, the user or the group"
    ok "'$cleanup_cmd' removes the state dir, the user and its group"
fi

echo "check-deb: all checks passed in ${SECONDS}s"
