"""Adopting job folders the store does not know: rows rebuilt from the files.

A job folder describes itself: ``job.json`` (name, tags, settings; written
since this version), ``epochs.jsonl`` (every epoch's scores, metrics and
losses, gan.training.epoch_log) and the checkpoints the run kept, which
carry their config, epoch, step, similarity, music metrics and genre;
samples are ``samples/epoch_EEEE_II.mid``.
``adopt_orphans`` turns every such folder that no row names into a job again:
``completed`` when its last checkpoint is the run's last epoch, else
``interrupted`` (resumable from that checkpoint). Nothing in the folder is
changed. The losses come from the epoch log, or from a damaged database that
still holds them (app.jobs.recovery) for folders written before the log.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gan.config import TrainConfig
from gan.util.numbers import finite_or_none

from app.jobs import folders, lifecycle
from app.jobs.records import config_from_json
from app.jobs.run_log import RunLog

_EPOCH_FILE = re.compile(r"^epoch_(\d+)\.pt$")
_SAMPLE_FILE = re.compile(r"^epoch_(\d+)_(\d+)\.mid$")
LOSS_KEYS = ("critic_loss", "generator_loss", "wasserstein", "seconds")


@dataclass
class EpochFacts:
    epoch: int
    step: int
    similarity: float | None
    metrics: dict[str, float]
    checkpoint: Path | None  # None: pruned (gan.training.retention) or unreadable
    losses: dict[str, float | None] = field(default_factory=dict)  # from the epoch log
    finished_at: float | None = None


@dataclass
class FolderJob:
    """What a job folder says about its job."""

    folder: Path
    name: str
    config: TrainConfig
    tags: list[str]
    tag_mode: str
    created: float
    epochs: list[EpochFacts] = field(default_factory=list)
    samples: list[tuple[int, int, str]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    @property
    def last_epoch(self) -> int:
        return self.epochs[-1].epoch if self.epochs else 0

    @property
    def status(self) -> str:
        return "completed" if self.epochs and self.last_epoch >= self.config.epochs \
            else "interrupted"


@dataclass
class AdoptReport:
    # (folder, job id, status, epochs)
    adopted: list[tuple[Path, int, str, int]] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)  # folder, reason


def _finite(value: Any) -> float | None:
    try:
        return finite_or_none(value)
    except (TypeError, ValueError):  # not a number at all (a hand-edited file)
        return None


def _read_epochs(folder: Path) -> tuple[list[EpochFacts], list[tuple[str, str]], dict]:
    """Facts of every epoch (oldest first): from the run's epoch log
    (gan.training.epoch_log), which has them all, and from every readable
    ``epoch_N.pt``; the unreadable checkpoints with their reason, and the
    newest readable checkpoint's state."""
    from gan.training.checkpoint import read_facts
    from gan.training.epoch_log import read_epochs

    found: dict[int, EpochFacts] = {}
    for number, record in read_epochs(folder).items():
        found[number] = EpochFacts(
            epoch=number, step=int(record.get("step") or 0),
            similarity=_finite(record.get("similarity")),
            metrics={str(k): v for k, v in (record.get("metrics") or {}).items() if _finite(v) is not None},
            checkpoint=None, finished_at=_finite(record.get("time")),
            losses={k: _finite(record.get(k)) for k in LOSS_KEYS})
    unreadable, newest = [], {}
    files = sorted((int(m.group(1)), p) for p in (folder / "checkpoints").glob("epoch_*.pt")
                   if (m := _EPOCH_FILE.match(p.name)))
    for number, path in files:
        try:
            state = read_facts(path)  # any version: the facts, not the weights
        except (ValueError, FileNotFoundError) as exc:
            unreadable.append((path.name, str(exc)))
            continue
        epoch = int(state.get("epoch", number))
        logged = found.get(epoch)
        found[epoch] = EpochFacts(
            epoch=epoch, step=int(state.get("step", 0)),
            similarity=_finite(state.get("similarity")),
            metrics=(logged.metrics if logged else None) or
            {str(k): v for k, v in (state.get("metrics") or {}).items() if _finite(v) is not None},
            checkpoint=path, losses=logged.losses if logged else {},
            finished_at=path.stat().st_mtime)
        newest = state
    return [found[e] for e in sorted(found)], unreadable, newest


def describe_folder(folder: Path) -> FolderJob:
    """Read a job folder; ``ValueError`` when it holds neither a readable
    checkpoint nor ``job.json`` (then nothing says what the job was)."""
    info = folders.read_job_file(folder) or {}
    epochs, unreadable, newest = _read_epochs(folder)
    settings = info.get("config") or newest.get("config")
    if not settings:
        problem = f"; {unreadable[-1][1]}" if unreadable else ""
        raise ValueError(f"no readable checkpoint and no {folders.JOB_FILE} in it{problem}")
    config = config_from_json(json.dumps(settings))
    genre = str(newest.get("genre") or "")
    tags = [str(t) for t in info.get("tags", [f"genre={genre}"] if genre else [])]
    samples = sorted((int(m.group(1)), int(m.group(2)), str(p))
                     for p in (folder / "samples").glob("epoch_*.mid")
                     if (m := _SAMPLE_FILE.match(p.name)))
    created = info.get("created")
    if not isinstance(created, (int, float)):
        created = min([p.stat().st_mtime for p in folder.iterdir()] or [time.time()])
    return FolderJob(folder=folder, name=str(info.get("name") or f"adopted {folder.name}"),
                     config=config, tags=tags, tag_mode=str(info.get("tag_mode") or "any"),
                     created=float(created), epochs=epochs, samples=samples,
                     unreadable=unreadable)


def _folder_order(folder: Path) -> tuple[int, str]:
    head = folder.name.split("-")[0]
    return (int(head) if head.isdigit() else 1 << 62, folder.name)


def job_folders(root: Path) -> list[Path]:
    """Folders under ``root`` that a training run wrote, by job number."""
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if folders.looks_like_job_folder(p)),
                  key=_folder_order)


def orphan_folders(store) -> list[Path]:
    """Job folders under the store's ``jobs`` folder that no row names."""
    known = {p.resolve() for p in store.known_folders()}
    return [p for p in job_folders(store.jobs_root) if p.resolve() not in known]


def insert_job(conn: sqlite3.Connection, job: FolderJob, old: dict | None = None) -> int:
    """The rows of one adopted job, in the caller's transaction. Keeps the
    folder's number as the id when it is free. ``old``: what a damaged
    database still held (job fields, per-epoch losses)."""
    old = old or {}
    head = job.folder.name
    wanted = int(head) if head.isdigit() else None
    if wanted is not None and conn.execute("SELECT 1 FROM jobs WHERE id = ?", (wanted,)).fetchone():
        wanted = None
    last = job.epochs[-1] if job.epochs else None
    status = job.status
    error = "" if status == "completed" else (
        f"adopted from its folder; resume to continue from epoch {job.last_epoch}")
    cur = conn.execute(
        "INSERT INTO jobs (id, name, status, architecture, config, tags, tag_mode, created, "
        "finished, epoch, total_epochs, step, job_dir, error, queue_position) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (wanted, old.get("name") or job.name, status, job.config.architecture,
         job.config.to_json(), json.dumps(old.get("tags", job.tags)),
         old.get("tag_mode") or job.tag_mode, old.get("created") or job.created, time.time(),
         job.last_epoch, job.config.epochs, last.step if last else 0, str(job.folder), error,
         lifecycle.next_queue_position(conn)))
    job_id = cur.lastrowid
    losses = old.get("epochs", {})
    for e in job.epochs:
        lost = {**e.losses, **{k: v for k, v in losses.get(e.epoch, {}).items() if v is not None}}
        conn.execute(
            "INSERT INTO epochs (job_id, epoch, step, critic_loss, generator_loss, wasserstein, "
            "metrics, similarity, seconds, checkpoint_path, finished_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (job_id, e.epoch, e.step, lost.get("critic_loss"), lost.get("generator_loss"),
             lost.get("wasserstein"), json.dumps(e.metrics), e.similarity, lost.get("seconds"),
             str(e.checkpoint) if e.checkpoint else "", e.finished_at or time.time()))
    conn.executemany("INSERT INTO samples (job_id, epoch, idx, path) VALUES (?, ?, ?, ?)",
                     [(job_id, ep, idx, path) for ep, idx, path in job.samples])
    RunLog.refresh_best(conn, job_id)
    skipped = "; ".join(f"{name}: {why}" for name, why in job.unreadable)
    lifecycle.event(conn, job_id, f"Adopted from folder {job.folder}: {len(job.epochs)} epoch(s) "
                                  f"from its epoch log and checkpoints, {len(job.samples)} "
                                  f"sample file(s)"
                                  + (f"; unreadable: {skipped}" if skipped else ""),
                    "warning" if skipped else "info")
    return job_id


def adopt_folders(store, chosen: list[Path], salvage=None) -> AdoptReport:
    """Adopt each folder in ``chosen`` (``salvage(folder, epochs) -> dict``
    supplies what an old database remembers of it)."""
    report = AdoptReport()
    for folder in chosen:
        try:
            job = describe_folder(folder)
        except ValueError as exc:
            report.refused.append((folder, str(exc)))
            continue
        old = salvage(folder, [e.epoch for e in job.epochs]) if salvage else None
        job_id = store.db.tx(lambda conn, job=job, old=old: insert_job(conn, job, old))
        report.adopted.append((folder, job_id, job.status, len(job.epochs)))
    return report


def adopt_orphans(store) -> AdoptReport:
    """Adopt every job folder of ``store`` that no row names."""
    return adopt_folders(store, orphan_folders(store))
