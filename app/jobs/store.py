"""The job store: one SQLite file (WAL) under the user data directory.

Qt-free: the window, the command line and a cluster node all use it, and
several processes may use one file at once (the window polls while the
command line trains). Rules that make that safe:

- one connection per thread (``threading.local``), never shared;
- every write is one short ``BEGIN IMMEDIATE`` transaction; "database is
  locked" is retried with backoff so it never reaches the user;
- every write bumps a revision counter, so the window can poll one integer
  (``change_counter``) instead of re-reading tables;
- file-system trouble (read-only folder, full disk) becomes a ``StoreError``
  with a plain message, never a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from app import paths
from gan.config import TrainConfig

from app.jobs import liveness, schema
from app.jobs.errors import (InvalidTransition, JobNotFound, StoreError, friendly,
                             is_busy)
from app.jobs.records import (FINAL, RESUMABLE, STATUSES, TRANSITIONS, EpochRow, EventRow,
                              Job, SampleRow, StepRow, config_from_json)
from app.jobs.queue import QueueMixin
from app.jobs.run_log import RunLogMixin

__all__ = ["STATUSES", "RESUMABLE", "Job", "EpochRow", "StepRow", "SampleRow", "EventRow",
           "FINAL", "JobStore", "StoreError", "InvalidTransition", "JobNotFound",
           "JobIsRunning", "job_summary"]

T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000
# Total patience for a lock before giving up (on top of SQLite's own
# busy_timeout per attempt). Writers hold locks for milliseconds, so reaching
# this means something is badly wrong, and then the message says so.
LOCK_PATIENCE_S = 60.0
TAG_MODES = ("any", "all")


class JobIsRunning(InvalidTransition):
    def __init__(self, job_id: int, action: str):
        ValueError.__init__(self, f"job {job_id} is running: cancel it first "
                                  f"(python main.py jobs cancel {job_id}), then {action} it")
        self.job_id, self.old, self.new = job_id, "running", action


class JobStore(QueueMixin, RunLogMixin):
    def __init__(self, path: str | Path | None = None, jobs_root: str | Path | None = None):
        try:
            self.path = Path(path) if path is not None else paths.database_path()
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise friendly(exc, Path(path) if path is not None else "the data folder") from exc
        # Job folders sit beside the database (for the default database that
        # is app.paths.jobs_dir()), so two stores never share folders.
        self.jobs_root = Path(jobs_root) if jobs_root is not None else self.path.parent / "jobs"
        self._local = threading.local()
        self._conn()  # open now: bad paths fail here, on the caller's thread

    # -- connections ---------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid != os.getpid():
            # A forked child must not use its parent's connection (SQLite's
            # locks would be shared): abandon it, untouched, and open anew.
            conn = None
        if conn is None:
            conn = self._retry(self._open)
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                raise StoreError(f"{self.path} cannot use write-ahead logging "
                                 f"(is it on a network drive?)")
            # WAL + NORMAL: a killed process never corrupts the file or loses
            # committed rows; only a power cut may drop the last commits.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            schema.migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        """Close this thread's connection (other threads keep theirs)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            conn.close()

    def _retry(self, fn: Callable[[], T]) -> T:
        delay, deadline = 0.005, time.monotonic() + LOCK_PATIENCE_S
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if is_busy(exc) and time.monotonic() < deadline:
                    time.sleep(delay)
                    delay = min(delay * 2, 0.25)
                    continue
                if is_busy(exc):
                    raise StoreError(f"the job database {self.path} stayed locked for "
                                     f"{LOCK_PATIENCE_S:.0f} s by another program") from exc
                raise friendly(exc, self.path) from exc
            except (sqlite3.IntegrityError, sqlite3.ProgrammingError,
                    sqlite3.InterfaceError):
                raise  # our own bug, not the disk's: keep the real error
            except sqlite3.DatabaseError as exc:  # "file is not a database", ...
                raise friendly(exc, self.path) from exc
            except OSError as exc:
                raise friendly(exc, self.path) from exc

    def _tx(self, fn: Callable[[sqlite3.Connection], T], bump: bool = True) -> T:
        """Run ``fn`` in one short write transaction (retried when locked).
        ``bump=False`` for writes nobody watches (heartbeats), so the window
        does not refresh for them."""
        conn = self._conn()

        def attempt() -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
                if bump:
                    conn.execute("UPDATE revision SET value = value + 1 WHERE id = 1")
                conn.execute("COMMIT")
                return result
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        return self._retry(attempt)

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        conn = self._conn()
        return self._retry(lambda: conn.execute(sql, tuple(params)).fetchall())

    # -- reading -------------------------------------------------------
    def _job(self, row: sqlite3.Row, queue_rank: dict[int, int]) -> Job:
        return Job(
            id=row["id"], name=row["name"], status=row["status"],
            architecture=row["architecture"] or "", config=config_from_json(row["config"]),
            tags=list(json.loads(row["tags"] or "[]")), tag_mode=row["tag_mode"] or "any",
            created=row["created"] or 0.0, started=row["started"], finished=row["finished"],
            epoch=row["epoch"] or 0, total_epochs=row["total_epochs"] or 0,
            step=row["step"] or 0, total_steps=row["total_steps"] or 0,
            similarity=row["similarity"], best_similarity=row["best_similarity"],
            best_epoch=row["best_epoch"], error=row["error"] or "",
            eta_seconds=row["eta_seconds"], steps_per_second=row["steps_per_second"],
            device=row["device"] or "", world_size=row["world_size"] or 1,
            job_dir=Path(row["job_dir"] or self.jobs_root / str(row["id"])),
            queue_position=queue_rank.get(row["id"], -1))

    def _queue_rank(self) -> dict[int, int]:
        rows = self._rows("SELECT id FROM jobs WHERE status = 'queued' "
                          "ORDER BY queue_position, id")
        return {r["id"]: i for i, r in enumerate(rows)}

    def get(self, job_id: int) -> Job:
        rows = self._rows("SELECT * FROM jobs WHERE id = ?", (int(job_id),))
        if not rows:
            raise JobNotFound(job_id)
        return self._job(rows[0], self._queue_rank() if rows[0]["status"] == "queued" else {})

    def list(self, statuses: Iterable[str] | None = None) -> list[Job]:
        """Jobs, newest first (optionally only those in ``statuses``)."""
        sql, params = "SELECT * FROM jobs", []
        if statuses is not None:
            statuses = list(statuses)
            unknown = [s for s in statuses if s not in STATUSES]
            if unknown:
                raise ValueError(f"unknown status {unknown[0]!r}: must be one of "
                                 f"{', '.join(STATUSES)}")
            sql += f" WHERE status IN ({','.join('?' * len(statuses))})"
            params = statuses
        rank = self._queue_rank()
        return [self._job(r, rank) for r in self._rows(sql + " ORDER BY id DESC", params)]

    def _require(self, job_id: int) -> None:
        if not self._rows("SELECT 1 FROM jobs WHERE id = ?", (int(job_id),)):
            raise JobNotFound(job_id)

    def epochs(self, job_id: int) -> list[EpochRow]:
        self._require(job_id)
        return [EpochRow(epoch=r["epoch"], step=r["step"] or 0, critic_loss=r["critic_loss"],
                         generator_loss=r["generator_loss"], wasserstein=r["wasserstein"],
                         metrics=json.loads(r["metrics"] or "{}"), similarity=r["similarity"],
                         ceiling=r["ceiling"], seconds=r["seconds"],
                         checkpoint_path=r["checkpoint_path"] or "",
                         finished_at=r["finished_at"] or 0.0)
                for r in self._rows("SELECT * FROM epochs WHERE job_id = ? ORDER BY epoch",
                                    (job_id,))]

    def steps(self, job_id: int, after_step: int = 0) -> list[StepRow]:
        return [StepRow(step=r["step"], epoch=r["epoch"], time=r["time"],
                        critic_loss=r["critic_loss"], generator_loss=r["generator_loss"],
                        wasserstein=r["wasserstein"])
                for r in self._rows("SELECT * FROM steps WHERE job_id = ? AND step > ? "
                                    "ORDER BY step", (job_id, after_step))]

    def samples(self, job_id: int, epoch: int | None = None) -> list[SampleRow]:
        sql, params = "SELECT * FROM samples WHERE job_id = ?", [job_id]
        if epoch is not None:
            sql, params = sql + " AND epoch = ?", params + [epoch]
        return [SampleRow(epoch=r["epoch"], index=r["idx"], path=r["path"])
                for r in self._rows(sql + " ORDER BY epoch, idx", params)]

    def events(self, job_id: int, after_id: int = 0) -> list[EventRow]:
        return [EventRow(id=r["id"], time=r["time"], level=r["level"], message=r["message"])
                for r in self._rows("SELECT * FROM events WHERE job_id = ? AND id > ? "
                                    "ORDER BY id", (job_id, after_id))]

    def reference(self, job_id: int) -> tuple[dict[str, float], float]:
        rows = self._rows("SELECT reference, ceiling FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            raise JobNotFound(job_id)
        ceiling = rows[0]["ceiling"]
        return (json.loads(rows[0]["reference"] or "{}"),
                float("nan") if ceiling is None else ceiling)

    def change_counter(self) -> int:
        """Grows whenever anything is written, by any process. One indexed
        read of one row: fine for a 2-4 Hz timer."""
        return self._rows("SELECT value FROM revision WHERE id = 1")[0][0]

    def cancel_requested(self, job_id: int) -> bool:
        rows = self._rows("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,))
        return bool(rows and rows[0][0])

    def last_checkpoint(self, job_id: int) -> Path | None:
        """Checkpoint of the last epoch that has its row. A checkpoint file
        written just before a crash, whose epoch row never made it, is not
        used: resuming from it would leave that epoch's row missing forever."""
        point = self.resume_point(job_id)
        return point[1] if point else None

    def resume_point(self, job_id: int) -> tuple[int, Path] | None:
        """(epoch, checkpoint) that a resume starts from (see last_checkpoint)."""
        for r in self._rows("SELECT epoch, checkpoint_path FROM epochs WHERE job_id = ? "
                            "ORDER BY epoch DESC", (job_id,)):
            if r[1] and Path(r[1]).is_file():
                return r[0], Path(r[1])
        return None

    # -- creating and changing jobs ---------------------------------------
    def create(self, name: str, config: TrainConfig, tags: list[str],
               tag_mode: str = "any", *, claim: bool = False) -> int:
        """A new queued job; with ``claim=True`` it is created already
        running in this process (see ``claim``), so no queue runner
        elsewhere can take it between its creation and its start."""
        config.validate()
        if tag_mode not in TAG_MODES:
            raise ValueError(f"tag mode {tag_mode!r} is not allowed: must be any or all")
        tags = [str(t) for t in tags]
        name = (name or "").strip() or f"{config.architecture} {' '.join(tags)}".strip()

        def insert(conn: sqlite3.Connection) -> int:
            position = conn.execute("SELECT COALESCE(MAX(queue_position), -1) + 1 "
                                    "FROM jobs").fetchone()[0]
            cur = conn.execute(
                "INSERT INTO jobs (name, status, architecture, config, tags, tag_mode, "
                "created, total_epochs, queue_position) VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
                (name, config.architecture, config.to_json(), json.dumps(tags), tag_mode,
                 time.time(), config.epochs, position))
            job_id = cur.lastrowid
            conn.execute("UPDATE jobs SET job_dir = ? WHERE id = ?",
                         (str(self.jobs_root / str(job_id)), job_id))
            self._event(conn, job_id, f"Created ({config.architecture}, {config.epochs} "
                                      f"epochs, tags {', '.join(tags) or 'none'})")
            if claim:
                liveness.mark_active(str(self.path), job_id, True)
                self._transition(conn, job_id, "running")
            return job_id

        job_id = self._tx(insert)
        folder = self.jobs_root / str(job_id)
        try:
            # A folder with a fresh id belongs to no job (left by a database
            # that was deleted by hand): start it empty.
            if folder.exists():
                shutil.rmtree(folder)
            (folder / "checkpoints").mkdir(parents=True)
        except OSError as exc:
            self._tx(lambda conn: self._delete_rows(conn, job_id))
            if claim:
                self.release(job_id)
            raise friendly(exc, folder) from exc
        return job_id

    @staticmethod
    def _event(conn: sqlite3.Connection, job_id: int, message: str, level: str = "info") -> None:
        conn.execute("INSERT INTO events (job_id, time, level, message) VALUES (?, ?, ?, ?)",
                     (job_id, time.time(), level, message))
        # the rotating log file (app/logging_setup.py) keeps job events for bug reports
        logging.getLogger("polyphony.jobs").log(getattr(logging, level.upper(), logging.INFO),
                                                "job %s: %s", job_id, message)

    def add_event(self, job_id: int, message: str, level: str = "info") -> None:
        def do(conn: sqlite3.Connection) -> None:
            self._status_of(conn, job_id)  # JobNotFound rather than a foreign-key error
            self._event(conn, job_id, message, level)

        self._tx(do)

    @staticmethod
    def _status_of(conn: sqlite3.Connection, job_id: int) -> str:
        row = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(job_id)
        return row[0]

    def _transition(self, conn: sqlite3.Connection, job_id: int, new: str,
                    error: str = "") -> str:
        """Move one job's status inside a transaction; returns the old one."""
        if new not in STATUSES:
            raise ValueError(f"unknown status {new!r}: must be one of {', '.join(STATUSES)}")
        old = self._status_of(conn, job_id)
        if new not in TRANSITIONS[old]:
            raise InvalidTransition(job_id, old, new)
        now = time.time()
        if new == "queued":
            position = conn.execute("SELECT COALESCE(MAX(queue_position), -1) + 1 "
                                    "FROM jobs").fetchone()[0]
            conn.execute("UPDATE jobs SET status = 'queued', error = '', finished = NULL, "
                         "cancel_requested = 0, eta_seconds = NULL, queue_position = ? "
                         "WHERE id = ?", (position, job_id))
        elif new == "running":
            conn.execute("UPDATE jobs SET status = 'running', error = '', finished = NULL, "
                         "cancel_requested = 0, started = COALESCE(started, ?), "
                         "worker_pid = ?, worker_host = ?, worker_token = ?, heartbeat = ? "
                         "WHERE id = ?", (now, *self._worker(), now, job_id))
        else:
            conn.execute("UPDATE jobs SET status = ?, error = ?, finished = ?, "
                         "eta_seconds = NULL, cancel_requested = 0 WHERE id = ?",
                         (new, error, now, job_id))
        message = f"Status {old} -> {new}" + (f": {error}" if error else "")
        level = {"failed": "error", "interrupted": "warning"}.get(new, "info")
        self._event(conn, job_id, message, level)
        return old

    @staticmethod
    def _worker() -> tuple[int, str, str]:
        return os.getpid(), liveness.host(), liveness.process_token()

    def set_status(self, job_id: int, status: str, error: str = "") -> None:
        self._tx(lambda conn: self._transition(conn, job_id, status, error))

    def cancel(self, job_id: int) -> None:
        """Queued -> cancelled at once; running -> a request the runner sees
        between steps (it then ends the run as cancelled, resumable)."""
        def do(conn: sqlite3.Connection) -> None:
            status = self._status_of(conn, job_id)
            if status == "running":
                conn.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))
                self._event(conn, job_id, "Cancel requested")
            else:
                self._transition(conn, job_id, "cancelled")

        self._tx(do)

    @staticmethod
    def _delete_rows(conn: sqlite3.Connection, job_id: int) -> None:
        for table in ("steps", "samples", "epochs", "events"):
            conn.execute(f"DELETE FROM {table} WHERE job_id = ?", (job_id,))
        conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def delete(self, job_id: int) -> None:
        """Remove a job, its rows and its folder. A running job is refused."""
        def do(conn: sqlite3.Connection) -> str:
            if self._status_of(conn, job_id) == "running":
                raise JobIsRunning(job_id, "delete")
            row = conn.execute("SELECT job_dir FROM jobs WHERE id = ?", (job_id,)).fetchone()
            self._delete_rows(conn, job_id)
            return row[0] or str(self.jobs_root / str(job_id))

        folder = Path(self._tx(do))
        try:
            shutil.rmtree(folder)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise friendly(exc, folder) from exc

def job_summary(job: Job) -> dict[str, Any]:
    """The few fields ``jobs list --json`` promises (plus a little context)."""
    return {"id": job.id, "name": job.name, "status": job.status, "epoch": job.epoch,
            "total_epochs": job.total_epochs, "similarity_index": job.similarity,
            "best_similarity": job.best_similarity, "progress": round(job.progress, 4),
            "tags": job.tags, "created": job.created, "error": job.error}

