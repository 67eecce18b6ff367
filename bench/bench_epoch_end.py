"""What an epoch end costs, measured through the real command line.

    .venv/bin/python bench/bench_epoch_end.py [--presets quick lab] [--steps 8]
        [--epochs 3] [--device cpu] [--modes inline background]
        [--json docs/bench/throughput_epoch_end_cpu.json]

Each preset trains ``--epochs`` short epochs of ``--steps`` steps on the
chorales (`main.py train --json`, a fresh POLYPHONY_HOME). From the events:
a step's time is the median gap between consecutive steps inside an
epoch; an epoch end's time is the gap between an epoch's last step and the
next epoch's first, less one step (samples from the fixed inputs, their
music metrics, similarity index and genre judge, MIDI files, checkpoint).
``evaluation`` is the judging part alone (EpochReport.evaluation_seconds).
Inline, training waits while the epoch end runs: on a GPU that idle time
is what docs/bench/gpu.md discusses. In the background (``epoch_end =
background``, the default on CUDA) it waits only for the boundary: the
composer's probabilities for the fixed inputs and a copy of what the
checkpoint keeps. ``--modes`` measures each setting in turn; ``wall`` is
the time from the first step to the last.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(preset: str, steps: int, epochs: int, device: str, mode: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    with tempfile.TemporaryDirectory(prefix="polyphony-epoch-end-") as home:
        env["POLYPHONY_HOME"] = home
        cmd = [sys.executable, "main.py", "train", "--preset", preset, "--genre", "chorale",
               "--epochs", str(epochs), "--set", f"steps_per_epoch={steps}", "log_every=1",
               f"device={device}", f"epoch_end={mode}", "--json"]
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=3600, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    steps_by_epoch: dict[int, list[float]] = {}
    for e in events:
        if e["event"] == "StepStats":
            steps_by_epoch.setdefault(e["epoch"], []).append(e["elapsed"])
    gaps = [b - a for times in steps_by_epoch.values() for a, b in zip(times, times[1:])]
    step = statistics.median(gaps)
    ends = [steps_by_epoch[n + 1][0] - steps_by_epoch[n][-1] - step
            for n in sorted(steps_by_epoch) if n + 1 in steps_by_epoch]
    reports = [e for e in events if e["event"] == "EpochReport"]
    started = next(e for e in events if e["event"] == "RunStarted")
    evaluation = [r.get("evaluation_seconds") for r in reports if r.get("evaluation_seconds")]
    end = statistics.median(ends)
    times = [t for epoch in sorted(steps_by_epoch) for t in steps_by_epoch[epoch]]
    return {"preset": preset, "epoch_end": mode, "device": started["device"],
            "seconds_per_step": round(step, 4), "wall_seconds": round(times[-1] - times[0], 2),
            "epoch_end_seconds": round(end, 3), "epoch_end_in_steps": round(end / step, 1),
            "evaluation_seconds": round(statistics.median(evaluation), 3) if evaluation else None,
            "all_epoch_ends": [round(x, 3) for x in ends],
            "notices": [e["message"] for e in events if e["event"] == "Notice"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=["quick", "lab"])
    parser.add_argument("--steps", type=int, default=8, help="steps per epoch")
    parser.add_argument("--epochs", type=int, default=3, help="epochs (epoch ends measured: one fewer)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--modes", nargs="+", default=["inline", "background"],
                        help="epoch_end settings to measure")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    rows = []
    for name in args.presets:
        for mode in args.modes:
            row = measure(name, args.steps, args.epochs, args.device, mode)
            rows.append(row)
            print(json.dumps(row), flush=True)
    result = {"rows": rows, "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
              "load_average_at_end": os.getloadavg()}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
