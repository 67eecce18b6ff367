#!/usr/bin/env bash
# Everything a lent NVIDIA GPU is needed for, in one call (issues 17, 19, 21).
#
# GPU time is scarce (a session may get 15 minutes of it, a machine's start
# included), so this runs the checks in order of value, each under its own
# time limit inside one budget (BUDGET seconds), and keeps going when one
# fails: the `gpu` tests; the issue's target command (1,000 `lab`
# iterations through `main.py train`) with epoch ends in the background
# and inline; `quick` to convergence; graph-replay times of bf16/fp32 x
# NCHW/channels-last and the profiler's top kernels at batch 64 and 256
# (bench_profile.py), then the same with cuDNN's autotuner; the fixed cost of a 1-step run; epoch ends
# inline and in the background; the throughput benchmark. Logs and JSON go
# to $OUT (the device tool brings back at most 8 files), a table of what
# ran at the end. docs/bench/gpu.md has what the runs of 2026-11-27
# measured.
#
#   bash bench/gpu_session.sh            # on the GPU machine, from the repo root
#   OUT=/tmp/x PY=.venv/bin/python DEVICE=cpu BUDGET=40 bash bench/gpu_session.sh   # the mechanics, here
#
# Packages the GPU image lacks travel as wheels in .whl/ (pure Python; see
# docs/bench/gpu.md), and a trained genre classifier in .gpuhome/ so the
# first job does not spend GPU time training it.
set -u
OUT=${OUT:-/tmp/polyphony-gpu}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH=${PYTHONPATH:-}
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}  # DEVICE=cpu tries the script's mechanics on a machine without one
if compgen -G ".whl/*.whl" >/dev/null; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export POLYPHONY_HOME=/tmp/polyphony-home
mkdir -p "$POLYPHONY_HOME"
[ -d .gpuhome ] && cp -r .gpuhome/. "$POLYPHONY_HOME/"
LOG="$OUT/session.log"
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"

BUDGET=${BUDGET:-540}  # seconds for all the steps: the call's limit, less a margin
step() {  # step NAME SECONDS COMMAND...: run it, log it, one summary line
    local name=$1 limit=$2
    shift 2
    local left=$((BUDGET - SECONDS))
    if [ "$left" -lt 15 ]; then
        printf '%-26s skipped (the time budget is spent)\n' "$name" | tee -a "$SUMMARY"
        return
    fi
    [ "$limit" -gt "$left" ] && limit=$left
    echo "=== $name (at most ${limit} s): $*" | tee -a "$LOG"
    local t0 rc
    t0=$(date +%s%N)
    timeout "$limit" "$@" >>"$LOG" 2>&1
    rc=$?
    printf '%-26s rc=%-3s %7d ms\n' "$name" "$rc" $((($(date +%s%N) - t0) / 1000000)) | tee -a "$SUMMARY"
}

{
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv
    $PY -c "import torch, sys; print(sys.version.split()[0], torch.__version__, torch.cuda.get_device_name(0))"
    nproc
} >>"$LOG" 2>&1
head -5 "$LOG"

step gpu_tests 60 $PY -m pytest -q -m gpu -rs -p no:cacheprovider \
    tests/test_train_graph.py tests/test_train_device.py
# The target command (epoch ends in the background, the default on
# CUDA), then with training waiting for each epoch end as before
# 2026-12-08; later, the fixed cost of one (1-step) run: imports, CUDA
# start, data, the scorer, capture, saving. (fp32 was measured on
# 2026-11-27: 52.6 s against bf16's 45.4 s.)
step train_lab 80 $PY main.py train --preset lab --genre chorale \
    --set steps_per_epoch=100 epochs=10 device=$DEVICE
step train_lab_inline 80 $PY main.py train --preset lab --genre chorale \
    --set steps_per_epoch=100 epochs=10 device=$DEVICE epoch_end=inline
step quick_convergence ${QUICK_LIMIT:-100} $PY bench/bench_convergence.py --preset quick \
    --genre chorale --device $DEVICE --json "$OUT/convergence_quick_cuda.json"
step profile 150 $PY bench/bench_profile.py --device $DEVICE --batch-sizes 64 256 --rows 16 \
    --json "$OUT/profile_cuda.json"
step profile_autotuned 150 $PY bench/bench_profile.py --device $DEVICE --batch-sizes 64 256 --rows 16 \
    --cudnn-benchmark --json "$OUT/profile_cuda_autotuned.json"
step train_lab_1_step 30 $PY main.py train --preset lab --genre chorale \
    --set steps_per_epoch=1 epochs=1 device=$DEVICE
step epoch_ends 60 $PY bench/bench_epoch_end.py --presets lab --device $DEVICE --steps 15 \
    --epochs 4 --json "$OUT/epoch_end_cuda.json"
step throughput_lab 40 $PY bench/bench_throughput.py --preset lab --device $DEVICE --rounds 5 \
    --json "$OUT/throughput_lab.json"
$PY main.py jobs list >>"$LOG" 2>&1
echo "--- summary"
cat "$SUMMARY"
grep -E "CUDA graph|replays each|epoch +[0-9]+/|completed|reached|speedup|s/it|ms" "$LOG" | tail -40
