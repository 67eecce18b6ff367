"""The job store's tables and their migrations.

``PRAGMA user_version`` holds the schema version. Each migration takes the
database from version N-1 to N inside one write transaction, so a database
written by any older Polyphony opens and is upgraded in place (a crash in the
middle leaves it at the old version, never half-done). Never edit a released
migration: add a new one.

Version 1 is the design's first sketch (jobs, epochs, samples, events).
Version 2 adds what live progress and crash recovery need: the per-step
loss table (charts of jobs run from the command line), worker liveness
(pid, host, heartbeat), cancel requests, ETA, reference metrics and a
revision counter that the window polls.
"""

from __future__ import annotations

import sqlite3
from typing import Callable

import sqlite_utils


def _v1(db: sqlite_utils.Database) -> None:
    db["jobs"].create({
        "id": int, "name": str, "status": str, "architecture": str,
        "config": str, "tags": str, "tag_mode": str,
        "created": float, "started": float, "finished": float,
        "epoch": int, "total_epochs": int, "step": int, "total_steps": int,
        "similarity": float, "best_similarity": float, "best_epoch": int,
        "error": str, "device": str, "job_dir": str, "queue_position": int,
    }, pk="id", not_null={"name", "status", "config"},
        defaults={"tags": "[]", "tag_mode": "any", "epoch": 0, "total_epochs": 0,
                  "step": 0, "total_steps": 0, "error": "", "device": "",
                  "queue_position": 0})
    db["epochs"].create({
        "job_id": int, "epoch": int, "step": int,
        "critic_loss": float, "generator_loss": float, "wasserstein": float,
        "metrics": str, "similarity": float, "ceiling": float, "seconds": float,
        "checkpoint_path": str, "finished_at": float,
    }, pk=("job_id", "epoch"), foreign_keys=[("job_id", "jobs", "id")])
    db["samples"].create({"job_id": int, "epoch": int, "idx": int, "path": str},
                         pk=("job_id", "epoch", "idx"),
                         foreign_keys=[("job_id", "jobs", "id")])
    db["events"].create({"id": int, "job_id": int, "time": float, "level": str,
                         "message": str}, pk="id",
                        foreign_keys=[("job_id", "jobs", "id")])
    db["events"].create_index(["job_id", "id"])
    db["jobs"].create_index(["status", "queue_position"])


def _v2(db: sqlite_utils.Database) -> None:
    jobs = db["jobs"]
    for name, kind, default in (
            ("eta_seconds", float, None), ("steps_per_second", float, None),
            ("world_size", int, 1), ("cancel_requested", int, 0),
            ("worker_pid", int, None), ("worker_host", str, None),
            ("worker_token", str, None), ("heartbeat", float, None),
            ("reference", str, None), ("ceiling", float, None)):
        jobs.add_column(name, kind, not_null_default=default)
    db["steps"].create({
        "job_id": int, "step": int, "epoch": int, "time": float,
        "critic_loss": float, "generator_loss": float, "wasserstein": float,
    }, pk=("job_id", "step"), foreign_keys=[("job_id", "jobs", "id")])
    db["revision"].create({"id": int, "value": int}, pk="id")
    db.execute("INSERT INTO revision (id, value) VALUES (1, 1)")


def _v3(db: sqlite_utils.Database) -> None:
    # the generator loss's two parts, for the charts (NULL in older rows)
    for name in ("adversarial_loss", "reconstruction_loss"):
        db["steps"].add_column(name, float)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3]
LATEST = len(MIGRATIONS)


def version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, target: int = LATEST) -> int:
    """Bring the database up to ``target``; returns the version found.

    ``conn`` is in autocommit mode; each step is its own IMMEDIATE
    transaction so two processes opening an old file at once do not both
    migrate it (the second one re-reads the version under the lock).
    """
    found = version(conn)
    if found > LATEST:
        raise RuntimeError(
            f"the job database was written by a newer Polyphony (schema {found}, "
            f"this version knows up to {LATEST}); update Polyphony to open it")
    if found >= target:
        return found
    db = sqlite_utils.Database(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = version(conn)
        for number in range(current + 1, target + 1):
            MIGRATIONS[number - 1](db)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return found
