"""The job queue, as part of JobStore (a mixin so store.py stays readable):
queue order, taking a job to run (claim), putting one back (resume),
cloning, and finding runs whose worker died (recover_orphans).

Queued jobs run one at a time in ``queue_position`` order (creation order
unless reordered); ``runner.run_queue`` drives it. Claiming is one
transaction, so the window and the command line never run the same job.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, Callable

from app.jobs import liveness
from app.jobs.errors import InvalidTransition
from app.jobs.records import RESUMABLE

if TYPE_CHECKING:
    from pathlib import Path

    from app.jobs.records import Job


class QueueMixin:
    path: "Path"
    _tx: Callable[..., Any]
    _rows: Callable[..., list]
    _job: Callable[..., "Job"]
    _status_of: Callable[..., str]
    _transition: Callable[..., str]

    def claim(self, job_id: int) -> bool:
        """Atomically take a queued or resumable job for this process (status
        -> running). False when it is not runnable (another worker took it,
        it completed, ...): two queue runners never run the same job.
        The caller must ``release(job_id)`` when its run ends."""
        def take(conn: sqlite3.Connection) -> bool:
            if self._status_of(conn, job_id) not in ("queued",) + RESUMABLE:
                return False
            self._transition(conn, job_id, "running")
            return True

        # Marked active before the row says running, so a recover_orphans in
        # this same process (the window at start-up) never sees a gap.
        marked = liveness.mark_active(str(self.path), job_id, True)
        try:
            taken = self._tx(take)
        except BaseException:
            if marked:
                self.release(job_id)
            raise
        if not taken and marked:
            self.release(job_id)
        return taken

    def release(self, job_id: int) -> None:
        """This process no longer runs ``job_id`` (see ``claim``)."""
        liveness.mark_active(str(self.path), job_id, False)

    def resume(self, job_id: int) -> None:
        """Put an interrupted, failed or cancelled job back in the queue."""
        self.set_status(job_id, "queued")

    def clone(self, job_id: int, name: str | None = None) -> int:
        """A new queued job with the same settings and tags."""
        job = self.get(job_id)
        return self.create(name or f"{job.name} (again)", job.config, job.tags, job.tag_mode)

    def move(self, job_id: int, position: int) -> None:
        """Put a queued job at ``position`` in the queue (0 = next to run)."""
        def do(conn: sqlite3.Connection) -> None:
            status = self._status_of(conn, job_id)
            if status != "queued":
                raise InvalidTransition(job_id, status, "a new queue position "
                                        "(only queued jobs can be reordered)")
            order = [r[0] for r in conn.execute(
                "SELECT id FROM jobs WHERE status = 'queued' AND id != ? "
                "ORDER BY queue_position, id", (job_id,))]
            order.insert(max(0, min(int(position), len(order))), job_id)
            base = conn.execute("SELECT MIN(queue_position) FROM jobs "
                                "WHERE status = 'queued'").fetchone()[0] or 0
            for offset, jid in enumerate(order):
                conn.execute("UPDATE jobs SET queue_position = ? WHERE id = ?",
                             (base + offset, jid))

        self._tx(do)

    def next_queued(self) -> Job | None:
        rows = self._rows("SELECT * FROM jobs WHERE status = 'queued' "
                          "ORDER BY queue_position, id LIMIT 1")
        return self._job(rows[0], {rows[0]["id"]: 0}) if rows else None

    def recover_orphans(self) -> list[int]:
        """Running jobs whose worker is gone -> interrupted (resumable).
        Call at start-up (window and command line)."""
        def do(conn: sqlite3.Connection) -> list[int]:
            found = []
            for r in conn.execute("SELECT id, worker_pid, worker_host, worker_token, "
                                  "heartbeat FROM jobs WHERE status = 'running'").fetchall():
                if liveness.worker_alive(str(self.path), r["id"], r["worker_pid"],
                                         r["worker_host"], r["worker_token"], r["heartbeat"]):
                    continue
                self._transition(conn, r["id"], "interrupted",
                                 "the training process stopped unexpectedly "
                                 f"(pid {r['worker_pid']}); resume it to continue "
                                 "from its last checkpoint")
                found.append(r["id"])
            return found

        return self._tx(do)
