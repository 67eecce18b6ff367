#!/usr/bin/env bash
# Create or update Polyphony's virtual environment in .venv.
#   scripts/setup.sh          what the app needs
#   scripts/setup.sh --dev    plus the test tools (and music21 for the corpus)
#
# System packages (Debian/Ubuntu): as root it installs what is missing with
# apt-get; as a normal user it prints the exact `sudo apt install ...` line and
# stops when the app cannot run without them (python3-venv, Qt's libraries),
# or goes on without sound when only FluidSynth is missing.
# The venv is built in a temporary folder next to .venv and renamed when
# complete; a .venv that has no working Python or pip is rebuilt.
# Without an NVIDIA GPU, torch is the CPU build from PyTorch's CPU wheel
# index; when that index cannot be reached, the configured package index's
# torch==$TORCH_VERSION (on a machine without a local CPU wheel that can be
# the large CUDA build: the script says so).
# Exit codes: 0 ready, 1 an install failed, 3 system packages are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"
PYTHON="${PYTHON:-python3}"
TORCH_VERSION="${POLYPHONY_TORCH_VERSION:-2.13.0}"
TORCH_CPU_INDEX="${POLYPHONY_TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}"

say() { echo "setup: $*"; }
fail() { echo "setup: $*" >&2; exit "${2:-1}"; }

# --- Python ---------------------------------------------------------------
command -v "$PYTHON" >/dev/null 2>&1 \
    || fail "no $PYTHON: install Python 3.11-3.13 (Debian/Ubuntu: sudo apt install python3 python3-venv)" 3
py_version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
case "$py_version" in
    3.11|3.12|3.13) ;;
    *) fail "Polyphony needs Python 3.11-3.13; $PYTHON is $py_version. Install one and run with PYTHON=python3.12 (for example)" 3 ;;
esac

# --- System packages (Debian/Ubuntu) -------------------------------------
# Needed to make the venv at all (ensurepip):
venv_pkgs="python3-venv"
# Needed by Qt for any window, even offscreen, and by QtMultimedia (libpulse0):
app_pkgs="libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0
          libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-image0
          libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libpulse0"
# Sound (FluidSynth): without it the app runs silent and says so.
sound_pkgs="libfluidsynth3"
# Test tools (--dev): a virtual X server and a sound server; tests that need
# them are skipped without them.
dev_pkgs="xvfb xauth pulseaudio pulseaudio-utils"

# Installed package names plus the names they provide (Ubuntu's t64
# libraries provide the old names).
installed_names() {
    dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' 2>/dev/null \
        | awk '$1 == "ii" { for (i = 2; i <= NF; i++) { t = $i; sub(/,$/, "", t)
                                                     if (t ~ /^[(=<>]/ || t ~ /\)$/) continue
                                                     sub(/:.*/, "", t); print t } }'
}

missing_from() {  # prints the packages of "$2" not in the installed list "$1"
    local p out=""
    for p in $2; do grep -qxF "$p" <<<"$1" || out="$out $p"; done
    echo "${out# }"
}

has_ensurepip() { "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; }

venv_works() {
    "$1/bin/python" -c 'import pip, sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

if [ -e .venv ] && ! venv_works .venv; then
    say ".venv is broken or incomplete (no working Python or pip): removing it (a new one is made below)"
    rm -rf .venv
fi
need_venv=0
[ -e .venv ] || need_venv=1
if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    installed="$(installed_names)"
    wanted="$app_pkgs"
    [ "$need_venv" = 1 ] && ! has_ensurepip && wanted="$venv_pkgs $wanted"
    blocking="$(missing_from "$installed" "$wanted")"
    sound_missing="$(missing_from "$installed" "$sound_pkgs")"
    dev_missing=""
    [ -n "$extras" ] && dev_missing="$(missing_from "$installed" "$dev_pkgs")"
    optional="$(xargs <<<"$sound_missing $dev_missing")"
    all_missing="$(xargs <<<"$blocking $optional")"
    if [ -n "$all_missing" ]; then
        if [ "$(id -u)" = 0 ]; then
            say "installing Debian packages: $all_missing"
            apt-get update -qq
            # shellcheck disable=SC2086
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $all_missing >/dev/null \
                || fail "apt-get install failed for: $all_missing"
        elif [ -n "$blocking" ]; then
            echo "setup: these system packages are missing; install them, then run this again:" >&2
            echo "    sudo apt install $all_missing" >&2
            exit 3
        else
            what=""
            [ -n "$sound_missing" ] && what="sound (FluidSynth)"
            [ -n "$dev_missing" ] && what="${what:+$what and }the tests' X and sound servers"
            say "going on without $what; to add them:"
            say "    sudo apt install $all_missing"
        fi
    fi
elif [ "$need_venv" = 1 ] && ! has_ensurepip; then
    fail "$PYTHON cannot make a virtual environment (no ensurepip): install your distribution's venv package for Python $py_version" 3
fi
if [ "$need_venv" = 1 ] && ! has_ensurepip; then
    fail "$PYTHON still has no ensurepip: install python$py_version-venv (sudo apt install python$py_version-venv)" 3
fi

# --- torch ----------------------------------------------------------------
has_nvidia_gpu() { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; }

cpu_index_reachable() {
    "$1" - "$TORCH_CPU_INDEX" <<'EOF' >/dev/null 2>&1
import sys, urllib.request
urllib.request.urlopen(sys.argv[1].rstrip("/") + "/", timeout=10).close()
EOF
}

install_torch() {  # $1: the venv's python
    local py="$1" pip=("$1" -m pip install -q)
    if has_nvidia_gpu || [ "$(uname)" = Darwin ]; then
        "${pip[@]}" "torch>=2.11,<3"
        return
    fi
    # No NVIDIA GPU: the CPU build (about 200 MB, not several GB of CUDA).
    # Few retries and a short timeout, so an unreachable index costs seconds.
    if cpu_index_reachable "$py"; then
        say "installing torch $TORCH_VERSION (CPU build) from $TORCH_CPU_INDEX"
        # (that index also serves torch's own dependencies)
        "${pip[@]}" --retries 2 --timeout 30 --index-url "$TORCH_CPU_INDEX" "torch==$TORCH_VERSION+cpu" \
            && return
        say "the CPU wheel index failed; falling back to the configured package index"
    else
        say "PyTorch's CPU wheel index ($TORCH_CPU_INDEX) cannot be reached; taking torch==$TORCH_VERSION" \
            "from the configured package index (without a local CPU wheel this can be the large CUDA build)"
    fi
    "${pip[@]}" "torch==$TORCH_VERSION"
}

# --- the venv -------------------------------------------------------------

# Paths inside a venv are absolute: once the finished venv is renamed,
# rewrite the building folder's path in its scripts (shebangs, activate).
retarget_venv() {  # $1: building folder, $2: final folder
    "$1/bin/python" - "$1" "$2" <<'EOF'
import os, sys
from pathlib import Path
old, new = (os.path.abspath(p).encode() for p in sys.argv[1:3])
folder = Path(sys.argv[1])
for path in [*(folder / "bin").iterdir(), folder / "pyvenv.cfg"]:
    if path.is_symlink() or not path.is_file():
        continue
    data = path.read_bytes()
    if old in data and b"\0" not in data:
        path.write_bytes(data.replace(old, new))
EOF
}

# Leftovers of an earlier run that was killed while building (not those of
# a setup still running beside this one: the suffix is its process id).
for leftover in .venv.building-*; do
    [ -d "$leftover" ] || continue
    kill -0 "${leftover##*-}" 2>/dev/null || rm -rf "$leftover"
done

if [ ! -e .venv ]; then
    building="$ROOT/.venv.building-$$"
    trap 'rm -rf "$building"' EXIT
    say "creating .venv with $("$PYTHON" --version) (built in $(basename "$building"), renamed when complete)"
    "$PYTHON" -m venv "$building" || fail "$PYTHON -m venv failed"
    install_torch "$building/bin/python" || fail "installing torch failed"
    say "installing Polyphony and its dependencies$extras"
    "$building/bin/python" -m pip install -q -e ".$extras" || fail "installing Polyphony's dependencies failed"
    touch "$building/.polyphony-installed$extras"
    retarget_venv "$building" "$ROOT/.venv"
    mv "$building" .venv
    trap - EXIT
else
    if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
        install_torch .venv/bin/python || fail "installing torch failed"
    fi
    stamp=".venv/.polyphony-installed$extras"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        say "installing Polyphony and its dependencies$extras"
        .venv/bin/python -m pip install -q -e ".$extras" || fail "installing Polyphony's dependencies failed"
        touch "$stamp"
    fi
fi
say "ready ($(.venv/bin/python -c 'import torch, PySide6; print("torch", torch.__version__, "/ PySide6", PySide6.__version__)'))"
