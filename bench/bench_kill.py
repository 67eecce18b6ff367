"""SIGKILL training jobs 20 times at random moments; write the figures.

    .venv/bin/python bench/bench_kill.py [--kills 20] [--seed 7] [--out docs/bench/jobs.md]

Each kill hits a `python main.py train` / `jobs resume` child (smoke preset,
3 epochs) at a moment drawn from a seeded generator: during start-up, at a
training step, around an epoch's end (samples, metrics, checkpoint and epoch
row being written) or just after an epoch. After each kill the checks of
tests/fixtures/kill_harness.py run (integrity_check, interrupted, no epoch
row missing before the newest checkpoint, sample rows complete); at the end
every job is resumed and must complete. Any failed check stops the script
with the reason. Also measures what the window's 2-4 Hz poll costs
(JobStore.change_counter) and a full refresh (JobStore.list) on the result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _poll_cost(db: Path) -> tuple[float, float, int]:
    from app.jobs.store import JobStore

    store = JobStore(db)
    n = 2000
    t = time.perf_counter()
    for _ in range(n):
        store.change_counter()
    counter_us = (time.perf_counter() - t) / n * 1e6
    runs = []
    for _ in range(50):
        t = time.perf_counter()
        jobs = store.list()
        runs.append(time.perf_counter() - t)
    store.close()
    return counter_us, statistics.median(runs) * 1e3, len(jobs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "jobs.md")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="polyphony-bench-kill-"))
    os.environ["POLYPHONY_HOME"] = str(home)
    from tests.fixtures import jobs_corpus
    from tests.fixtures.kill_harness import run_kills

    genre = jobs_corpus.install()
    load_before = os.getloadavg()[0]
    report = run_kills(home, genre, kills=args.kills, seed=args.seed, epochs=args.epochs,
                       log=lambda m: print(m, flush=True))
    load_after = os.getloadavg()[0]
    counter_us, list_ms, n_jobs = _poll_cost(home / "polyphony.db")

    by_moment = Counter(k.moment for k in report.kills)
    recovered = sum(k.recovered for k in report.kills)
    not_running = [k for k in report.kills if not k.recovered]
    command = (f".venv/bin/python bench/bench_kill.py --kills {args.kills} --seed {args.seed}"
               f" --epochs {args.epochs}")
    rows = "\n".join(
        f"| {i} | {k.moment} | {k.seconds:.2f} | {k.job_id or '-'} | {k.status_at_kill or '(no job yet)'}"
        f" | {k.last_event or '-'} | {'yes' if k.recovered else 'n/a'} |"
        for i, k in enumerate(report.kills, 1))
    text = f"""## Job store: crash safety under SIGKILL

Command: `{command}`
Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC. Machine: {os.cpu_count()} cores, no GPU,
{platform.system()} {platform.release()}, Python {platform.python_version()};
load average {load_before:.1f} before / {load_after:.1f} after (other work shared the cores,
so the seconds below are not a speed figure).

| figure | value |
|---|---|
| SIGKILLs that landed on a live child | **{len(report.kills)}** ({', '.join(f'{m}: {n}' for m, n in sorted(by_moment.items()))}) |
| `PRAGMA integrity_check` = ok after each kill | **{len(report.kills)} / {len(report.kills)}** |
| running job found `interrupted` by `recover_orphans` | **{recovered} / {recovered}** kills that hit a running job |
| kills before the job row was running (start-up) or after it completed | {len(not_running)} (checked: no job left `running`) |
| epoch rows missing before the newest checkpoint / gaps / incomplete sample rows | **0** (checked after every kill) |
| jobs that ended `completed`, each epoch recorded once | **{len(report.jobs)} / {len(report.jobs)}** ({report.resumed_to_completion} finished by `jobs resume` after a kill, {report.resumes_completed} of them in the final unkilled pass) |
| children started / ended by themselves before their kill | {report.child_starts} / {report.completed_before_kill} |
| total wall time | {report.seconds:.0f} s |
| `JobStore.change_counter()` (the window's poll) | {counter_us:.0f} µs per call |
| `JobStore.list()` with {n_jobs} jobs | {list_ms:.2f} ms |

<details><summary>every kill</summary>

| # | aimed at | seconds into the child | job | job status at the kill | last event printed | came back interrupted |
|---|---|---|---|---|---|---|
{rows}

</details>
"""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {args.out}")
    import shutil

    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
