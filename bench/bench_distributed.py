"""Training speed with 1 and 2 processes under torchrun (DistributedDataParallel).

    .venv/bin/python bench/bench_distributed.py [--presets smoke quick] [--steps 150]
        [--repeats 2] [--out docs/bench/distributed.md]

Each run is the real command line (`python -m torch.distributed.run
--nproc_per_node=N main.py train --json`) in a fresh POLYPHONY_HOME, one
epoch of ``--steps`` generator steps on the chorales. The speed is the last
step's steps_per_second (steps since the start of training / seconds, so
start-up and the epoch-end samples and metrics are not in it). Every rank
trains on its own batch of ``batch_size`` pieces, so with 2 processes a
step sees twice as many pieces: samples/s = steps/s x batch x processes.
On the CPU each rank gets cores / processes torch threads; the device
setting is forced to cpu so a GPU machine measures its CPU here (run with
``--device cuda`` there for the GPU).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gan.training.distributed import launch_port


def run_once(preset: str, procs: int, steps: int, device: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    with tempfile.TemporaryDirectory(prefix="polyphony-bench-") as home:
        env["POLYPHONY_HOME"] = home
        cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={procs}",
               "--master_addr=127.0.0.1", f"--master_port={launch_port()}",
               "main.py", "train", "--preset", preset,
               "--genre", "chorale", "--epochs", "1", "--set", f"steps_per_epoch={steps}",
               "--set", "log_every=10", "--set", f"device={device}", "--json"]
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    events = [json.loads(l) for l in done.stdout.splitlines() if l.startswith("{")]
    started = next(e for e in events if e["event"] == "RunStarted")
    last = [e for e in events if e["event"] == "StepStats"][-1]
    report = next(e for e in events if e["event"] == "EpochReport")
    return {"steps_per_second": last["steps_per_second"], "device": started["device"],
            "world_size": started["world_size"], "rank_steps": report["rank_steps"] or [steps]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--presets", nargs="+", default=["smoke", "quick"])
    ap.add_argument("--procs", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    from gan.config import preset as preset_config

    rows = []
    for name in args.presets:
        batch = preset_config(name).batch_size
        for procs in args.procs:
            runs = [run_once(name, procs, args.steps, args.device) for _ in range(args.repeats)]
            speeds = [r["steps_per_second"] for r in runs]
            best = max(speeds)
            rows.append((name, procs, batch, best, statistics.median(speeds),
                         best * batch * procs, runs[0]["rank_steps"], runs[0]["device"]))
            print(f"{name:6} x{procs}: best {best:.1f} steps/s, median {statistics.median(speeds):.1f}, "
                  f"{best * batch * procs:.0f} pieces/s, rank steps {runs[0]['rank_steps']}", flush=True)

    load = os.getloadavg()
    lines = [
        "| preset | processes | batch per rank | steps/s (best) | steps/s (median) | pieces/s (best) | steps per rank | device |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, procs, batch, best, median, pieces, rank_steps, device in rows:
        lines.append(f"| {name} | {procs} | {batch} | {best:.1f} | {median:.1f} | {pieces:.0f} | "
                     f"{rank_steps} | {device} |")
    command = "python bench/bench_distributed.py " + " ".join(sys.argv[1:])
    text = "\n".join(lines) + (
        f"\n\nCommand: `{command.strip()}`  \n"
        f"Date: {datetime.date.today()}; machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"load average at the end {load[0]:.2f} (other work shares these cores); "
        f"{args.steps} steps, best/median of {args.repeats}.\n")
    print("\n" + text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
