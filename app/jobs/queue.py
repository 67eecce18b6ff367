"""The job queue: queue order, taking a job to run (claim), putting one back
(resume), and finding runs whose worker died (recover_orphans).

Queued jobs run one at a time in ``queue_position`` order (creation order
unless reordered); ``runner.run_queue`` drives it. Claiming is one
transaction, so the window and the command line never run the same job.
``JobStore`` holds one ``JobQueue`` and hands these methods out as its own.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.jobs import lifecycle, liveness
from app.jobs.database import Database
from app.jobs.errors import InvalidTransition
from app.jobs.records import RESUMABLE, Job, job_from_row


class JobQueue:
    def __init__(self, db: Database, jobs_root: Path):
        self.db, self.jobs_root = db, jobs_root

    @property
    def _key(self) -> str:
        return str(self.db.path)

    def claim(self, job_id: int) -> bool:
        """Atomically take a queued or resumable job for this process (status
        -> running). False when it is not runnable (another worker took it,
        it completed, ...): two queue runners never run the same job.
        The caller must ``release(job_id)`` when its run ends."""
        def take(conn: sqlite3.Connection) -> bool:
            if lifecycle.status_of(conn, job_id) not in ("queued",) + RESUMABLE:
                return False
            lifecycle.transition(conn, job_id, "running")
            return True

        # Marked active before the row says running, so a recover_orphans in
        # this same process (the window at start-up) never sees a gap.
        marked = liveness.mark_active(self._key, job_id, True)
        try:
            taken = self.db.tx(take)
        except BaseException:
            if marked:
                self.release(job_id)
            raise
        if not taken and marked:
            self.release(job_id)
        return taken

    def release(self, job_id: int) -> None:
        """This process no longer runs ``job_id`` (see ``claim``)."""
        liveness.mark_active(self._key, job_id, False)

    def resume(self, job_id: int) -> None:
        """Put an interrupted, failed or cancelled job back in the queue."""
        self.db.tx(lambda conn: lifecycle.transition(conn, job_id, "queued"))

    def move(self, job_id: int, position: int) -> None:
        """Put a queued job at ``position`` in the queue (0 = next to run)."""
        def do(conn: sqlite3.Connection) -> None:
            status = lifecycle.status_of(conn, job_id)
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

        self.db.tx(do)

    def rank(self) -> dict[int, int]:
        """Queued job id -> its place in the queue (0 = next)."""
        rows = self.db.rows("SELECT id FROM jobs WHERE status = 'queued' "
                            "ORDER BY queue_position, id")
        return {r["id"]: i for i, r in enumerate(rows)}

    def next_queued(self) -> Job | None:
        rows = self.db.rows("SELECT * FROM jobs WHERE status = 'queued' "
                            "ORDER BY queue_position, id LIMIT 1")
        return job_from_row(rows[0], self.jobs_root, {rows[0]["id"]: 0}) if rows else None

    def recover_orphans(self) -> list[int]:
        """Running jobs whose worker is gone -> interrupted (resumable).
        Call at start-up (window and command line)."""
        def do(conn: sqlite3.Connection) -> list[int]:
            found = []
            for r in conn.execute("SELECT id, worker_pid, worker_host, worker_token, "
                                  "heartbeat FROM jobs WHERE status = 'running'").fetchall():
                if liveness.worker_alive(self._key, r["id"], r["worker_pid"],
                                         r["worker_host"], r["worker_token"], r["heartbeat"]):
                    continue
                lifecycle.transition(conn, r["id"], "interrupted",
                                     "the training process stopped unexpectedly "
                                     f"(pid {r['worker_pid']}); resume it to continue "
                                     "from its last checkpoint")
                found.append(r["id"])
            return found

        return self.db.tx(do)
