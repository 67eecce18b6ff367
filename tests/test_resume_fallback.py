"""A damaged newest checkpoint no longer blocks resume for good (issue 15,
item 7), and leftovers of a killed checkpoint write are cleaned (item 9)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

from app.jobs.runner import run_job
from app.jobs.store import JobStore
from gan.config import preset
from gan.training.events import EpochReport
from tests.fixtures import jobs_corpus


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_resume_falls_back_to_the_newest_checkpoint_that_loads(polyphony_home):
    genre = jobs_corpus.install()
    store = JobStore()
    # keep_every=1: every epoch's checkpoint stays (retention would prune epoch 1)
    config = dataclasses.replace(preset("smoke"), epochs=3, steps_per_epoch=2, metric_samples=8,
                                 keep_every=1)
    job_id = store.create("truncated", config, [f"genre={genre}"])
    stop = []  # stopped after epoch 2, as a user's Cancel would
    status = run_job(job_id, store, should_stop=lambda: bool(stop),
                     on_event=lambda e: stop.append(1) if isinstance(e, EpochReport)
                     and e.epoch == 2 else None)
    assert status == "cancelled" and store.resume_point(job_id)[0] == 2
    checkpoints = store.get(job_id).job_dir / "checkpoints"
    latest = checkpoints / "latest.pt"
    assert os.path.samefile(latest, checkpoints / "epoch_0002.pt")  # one file, two names
    with open(latest, "r+b") as fh:
        fh.truncate(latest.stat().st_size // 3)  # epoch_0002.pt is cut short as well
    stale = checkpoints / f".epoch_0003.pt.tmp{_dead_pid()}"
    stale.write_bytes(b"half of a checkpoint a killed run was writing")

    assert run_job(job_id, store) == "completed"  # was: failed, and again on every retry
    events = [e.message for e in store.events(job_id)]
    assert any(m.startswith("Checkpoint epoch_0002.pt cannot be read") for m in events)
    assert any("Resuming from epoch_0001.pt (epoch 1), the newest checkpoint that loads" in m
               for m in events)
    assert any(m.startswith("Removed 1 half-written checkpoint") for m in events)
    assert not stale.exists()
    assert [e.epoch for e in store.epochs(job_id)] == [1, 2, 3]  # epoch 2 redone, once
    assert store.get(job_id).epoch == 3
    store.close()
