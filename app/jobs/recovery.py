"""Recovering from a damaged job database: keep it, rebuild from the folders.

``recover_store`` renames the damaged file (and its ``-wal``/``-shm``) to
``polyphony.db.damaged-YYYYmmdd-HHMMSS`` beside it, so nothing is lost,
creates a new database and adopts every job folder (app.jobs.adopt). Names,
tags and per-epoch losses that the damaged file can still give are kept,
read row by row so one damaged page costs only the rows on it. The command
line runs it as ``jobs recover``; the window can call the same function.
Run it while no training runs on this data folder.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from app import paths

from app.jobs.adopt import AdoptReport, adopt_folders, job_folders
from app.jobs.store import JobStore


@dataclass
class RecoveryReport:
    database: Path
    damage: str | None
    backups: list[Path] = field(default_factory=list)
    adopted: AdoptReport = field(default_factory=AdoptReport)

    @property
    def recovered(self) -> bool:
        """False when the database was sound (or missing): nothing was done."""
        return bool(self.backups)


def _backup(path: Path) -> list[Path]:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    moved = []
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            target = path.with_name(f"{path.name}.damaged-{stamp}{suffix}")
            source.rename(target)
            moved.append(target)
    return moved


class Salvage:
    """What a damaged database still holds about a job, read row by row."""

    def __init__(self, damaged: Path):
        self.conn: sqlite3.Connection | None = None
        try:
            self.conn = sqlite3.connect(f"{damaged.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error:
            self.conn = None

    def _one(self, sql: str, params: tuple):
        if self.conn is None:
            return None
        try:
            return self.conn.execute(sql, params).fetchone()
        except sqlite3.Error:  # a damaged page: that row is lost, the rest is not
            return None

    def __call__(self, folder: Path, epochs: list[int]) -> dict:
        head = folder.name
        if not head.isdigit():
            return {}
        job_id = int(head)
        row = self._one("SELECT name, tags, tag_mode, created, job_dir FROM jobs WHERE id = ?",
                        (job_id,))
        out: dict = {}
        if row is not None and (not row[4] or Path(row[4]).name == folder.name):
            try:
                out = {"name": row[0], "tags": list(json.loads(row[1] or "[]")),
                       "tag_mode": row[2], "created": row[3]}
            except (TypeError, ValueError):
                out = {}
        losses = {}
        for epoch in epochs:
            found = self._one("SELECT critic_loss, generator_loss, wasserstein, seconds "
                              "FROM epochs WHERE job_id = ? AND epoch = ?", (job_id, epoch))
            if found is not None:
                losses[epoch] = dict(zip(("critic_loss", "generator_loss", "wasserstein",
                                          "seconds"), found))
        out["epochs"] = losses
        return out

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def recover_store(path: str | Path | None = None,
                  jobs_root: str | Path | None = None) -> RecoveryReport:
    """Back up a damaged database and rebuild it from the job folders. A
    sound or missing database is left alone (``report.recovered`` is False:
    ``jobs adopt`` brings back folders a sound one does not know)."""
    path = Path(path) if path is not None else paths.database_path()
    jobs_root = Path(jobs_root) if jobs_root is not None else path.parent / "jobs"
    if not path.exists():
        return RecoveryReport(database=path, damage=None)
    probe = JobStore(path, jobs_root)
    damage = probe.damage
    probe.close()
    if not damage:
        return RecoveryReport(database=path, damage=None)
    report = RecoveryReport(database=path, damage=damage, backups=_backup(path))
    salvage = Salvage(report.backups[0])
    try:
        store = JobStore(path, jobs_root)
        report.adopted = adopt_folders(store, job_folders(jobs_root), salvage)
        store.close()
    finally:
        salvage.close()
    return report
