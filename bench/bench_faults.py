"""The fault matrix of issue 15: try every way the app was found to lose or
break things, count how often all that must hold held.

    .venv/bin/python bench/bench_faults.py [--quick] [--only NAME] [--out docs/bench/faults.md]

Rows (bench/faults/): kill -9 at random moments and in the middle of a
checkpoint write; damaged database pages; a lost or moved database; a
read-only data folder; a full disk (a 5 MB tmpfs); malicious checkpoints;
runaway losses; a damaged newest checkpoint; same seed, same run; hostile
MIDI files and fuzzed real ones; bad settings. Each row prints tried/passed
and what failed; the table goes to docs/bench/faults.md (then
scripts/merge_benchmarks.py puts it in docs/BENCHMARKS.md). Runs as root
for the mounts (tmpfs, read-only bind); rows that need root say so.
``--quick`` is the subset tests/test_faults.py runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("CI", "true")  # pyfluidsynth stays quiet on stdout

from bench.faults import input_rows, run_rows, store_rows  # noqa: E402
from bench.faults.common import Context, Row  # noqa: E402

ROWS = [store_rows.kills, store_rows.checkpoint_write_kills, store_rows.damaged_pages,
        store_rows.lost_database, store_rows.read_only_home, run_rows.full_disk,
        run_rows.malicious_checkpoints, run_rows.runaway_losses, run_rows.truncated_checkpoint,
        run_rows.same_seed, input_rows.hostile_midi, input_rows.bad_settings]


def run(quick: bool, only: str | None = None, log=print) -> list[Row]:
    ctx = Context(quick=quick, log=log)
    rows = []
    try:
        for fn in ROWS:
            if only and only not in fn.__name__:
                continue
            started = time.monotonic()
            try:
                row = fn(ctx)
            except Exception as exc:  # a row that cannot run is a failed row, not a crash
                row = Row(fn.__name__, "", 1, 0, failures=[f"{type(exc).__name__}: {exc}"])
            row.figures = (row.figures + "; " if row.figures else "") + \
                f"{time.monotonic() - started:.0f} s"
            rows.append(row)
            verdict = f"skipped ({row.skipped})" if row.skipped else f"{row.passed}/{row.tried}"
            log(f"{row.name:<40} {verdict}")
            for failure in row.failures[:5]:
                log(f"    FAILED {failure}")
    finally:
        ctx.cleanup()
    return rows


def table(rows: list[Row], command: str, seconds: float) -> str:
    lines = [
        "## Faults: nothing lost, ever",
        "",
        f"Command: `{command}`  ",
        f"Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC. Machine: {os.cpu_count()} "
        f"cores, no GPU, {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}, run as {'root' if os.geteuid() == 0 else 'a user'}; "
        f"load average {os.getloadavg()[0]:.1f} at the end; {seconds:.0f} s in all.",
        "",
        "| fault | tried | passed | what must hold | figures |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        tried, passed = ("-", f"skipped: {r.skipped}") if r.skipped else (r.tried, r.passed)
        lines.append(f"| {r.name} | {tried} | {passed} | {r.what} | {r.figures} |")
    failed = [f"- {r.name}: {f}" for r in rows for f in r.failures]
    if failed:
        lines += ["", "Failures:", "", *failed]
    return "\n".join(lines + ["", LIMITS]) + "\n"


LIMITS = """### How the limits were chosen

- **Divergence** (gan/training/guards.py): healthy chorale runs with every step read
  (`bench/faults/healthy_losses.py`, 2026-11-27, CPU): smoke U-Net / MuseGAN 10 epochs,
  quick U-Net 3 epochs with and without the reconstruction term, quick MuseGAN 2 epochs,
  lab U-Net / MuseGAN 30 steps. Largest magnitudes seen: critic 13.5 (lab U-Net),
  generator 64.3 (quick U-Net, reconstruction weight 100), Wasserstein estimate 16.2
  (lab U-Net), gradient penalty 0.98 (smoke U-Net). Broken runs reached 4.6e13 to 4.2e19.
  Limits: 1e6 for critic, generator and Wasserstein, 1e4 for the unweighted penalty:
  about 10,000 times the healthy figures (the generator's limit still leaves 150x at the
  largest allowed reconstruction weight, 10,000), and seven or more orders of magnitude
  below the broken runs.
- **Import** (gan/data/limits.py): 2,000 bars and 50,000 notes per file (the longest piece
  in the built-in data has 429 bars, the densest 6,553 notes), 200,000 events; reading a
  file just inside them takes about 8 s on 2 busy cores, refusing one over them about 1 s.
- **Training data**: 1 GiB of segments (about 49,000 four-bar segments; the chorales
  make 1,074); beyond it an evenly spread subset, with a warning in the job's events.
- **Checkpoint space**: the tensors' bytes plus 256 KiB (torch's container added 41-121 kB
  for every preset's models).
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the test suite's subset")
    parser.add_argument("--only", help="rows whose function name contains this")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "faults.md")
    args = parser.parse_args()
    started = time.monotonic()
    rows = run(args.quick, args.only)
    command = "python bench/bench_faults.py" + (" --quick" if args.quick else "") + \
        (f" --only {args.only}" if args.only else "")
    text = table(rows, command, time.monotonic() - started)
    print(text)
    if not args.only:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"written to {args.out}")
    return 0 if all(r.passed == r.tried for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
