#!/usr/bin/env bash
# Create or update Polyphony's virtual environment in .venv.
#   scripts/setup.sh          what the app needs
#   scripts/setup.sh --dev    plus the test tools (and music21 for the corpus)
# Run as root on Debian/Ubuntu it also installs the system libraries
# (FluidSynth, the Qt platform libraries, Xvfb for headless screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    pkgs="libfluidsynth3 libpulse0 libegl1 libgl1 libxkbcommon0 libfontconfig1
          libdbus-1-3 libglib2.0-0 xvfb xauth libxcb-icccm4 libxcb-keysyms1
          libxcb-cursor0 libxkbcommon-x11-0 libxcb-image0 libxcb-render-util0
          libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1
          pulseaudio pulseaudio-utils"
    missing=""
    for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
    if [ -n "$missing" ]; then
        echo "setup: installing Debian packages:$missing"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
pip=".venv/bin/python -m pip"

# torch first: without a GPU take the CPU build (the pinned wheel is on local
# disk here), never the multi-GB CUDA build; with an NVIDIA GPU the normal one.
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
    if command -v nvidia-smi >/dev/null 2>&1 || [ "$(uname)" = Darwin ]; then
        $pip install -q "torch>=2.3,<3"
    else
        $pip install -q torch==2.13.0 \
            || $pip install -q torch --index-url https://download.pytorch.org/whl/cpu
    fi
fi

stamp=".venv/.polyphony-installed$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "setup: installing Polyphony and its dependencies$extras"
    $pip install -q -e ".$extras"
    touch "$stamp"
fi
echo "setup: ready ($(.venv/bin/python -c 'import torch, PySide6; print("torch", torch.__version__, "/ PySide6", PySide6.__version__)'))"
