#!/usr/bin/env bash
# Build Polyphony as a one-folder app for this platform and prove it runs.
#
#   bash packaging/build.sh            build dist/polyphony/, then self-test it
#   SKIP_SELF_TEST=1 bash packaging/build.sh   build only (not recommended)
#   SKIP_BUILD=1 bash packaging/build.sh       check and self-test the existing dist/polyphony
#   (with SKIP_BUILD=1, APP_DIR=... and WORK_DIR=... name another app folder and
#   where the screenshot and summary go; the tests use them)
#
# Run from anywhere; uses the repo's .venv (scripts/setup.sh --dev creates it;
# pyinstaller comes with the `package` extra). Output: dist/polyphony/ (the app:
# dist/polyphony/polyphony), build/ (PyInstaller's work files, the self-test
# screenshot and build/package-summary.txt). Exits non-zero when the build or
# the frozen app's `--self-test --screenshot` under offscreen Qt fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="$ROOT/.venv/bin/python"
DIST="$ROOT/dist/polyphony"
WORK="$ROOT/build"
if [ "${SKIP_BUILD:-0}" = 1 ]; then
    DIST="${APP_DIR:-$DIST}"
    WORK="${WORK_DIR:-$WORK}"
fi
case "$(uname -s)" in
    MINGW*|MSYS*|CYGWIN*) PY="$ROOT/.venv/Scripts/python.exe"; APP="$DIST/polyphony.exe" ;;
    *) APP="$DIST/polyphony" ;;
esac

[ -x "$PY" ] || { echo "build: no .venv here; run: bash scripts/setup.sh --dev" >&2; exit 2; }
"$PY" -c "import PyInstaller" 2>/dev/null || {
    echo "build: PyInstaller is missing; run: .venv/bin/python -m pip install -e '.[package]'" >&2; exit 2; }

now() { "$PY" -c 'import time; print(f"{time.time():.3f}")'; }
elapsed() { "$PY" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

echo "build: PyInstaller $("$PY" -m PyInstaller --version) on $(uname -sm), $(nproc 2>/dev/null || echo '?') cores"
if [ "${SKIP_BUILD:-0}" = 1 ]; then
    [ -x "$APP" ] || { echo "build: SKIP_BUILD=1 but there is no $APP" >&2; exit 2; }
    build_s="skipped"
else
    t0=$(now)
    # (the warnings silenced are torch deprecations printed while PyInstaller
    # imports every torch submodule to list them)
    PYTHONWARNINGS=ignore::DeprecationWarning,ignore::FutureWarning,ignore::UserWarning \
        "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
        --distpath "$ROOT/dist" --workpath "$ROOT/build" packaging/polyphony.spec
    t1=$(now)
    build_s=$(elapsed "$t0" "$t1")
fi
size_h=$(du -sh "$DIST" | cut -f1)
size_mb=$(du -sm "$DIST" | cut -f1)
files=$(find "$DIST" -type f | wc -l | tr -d ' ')
echo "build: $DIST: ${size_h} (${size_mb} MiB, ${files} files), build time: ${build_s} s"

if [ "$(uname -s)" = Linux ]; then
    "$PY" packaging/check_bundle.py "$DIST" \
        || { echo "build: FAILED: the bundle lacks libraries (above)" >&2; exit 1; }
fi

selftest_s="skipped"
if [ "${SKIP_SELF_TEST:-0}" != 1 ]; then
    # A fresh user: empty home and data directory, minimal environment, run
    # from another folder, so nothing from this checkout or its shell leaks in.
    scratch="$(mktemp -d)"
    shot="$WORK/selftest.png"
    mkdir -p "$WORK"
    rm -f "$shot"
    fresh=(env -i "HOME=$scratch" "PATH=/usr/bin:/bin" "LANG=C.UTF-8"
           "POLYPHONY_HOME=$scratch/polyphony" "QT_QPA_PLATFORM=offscreen"
           "OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}")
    # As root on Linux, also hide the source tree, the venv and the Python
    # installation behind empty folders (a private mount namespace: nothing
    # changes outside this command), so a pass proves the folder is
    # self-contained, as on a machine that never had them.
    hide=()
    if [ "$(uname -s)" = Linux ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null \
            && unshare -m true 2>/dev/null; then
        # The interpreter's own standard library always; its whole prefix too
        # unless that is the system's /usr (which holds libGL, env, timeout).
        python_dirs="$("$PY" -c 'import sys, sysconfig
p = sys.base_prefix
print(sysconfig.get_paths()["stdlib"])
print(p if p.rstrip("/") not in ("", "/usr", "/usr/local") else "")')"
        mounts=""
        hidden=""
        for d in "$ROOT/.venv" "$ROOT/app" "$ROOT/gan" "$ROOT/data" "$ROOT/resources" $python_dirs; do
            [ -d "$d" ] || continue
            mounts="$mounts mount -t tmpfs -o size=1m none '$d' &&"
            hidden="$hidden $d"
        done
        hide=(unshare -m --propagation private sh -c "$mounts exec \"\$@\"" sh)
        echo "build: running the app with these hidden:$hidden"
    fi
    # ${a[@]+...}: an empty array under `set -u` on macOS's bash 3.2.
    in_fresh_machine() { (cd "$scratch" && ${hide[@]+"${hide[@]}"} "${fresh[@]}" "$@"); }
    # `timeout` is GNU coreutils (not on stock macOS: then no time limit).
    render_limit=(); selftest_limit=()
    if command -v timeout >/dev/null 2>&1; then
        render_limit=(timeout 120); selftest_limit=(timeout "${SELF_TEST_TIMEOUT:-420}")
    fi

    # The headless path first (seconds): bundled libfluidsynth + soundfont.
    in_fresh_machine ${render_limit[@]+"${render_limit[@]}"} "$APP" render "$ROOT/packaging/smoke/scale.mid" \
        --out "$scratch/scale.wav" \
        && [ -s "$scratch/scale.wav" ] \
        || { echo "build: FAILED: the frozen app could not render MIDI to WAV" >&2; exit 1; }

    echo "build: self-test: $APP --self-test --screenshot $shot (offscreen)"
    t2=$(now)
    set +e
    in_fresh_machine ${selftest_limit[@]+"${selftest_limit[@]}"} "$APP" --self-test --screenshot "$shot"
    rc=$?
    set -e
    t3=$(now)
    selftest_s=$(elapsed "$t2" "$t3")
    if [ "$rc" != 0 ]; then
        why=""
        [ "$rc" = 124 ] && why=" (timed out: SELF_TEST_TIMEOUT=${SELF_TEST_TIMEOUT:-420})"
        echo "build: FAILED: the frozen app's self-test exited $rc$why after ${selftest_s} s" >&2
        echo "build: its data directory (log in logs/): $scratch/polyphony" >&2
        tail -n 30 "$scratch/polyphony/logs/polyphony.log" 2>/dev/null >&2 || true
        exit 1
    fi
    if [ ! -s "$shot" ]; then
        echo "build: FAILED: the self-test exited 0 but wrote no screenshot at $shot" >&2
        exit 1
    fi
    rm -rf "$scratch"
    echo "build: self-test passed in ${selftest_s} s; screenshot: $shot"
fi

mkdir -p "$WORK"
cat > "$WORK/package-summary.txt" <<EOF
date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)
machine=$(uname -sm), $(nproc 2>/dev/null || echo '?') cores
build_seconds=$build_s
folder_mib=$size_mb
folder_files=$files
self_test_seconds=$selftest_s
EOF
echo "build: done: ${size_h} in $DIST, built in ${build_s} s, self-test ${selftest_s} s"
