"""One line per finished epoch in the run folder (``epochs.jsonl``).

Checkpoints are pruned as a run goes (gan.training.retention), so they no
longer hold every epoch's figures; this small log does: scores, metrics,
losses, seconds, and the checkpoint's file name. A job folder rebuilt into
the job store after the database was lost (app.jobs.adopt) gets every
epoch back from it. Appending a line is the only write: a run killed mid-
write leaves at most one broken last line, which readers skip.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from gan.util.numbers import finite_or_none

LOG_NAME = "epochs.jsonl"


def append_epoch(run_dir: str | Path, report) -> None:
    """Add an ``EpochReport``'s figures to the run's log."""
    record = {
        "epoch": report.epoch, "step": report.step, "time": time.time(),
        "similarity": finite_or_none(report.similarity), "ceiling": finite_or_none(report.ceiling),
        "critic_loss": finite_or_none(report.critic_loss),
        "generator_loss": finite_or_none(report.generator_loss),
        "wasserstein": finite_or_none(report.wasserstein), "seconds": finite_or_none(report.seconds),
        "metrics": {k: finite_or_none(v) for k, v in report.metrics.items()},
        "checkpoint": Path(report.checkpoint_path).name,
    }
    with open(Path(run_dir) / LOG_NAME, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


def read_epochs(run_dir: str | Path) -> dict[int, dict]:
    """epoch -> its record (the last one written for that epoch: a resumed
    run writes the epochs after its checkpoint again)."""
    path = Path(run_dir) / LOG_NAME
    out: dict[int, dict] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, UnicodeDecodeError, OSError):
        return out
    for line in lines:
        try:
            record = json.loads(line)
            out[int(record["epoch"])] = record
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a kill, or edited by hand
    return out
