"""The job store: one SQLite file (WAL) under the user data directory.

Qt-free: the window, the command line and a cluster node all use it, and
several processes may use one file at once (the window polls while the
command line trains). ``JobStore`` is made of collaborators, each with one
job, and hands their methods out as its own:

- ``Database`` (app.jobs.database): connections, transactions, retries,
  the integrity check on open, read-only opening;
- ``JobQueue`` (app.jobs.queue): queue order, claiming, orphaned runs;
- ``RunLog`` (app.jobs.run_log): the rows a training run writes;
- job folders (app.jobs.folders): one per job, never reused or emptied
  when the store does not know them.

The store itself reads jobs and changes their status.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from app import paths
from gan.config import TrainConfig
from gan.util.numbers import nan_if_none

from app.jobs import folders, lifecycle, liveness
from app.jobs.database import Database
from app.jobs.errors import (InvalidTransition, JobNotFound, StoreDamaged, StoreError,
                             StoreReadOnly, friendly)
from app.jobs.queue import JobQueue
from app.jobs.records import (FINAL, RESUMABLE, STATUSES, EpochRow, EventRow, Job,
                              SampleRow, StepRow, job_from_row)
from app.jobs.run_log import RunLog

if TYPE_CHECKING:
    from gan.training.events import EpochReport, RunStarted

__all__ = ["STATUSES", "RESUMABLE", "Job", "EpochRow", "StepRow", "SampleRow", "EventRow",
           "FINAL", "JobStore", "StoreError", "StoreDamaged", "StoreReadOnly",
           "InvalidTransition", "JobNotFound", "JobIsRunning", "job_summary"]

TAG_MODES = ("any", "all")


class JobIsRunning(InvalidTransition):
    def __init__(self, job_id: int, action: str):
        ValueError.__init__(self, f"job {job_id} is running: cancel it first "
                                  f"(python main.py jobs cancel {job_id}), then {action} it")
        self.job_id, self.old, self.new = job_id, "running", action


class JobStore:
    def __init__(self, path: str | Path | None = None, jobs_root: str | Path | None = None,
                 *, read_only: bool = False):
        """Open (or create) the store. ``read_only=True`` never writes and
        never creates anything: for browsing a copied or read-only folder."""
        try:
            self.path = Path(path) if path is not None else paths.database_path()
            if not read_only:
                self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise friendly(exc, Path(path) if path is not None else "the data folder") from exc
        # Job folders sit beside the database (for the default database that
        # is app.paths.jobs_dir()), so two stores never share folders.
        self.jobs_root = Path(jobs_root) if jobs_root is not None else self.path.parent / "jobs"
        self.db = Database(self.path, read_only=read_only)
        self.queue = JobQueue(self.db, self.jobs_root)
        self.run_log = RunLog(self.db)
        self.db.conn()  # open now: bad paths fail here, on the caller's thread

    @property
    def read_only(self) -> bool:
        return self.db.read_only

    @property
    def damage(self) -> str | None:
        """What the integrity check found wrong with the file (None: sound)."""
        return self.db.damage

    def close(self) -> None:
        """Close this thread's connection (other threads keep theirs)."""
        self.db.close()

    # -- reading -------------------------------------------------------
    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return self.db.rows(sql, params)

    def _not_found(self, job_id: int) -> Exception:
        """On a damaged file a missing job may sit on a damaged page: say so."""
        return StoreDamaged(self.path, self.damage) if self.damage else JobNotFound(job_id)

    def get(self, job_id: int) -> Job:
        rows = self._rows("SELECT * FROM jobs WHERE id = ?", (int(job_id),))
        if not rows:
            raise self._not_found(job_id)
        rank = self.queue.rank() if rows[0]["status"] == "queued" else {}
        return job_from_row(rows[0], self.jobs_root, rank)

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
        rank = self.queue.rank()
        return [job_from_row(r, self.jobs_root, rank)
                for r in self._rows(sql + " ORDER BY id DESC", params)]

    def _require(self, job_id: int) -> None:
        if not self._rows("SELECT 1 FROM jobs WHERE id = ?", (int(job_id),)):
            raise self._not_found(job_id)

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
                        wasserstein=r["wasserstein"], adversarial_loss=r["adversarial_loss"],
                        reconstruction_loss=r["reconstruction_loss"])
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
        return json.loads(rows[0]["reference"] or "{}"), nan_if_none(ceiling)

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
        """(epoch, checkpoint) that a resume starts from (see last_checkpoint).
        Only checks that the file exists; app.jobs.resume also reads it and
        falls back to an older one when it is damaged."""
        points = self.resume_candidates(job_id)
        return points[0] if points else None

    def resume_candidates(self, job_id: int) -> list[tuple[int, Path]]:
        """(epoch, checkpoint) of every epoch row whose file exists, newest first."""
        return [(r[0], Path(r[1])) for r in self._rows(
            "SELECT epoch, checkpoint_path FROM epochs WHERE job_id = ? ORDER BY epoch DESC",
            (job_id,)) if r[1] and Path(r[1]).is_file()]

    def known_folders(self) -> set[Path]:
        """Every job folder a row of this store names."""
        return {Path(r[0]) if r[0] else self.jobs_root / str(r[1])
                for r in self._rows("SELECT job_dir, id FROM jobs")}

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
        created = time.time()

        def insert(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO jobs (name, status, architecture, config, tags, tag_mode, "
                "created, total_epochs, queue_position) VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
                (name, config.architecture, config.to_json(), json.dumps(tags), tag_mode,
                 created, config.epochs, lifecycle.next_queue_position(conn)))
            job_id = cur.lastrowid
            conn.execute("UPDATE jobs SET job_dir = ? WHERE id = ?",
                         (str(self.jobs_root / str(job_id)), job_id))
            lifecycle.event(conn, job_id, f"Created ({config.architecture}, {config.epochs} "
                                          f"epochs, tags {', '.join(tags) or 'none'})")
            if claim:
                liveness.mark_active(str(self.path), job_id, True)
                lifecycle.transition(conn, job_id, "running")
            return job_id

        job_id = self.db.tx(insert)
        folder = self.jobs_root / str(job_id)
        try:
            folder = folders.make_job_folder(self.jobs_root, job_id)
            folders.write_job_file(folder, {
                "id": job_id, "name": name, "tags": tags, "tag_mode": tag_mode,
                "created": created, "config": config.to_dict()})
        except OSError as exc:
            self.db.tx(lambda conn: lifecycle.delete_rows(conn, job_id))
            if claim:
                self.release(job_id)
            raise friendly(exc, folder) from exc
        if folder.name != str(job_id):
            self._moved_aside(job_id, folder)
        return job_id

    def _moved_aside(self, job_id: int, folder: Path) -> None:
        """The job's own-id folder belongs to no job here (a database that
        was moved, lost or rebuilt left it): it is kept, untouched."""
        def do(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE jobs SET job_dir = ? WHERE id = ?", (str(folder), job_id))
            lifecycle.event(conn, job_id, f"Folder {self.jobs_root / str(job_id)} belongs to no "
                                          f"job in this database, so it was kept as it is; this "
                                          f"job uses {folder} (`python main.py jobs adopt` "
                                          f"brings the old one back)", "warning")

        self.db.tx(do)

    def add_event(self, job_id: int, message: str, level: str = "info") -> None:
        def do(conn: sqlite3.Connection) -> None:
            lifecycle.status_of(conn, job_id)  # JobNotFound rather than a foreign-key error
            lifecycle.event(conn, job_id, message, level)

        self.db.tx(do)

    def set_status(self, job_id: int, status: str, error: str = "") -> None:
        self.db.tx(lambda conn: lifecycle.transition(conn, job_id, status, error))

    def cancel(self, job_id: int) -> None:
        """Queued -> cancelled at once; running -> a request the runner sees
        between steps (it then ends the run as cancelled, resumable)."""
        def do(conn: sqlite3.Connection) -> None:
            status = lifecycle.status_of(conn, job_id)
            if status == "running":
                conn.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))
                lifecycle.event(conn, job_id, "Cancel requested")
            else:
                lifecycle.transition(conn, job_id, "cancelled")

        self.db.tx(do)

    def clone(self, job_id: int, name: str | None = None) -> int:
        """A new queued job with the same settings and tags."""
        job = self.get(job_id)
        return self.create(name or f"{job.name} (again)", job.config, job.tags, job.tag_mode)

    def delete(self, job_id: int) -> None:
        """Remove a job, its rows and its folder. A running job is refused."""
        def do(conn: sqlite3.Connection) -> str:
            if lifecycle.status_of(conn, job_id) == "running":
                raise JobIsRunning(job_id, "delete")
            row = conn.execute("SELECT job_dir FROM jobs WHERE id = ?", (job_id,)).fetchone()
            lifecycle.delete_rows(conn, job_id)
            return row[0] or str(self.jobs_root / str(job_id))

        folder = Path(self.db.tx(do))
        try:
            shutil.rmtree(folder)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise friendly(exc, folder) from exc

    # -- the queue (app.jobs.queue) ---------------------------------------
    def claim(self, job_id: int) -> bool:
        return self.queue.claim(job_id)

    def release(self, job_id: int) -> None:
        self.queue.release(job_id)

    def resume(self, job_id: int) -> None:
        self.queue.resume(job_id)

    def move(self, job_id: int, position: int) -> None:
        self.queue.move(job_id, position)

    def next_queued(self) -> Job | None:
        return self.queue.next_queued()

    def recover_orphans(self) -> list[int]:
        return self.queue.recover_orphans()

    # -- what a run writes (app.jobs.run_log) -----------------------------
    def record_run_started(self, job_id: int, ev: "RunStarted") -> None:
        self.run_log.record_run_started(job_id, ev)

    def record_steps(self, job_id: int, rows: list[StepRow], step: int,
                     steps_per_second: float | None, eta_seconds: float | None) -> None:
        self.run_log.record_steps(job_id, rows, step, steps_per_second, eta_seconds)

    def record_epoch(self, job_id: int, ev: "EpochReport") -> None:
        self.run_log.record_epoch(job_id, ev)

    def record_finished(self, job_id: int, status: str, error: str = "") -> None:
        self.run_log.record_finished(job_id, status, error)

    def heartbeat(self, job_id: int) -> None:
        self.run_log.heartbeat(job_id)


def job_summary(job: Job) -> dict[str, Any]:
    """The few fields ``jobs list --json`` promises (plus a little context)."""
    return {"id": job.id, "name": job.name, "status": job.status, "epoch": job.epoch,
            "total_epochs": job.total_epochs, "similarity_index": job.similarity,
            "best_similarity": job.best_similarity, "progress": round(job.progress, 4),
            "tags": job.tags, "created": job.created, "error": job.error}
