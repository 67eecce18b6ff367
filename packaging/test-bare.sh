#!/usr/bin/env bash
# The .deb on a bare machine: a minimal Debian 12 root (scripts/bare-root.sh,
# debootstrap --variant=minbase, cached) where `apt-get install ./polyphony_*.deb`
# must bring every library the app needs through its Depends.
#
#   bash packaging/test-bare.sh [--fresh-cache] [--skip-build] [--update-depends] [--keep]
#     --fresh-cache     delete the cached root first (a run from scratch)
#     --skip-build      use the existing dist/polyphony (else packaging/build.sh)
#     --update-depends  rewrite packaging/debian-depends.txt from the bundle
#                       (without it the test fails when the list is out of date)
#     --keep            keep the work root (default: deleted on success)
#
# Steps: build (PyInstaller + its own self-test) -> Depends check (ldd inside
# the bare root, packaging/deb_depends.py) -> packaging/make-deb.sh -> install
# with apt-get (--no-install-recommends: Depends alone must be enough) ->
# installed size <= 650 MB -> no library missing (ldd) -> as a normal user:
# a MIDI file rendered to WAV, `polyphony --self-test --screenshot` offscreen,
# the same in a real X window on an Xvfb server started on this machine ->
# launch-to-visible-window time (median of 5) and memory
# (bench/bench_package.py --in-root) -> apt-get remove leaves no file behind.
# Too slow for every CI run (5-15 minutes): results in docs/bench/package.md.
# Needs root, debootstrap, unshare, Xvfb and xwininfo (x11-utils) here.
# Work folder: $POLYPHONY_BARE_DIR (default /var/tmp/polyphony-bare-test);
# screenshots and summary in build/bare/.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
PY="$REPO/.venv/bin/python"
WORK="${POLYPHONY_BARE_DIR:-/var/tmp/polyphony-bare-test}"
R="$WORK/root"
OUT="$REPO/build/bare"
BARE=(bash "$REPO/scripts/bare-root.sh")
SIZE_LIMIT=650000000  # bytes (650 MB) for the installed /opt/polyphony
fresh_cache=0 skip_build=0 update=0 keep=0
for arg in "$@"; do
    case "$arg" in
        --fresh-cache) fresh_cache=1 ;;
        --skip-build) skip_build=1 ;;
        --update-depends) update=1 ;;
        --keep) keep=1 ;;
        *) sed -n '6,12p' "$0" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "test-bare: needs root (debootstrap, chroot)" >&2; exit 2; }
for tool in Xvfb xwininfo dpkg-deb; do
    command -v "$tool" >/dev/null || { echo "test-bare: needs $tool (apt-get install xvfb x11-utils)" >&2; exit 2; }
done
mkdir -p "$WORK" "$OUT"
LOG="$OUT/log.txt"
SUMMARY="$OUT/summary.txt"
: > "$LOG"
: > "$SUMMARY"
failures=0
t_start=$SECONDS

note() { echo "bare: $*" | tee -a "$SUMMARY"; }
step() {  # step NAME CMD...: run, log, time; counts a failure
    local name="$1"; shift
    local t0=$SECONDS rc verdict=ok
    echo "===== $name: $*" >> "$LOG"
    "$@" >> "$LOG" 2>&1
    rc=$?
    [ "$rc" = 0 ] || { verdict="FAILED (exit $rc)"; failures=$((failures + 1)); }
    note "$(printf '%-60s %5d s  %s' "$name" $((SECONDS - t0)) "$verdict")"
    [ "$rc" = 0 ]
}
in_root() { "${BARE[@]}" run "$R" "$@"; }
as_bob() { in_root --user bob --env XDG_RUNTIME_DIR=/tmp/bob-runtime "$@"; }
finish() {
    note "total $((SECONDS - t_start)) s; $failures failure(s); log: $LOG"
    if [ "$failures" = 0 ] && [ "$keep" = 0 ]; then rm -rf "$R"; fi
    [ "$failures" = 0 ]
    exit $?
}

note "repository HEAD $(git rev-parse --short HEAD 2>/dev/null || echo "(not a git checkout)"); $(nproc) cores; load $(cut -d' ' -f1 /proc/loadavg)"
if [ "$skip_build" = 0 ]; then
    step "build: packaging/build.sh (PyInstaller + self-test)" nice -n 10 bash packaging/build.sh || finish
fi
[ -x dist/polyphony/polyphony ] || { note "no dist/polyphony/polyphony"; failures=$((failures + 1)); finish; }
note "  dist/polyphony: $(du -sb dist/polyphony | cut -f1) bytes ($(du -sm dist/polyphony | cut -f1) MiB)"
if [ "$fresh_cache" = 1 ]; then "${BARE[@]}" clean-cache >> "$LOG" 2>&1; fi
step "make the bare root (debootstrap when not cached)" "${BARE[@]}" make "$R" || finish

# Depends: what the bundle links against that it does not carry, resolved
# inside the bare root.
if [ "$update" = 1 ]; then
    step "Depends: rewrite packaging/debian-depends.txt" \
        "$PY" packaging/deb_depends.py dist/polyphony --root "$R" --write packaging/debian-depends.txt || finish
else
    step "Depends: packaging/debian-depends.txt matches the bundle" \
        "$PY" packaging/deb_depends.py dist/polyphony --root "$R" --check packaging/debian-depends.txt || finish
fi
step "make-deb.sh (.deb and .tar.gz)" nice -n 10 bash packaging/make-deb.sh || finish
deb="$(ls -t dist/polyphony_*.deb | head -n 1)"
note "  $(basename "$deb"): $(stat -c %s "$deb") bytes; $(ls -t dist/polyphony-*.tar.gz | head -n 1 | xargs stat -c '%n: %s bytes')"

cp "$deb" "$R/tmp/"
step "apt-get install ./$(basename "$deb") (--no-install-recommends)" in_root -- sh -c \
    "apt-get update -qq && cd /tmp && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ./$(basename "$deb")" \
    || finish
installed=$(du -sb "$R/opt/polyphony" | cut -f1)
if [ "$installed" -le "$SIZE_LIMIT" ]; then verdict=ok; else verdict="FAILED (over $SIZE_LIMIT)"; failures=$((failures + 1)); fi
note "installed /opt/polyphony: $installed bytes ($((installed / 1048576)) MiB)  $verdict"
note "  packages the .deb pulled in: $(grep -c '^Setting up' "$LOG") ('Setting up' lines)"

# Every bundled ELF file finds its libraries in the installed system.
"$PY" - "$REPO/dist/polyphony" > "$WORK/elf-list.txt" <<'EOF'
import sys
sys.path.insert(0, "packaging")
from pathlib import Path
from check_bundle import elf_files
app = Path(sys.argv[1]).resolve()
for path in elf_files(app):
    print("/opt/polyphony/" + str(path.relative_to(app)))
EOF
step "ldd: no library missing in the installed system" in_root --env LD_LIBRARY_PATH=/opt/polyphony/_internal -- \
    sh -c 'missing=0; while read -r f; do if ldd "$f" | grep "not found"; then echo "  in $f"; missing=1; fi; done; exit $missing' \
    < "$WORK/elf-list.txt"

in_root -- useradd -m -s /bin/bash bob
in_root -- sh -c 'mkdir -p /tmp/bob-runtime && chown bob:bob /tmp/bob-runtime && chmod 700 /tmp/bob-runtime'
cp packaging/smoke/scale.mid "$R/tmp/scale.mid"
step "render: polyphony render scale.mid --out scale.wav" as_bob -- \
    sh -c 'cd && polyphony render /tmp/scale.mid --out scale.wav && test -s scale.wav && ls -l scale.wav'
step "polyphony --self-test --screenshot (offscreen)" as_bob --env QT_QPA_PLATFORM=offscreen -- \
    sh -c 'cd && timeout 420 polyphony --self-test --screenshot /tmp/shot-offscreen.png'
cp "$R/tmp/shot-offscreen.png" "$OUT/offscreen.png" 2>/dev/null || { note "  no offscreen screenshot"; failures=$((failures + 1)); }

# A real X window: Xvfb runs here, the app inside the root reaches its socket.
display=""
for n in $(seq 181 230); do
    [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || { display=":$n"; break; }
done
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
for _ in $(seq 100); do xwininfo -root -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done
step "polyphony --self-test --screenshot (Xvfb $display, xcb)" as_bob --x11 --env "DISPLAY=$display" \
    --env QT_QPA_PLATFORM=xcb -- sh -c 'cd && timeout 420 polyphony --self-test --screenshot /tmp/shot-x11.png'
cp "$R/tmp/shot-x11.png" "$OUT/x11.png" 2>/dev/null || { note "  no X11 screenshot"; failures=$((failures + 1)); }
step "start-up: launch -> visible window, memory (median of 5)" "$PY" bench/bench_package.py --in-root "$R" \
    --user bob --display "$display" --runs 5
sed -n '/^| launch/,/^$/p;/^memory/p;/^1-minute/p' "$LOG" | tail -n 8 >> "$SUMMARY"
kill "$xvfb_pid" 2>/dev/null; wait "$xvfb_pid" 2>/dev/null

# Removal leaves none of the package's files.
in_root -- dpkg -L polyphony > "$WORK/files.txt"
step "apt-get remove polyphony: no file left" in_root -- sh -c \
    'DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq polyphony >/dev/null && test ! -e /opt/polyphony \
     && test ! -e /usr/bin/polyphony && test ! -e /usr/share/applications/polyphony.desktop \
     && test ! -e /usr/share/icons/hicolor/scalable/apps/polyphony.svg && ! dpkg -s polyphony 2>/dev/null | grep -q "^Status: install"'
finish
