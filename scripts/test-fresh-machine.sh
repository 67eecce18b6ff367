#!/usr/bin/env bash
# The README's two commands on a fresh Debian 12 machine, as a new user runs
# them: a minimal root (scripts/bare-root.sh, cached) with only python3, git
# and ca-certificates, a clone of this repository's HEAD, then
#   1. a normal user, before any system package is there: `bash scripts/run.sh`
#      must stop with the exact `sudo apt install ...` line (python3-venv, Qt's
#      libraries, FluidSynth);
#   2. root: `bash scripts/run.sh --self-test` (the app launch, offscreen) and
#      `bash scripts/test.sh` (which install the system packages as root);
#   3. the normal user again, in their own clone with a deliberately broken
#      .venv (no pip): both commands, the broken .venv rebuilt;
#   4. the normal user with FluidSynth removed: setup goes on without sound
#      and shows the line that adds it.
# Too slow for every CI run (10-25 minutes on 2 cores): a benchmark-style
# check; results in docs/bench/fresh.md.
#
#   bash scripts/test-fresh-machine.sh [--fresh-cache] [--keep]
#     --fresh-cache  delete the cached Debian root first (a run from scratch)
#     --keep         keep the work root afterwards (default: deleted on success)
# Needs root, debootstrap and unshare. Work folder: $POLYPHONY_FRESH_DIR
# (default /var/tmp/polyphony-fresh); its summary.txt has the step times.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
WORK="${POLYPHONY_FRESH_DIR:-/var/tmp/polyphony-fresh}"
R="$WORK/root"
BARE=(bash "$REPO/scripts/bare-root.sh")
fresh_cache=0 keep=0
for arg in "$@"; do
    case "$arg" in
        --fresh-cache) fresh_cache=1 ;;
        --keep) keep=1 ;;
        *) echo "usage: $0 [--fresh-cache] [--keep]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "test-fresh-machine: needs root (debootstrap, chroot)" >&2; exit 2; }

mkdir -p "$WORK"
LOG="$WORK/log.txt"
SUMMARY="$WORK/summary.txt"
: > "$LOG"
: > "$SUMMARY"
failures=0
t_start=$SECONDS

note() { echo "fresh: $*" | tee -a "$SUMMARY"; }
# step NAME EXPECTED_RC CMD...: run, log, time, compare the exit code.
step() {
    local name="$1" expected="$2"; shift 2
    local t0=$SECONDS rc
    echo "===== $name: $*" >> "$LOG"
    "$@" >> "$LOG" 2>&1
    rc=$?
    local verdict=ok
    if [ "$rc" != "$expected" ]; then verdict="FAILED (exit $rc, expected $expected)"; failures=$((failures + 1)); fi
    note "$(printf '%-58s %5d s  %s' "$name" $((SECONDS - t0)) "$verdict")"
    [ "$verdict" = ok ]
}
# expect_in_log TEXT: the last step's output contains TEXT.
expect_in_log() {
    local section
    section="$(awk '/^===== /{buf=""} {buf = buf $0 "\n"} END {printf "%s", buf}' "$LOG")"
    if grep -qF -- "$1" <<<"$section"; then note "  output has: $1"
    else note "  MISSING from the output: $1"; failures=$((failures + 1)); fi
}
in_root() { "${BARE[@]}" run "$R" "$@"; }
as_alice() { in_root --user alice "$@"; }

note "repository HEAD $(git -C "$REPO" rev-parse --short HEAD) ($(git -C "$REPO" log -1 --format=%cd --date=iso)); $(nproc) cores"
[ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ] \
    && note "note: the working tree has uncommitted changes; the test uses HEAD only"
if [ "$fresh_cache" = 1 ]; then "${BARE[@]}" clean-cache >> "$LOG" 2>&1; fi
step "make the root (debootstrap when not cached)" 0 "${BARE[@]}" make "$R" || exit 1
step "apt-get install python3 git ca-certificates" 0 in_root -- sh -c \
    'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 git ca-certificates' \
    || exit 1
note "  python: $(in_root -- python3 --version 2>&1)"
# Each account clones from a copy of HEAD that it owns (git refuses others').
git clone -q --bare "$REPO" "$R/srv/polyphony.git"
in_root -- useradd -m -s /bin/bash alice
git clone -q --bare "$REPO" "$R/home/alice/polyphony.git"
chown -R 1000:1000 "$R/home/alice/polyphony.git"
[ "$(awk -F: '$1 == "alice" { print $3 }' "$R/etc/passwd")" = 1000 ] || { note "alice is not uid 1000"; exit 1; }

# 1. A normal user on the bare machine: told exactly what to install.
step "user: git clone" 0 as_alice -- git clone -q /home/alice/polyphony.git /home/alice/polyphony
step "user: bash scripts/run.sh (no system packages: stops)" 3 as_alice --env QT_QPA_PLATFORM=offscreen -- \
    bash -c 'cd ~/polyphony && bash scripts/run.sh --self-test'
expect_in_log "sudo apt install python3-venv"
expect_in_log "libxcb-cursor0"
expect_in_log "libfluidsynth3"

# 2. Root: the README's two commands (they install the system packages).
step "root: git clone" 0 in_root -- git clone -q /srv/polyphony.git /root/polyphony
step "root: bash scripts/run.sh --self-test (offscreen)" 0 in_root --env QT_QPA_PLATFORM=offscreen -- \
    bash -c 'cd /root/polyphony && bash scripts/run.sh --self-test'
expect_in_log "setup: installing Debian packages: python3-venv"
step "root: bash scripts/test.sh -q" 0 in_root -- bash -c 'cd /root/polyphony && bash scripts/test.sh -q'
grep -E '[0-9]+ (passed|failed)' "$LOG" | tail -n 1 | sed 's/^/fresh:   root pytest: /' | tee -a "$SUMMARY"

# 3. The normal user again, with a half-made .venv like the one a failed
#    `python3 -m venv` leaves (bin/python, no pip).
step "user: a broken .venv (python3 -m venv --without-pip)" 0 as_alice -- \
    bash -c 'cd ~/polyphony && python3 -m venv --without-pip .venv'
step "user: bash scripts/run.sh --self-test (offscreen)" 0 as_alice --env QT_QPA_PLATFORM=offscreen -- \
    bash -c 'cd ~/polyphony && bash scripts/run.sh --self-test'
expect_in_log ".venv is broken or incomplete"
step "user: bash scripts/test.sh -q" 0 as_alice -- bash -c 'cd ~/polyphony && bash scripts/test.sh -q'
grep -E '[0-9]+ (passed|failed)' "$LOG" | tail -n 1 | sed 's/^/fresh:   user pytest: /' | tee -a "$SUMMARY"

# 4. Only FluidSynth missing: the user goes on without sound, told how to add it.
step "root: apt-get remove libfluidsynth3" 0 in_root -- \
    sh -c 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq libfluidsynth3'
step "user: bash scripts/setup.sh (no FluidSynth: goes on)" 0 as_alice -- bash -c 'cd ~/polyphony && bash scripts/setup.sh'
expect_in_log "sudo apt install libfluidsynth3"

note "total $((SECONDS - t_start)) s; $failures failure(s); log: $LOG"
if [ "$failures" = 0 ] && [ "$keep" = 0 ]; then rm -rf "$R"; fi
[ "$failures" = 0 ]
