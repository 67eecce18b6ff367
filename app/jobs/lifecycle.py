"""A job's status life cycle and its event log, inside a write transaction.

Plain functions of an open connection, so the store, the queue and the run
log share them without reaching into each other.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time

from app.jobs import liveness
from app.jobs.errors import InvalidTransition, JobNotFound
from app.jobs.records import STATUSES, TRANSITIONS


def event(conn: sqlite3.Connection, job_id: int, message: str, level: str = "info") -> None:
    conn.execute("INSERT INTO events (job_id, time, level, message) VALUES (?, ?, ?, ?)",
                 (job_id, time.time(), level, message))
    # the rotating log file (app/logging_setup.py) keeps job events for bug reports
    logging.getLogger("polyphony.jobs").log(getattr(logging, level.upper(), logging.INFO),
                                            "job %s: %s", job_id, message)


def status_of(conn: sqlite3.Connection, job_id: int) -> str:
    row = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise JobNotFound(job_id)
    return row[0]


def worker() -> tuple[int, str, str]:
    """(pid, host, start token) recorded in a running job's row."""
    return os.getpid(), liveness.host(), liveness.process_token()


def next_queue_position(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COALESCE(MAX(queue_position), -1) + 1 FROM jobs").fetchone()[0]


def transition(conn: sqlite3.Connection, job_id: int, new: str, error: str = "") -> str:
    """Move one job's status; returns the old one."""
    if new not in STATUSES:
        raise ValueError(f"unknown status {new!r}: must be one of {', '.join(STATUSES)}")
    old = status_of(conn, job_id)
    if new not in TRANSITIONS[old]:
        raise InvalidTransition(job_id, old, new)
    now = time.time()
    if new == "queued":
        conn.execute("UPDATE jobs SET status = 'queued', error = '', finished = NULL, "
                     "cancel_requested = 0, eta_seconds = NULL, queue_position = ? "
                     "WHERE id = ?", (next_queue_position(conn), job_id))
    elif new == "running":
        conn.execute("UPDATE jobs SET status = 'running', error = '', finished = NULL, "
                     "cancel_requested = 0, started = COALESCE(started, ?), "
                     "worker_pid = ?, worker_host = ?, worker_token = ?, heartbeat = ? "
                     "WHERE id = ?", (now, *worker(), now, job_id))
    else:
        conn.execute("UPDATE jobs SET status = ?, error = ?, finished = ?, "
                     "eta_seconds = NULL, cancel_requested = 0 WHERE id = ?",
                     (new, error, now, job_id))
    message = f"Status {old} -> {new}" + (f": {error}" if error else "")
    level = {"failed": "error", "interrupted": "warning"}.get(new, "info")
    event(conn, job_id, message, level)
    return old


def delete_rows(conn: sqlite3.Connection, job_id: int) -> None:
    for table in ("steps", "samples", "epochs", "events"):
        conn.execute(f"DELETE FROM {table} WHERE job_id = ?", (job_id,))
    conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
