"""The job store's SQLite file: connections, short write transactions, retries.

Rules that make one file safe for several processes and threads at once:

- one connection per thread (``threading.local``), never shared, and a
  forked child never reuses its parent's;
- every write is one short ``BEGIN IMMEDIATE`` transaction; "database is
  locked" is retried with backoff so it never reaches the user;
- every write bumps a revision counter, so the window can poll one integer;
- file-system trouble (read-only folder, full disk) becomes a ``StoreError``
  with a plain message, never a traceback.

Two more guard the user's data:

- the file is checked when it is first opened (``PRAGMA quick_check``): a
  damaged file stays readable as far as it goes, but nothing is written to
  it (``StoreDamaged`` says how to recover, see app.jobs.recovery);
- ``read_only=True`` opens it without ever writing, so a data folder copied
  to read-only media can still be browsed.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from app.jobs import schema
from app.jobs.errors import (StoreDamaged, StoreError, StoreReadOnly, friendly, is_busy,
                             is_damage)

T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000
# Total patience for a lock before giving up (on top of SQLite's own
# busy_timeout per attempt). Writers hold locks for milliseconds, so reaching
# this means something is badly wrong, and then the message says so.
LOCK_PATIENCE_S = 60.0
# quick_check reads every page (about 5 ms per MB here): the whole file up to
# this size, above it only the small tables (the per-step losses are the bulk).
FULL_CHECK_BYTES = 256 * 1024 * 1024
SMALL_TABLES = ("jobs", "epochs", "samples", "events", "revision")


def integrity_problem(conn: sqlite3.Connection, path: Path) -> str | None:
    """None when ``PRAGMA quick_check`` finds the file sound, else its first
    complaints. Other errors (locked, read-only, disk I/O) are raised: they
    are about the disk or other programs, not the file's pages."""
    try:
        size = path.stat().st_size if path.exists() else 0
        pragmas = (["PRAGMA quick_check(3)"] if size <= FULL_CHECK_BYTES else
                   [f"PRAGMA quick_check({t})" for t in SMALL_TABLES])
        found: list[str] = []
        for pragma in pragmas:
            found += [r[0] for r in conn.execute(pragma).fetchall() if r[0] != "ok"]
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):  # "malformed", "file is not a database"
            return str(exc)
        raise
    return "; ".join(found[:3])[:300] or None


class Database:
    """One SQLite file, opened per thread. ``damage`` holds what quick_check
    found (None when sound); ``read_only`` stores never write."""

    def __init__(self, path: Path, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self.damage: str | None = None
        self.read_only_reason = "opened read-only" if read_only else ""
        self._checked = False
        self._local = threading.local()

    # -- connections ---------------------------------------------------
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid != os.getpid():
            # A forked child must not use its parent's connection (SQLite's
            # locks would be shared): abandon it, untouched, and open anew.
            conn = None
        if conn is None:
            conn = self.retry(self._open_read_only if self.read_only else self._open)
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _check_once(self, conn: sqlite3.Connection) -> None:
        if not self._checked:
            self.damage = integrity_problem(conn, self.path)
            self._checked = True

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._check_once(conn)
            if self.damage:
                return conn  # readable as far as it goes; writes are refused
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

    def _open_read_only(self) -> sqlite3.Connection:
        """``mode=ro`` reads the write-ahead log too, but needs to create the
        shared-memory file when none is there; on read-only media with a
        cleanly closed database (no ``-wal`` left) ``immutable=1`` reads it."""
        if not self.path.is_file():
            raise StoreError(f"there is no job database at {self.path}")
        uri = self.path.resolve().as_uri()
        last: Exception | None = None
        for query in ("mode=ro", "immutable=1"):
            conn = sqlite3.connect(f"{uri}?{query}", uri=True, isolation_level=None,
                                   timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                conn.row_factory = sqlite3.Row
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError as exc:
                conn.close()
                if is_busy(exc):
                    raise
                last = exc
                continue
            self._check_once(conn)
            if not self.damage and schema.version(conn) > schema.LATEST:
                conn.close()
                raise StoreError(f"the job database {self.path} was written by a newer "
                                 f"Polyphony; update Polyphony to open it")
            return conn
        raise friendly(last, self.path) from last

    def close(self) -> None:
        """Close this thread's connection (other threads keep theirs)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            conn.close()

    # -- running statements ----------------------------------------------
    def retry(self, fn: Callable[[], T]) -> T:
        """``fn()``, retried while the database is locked; other SQLite and
        file-system errors become a StoreError naming the file."""
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
                raise self._note(friendly(exc, self.path)) from exc
            except (sqlite3.IntegrityError, sqlite3.ProgrammingError,
                    sqlite3.InterfaceError):
                raise  # our own bug, not the disk's: keep the real error
            except sqlite3.DatabaseError as exc:  # "file is not a database", ...
                raise self._note(friendly(exc, self.path)) from exc
            except OSError as exc:
                raise friendly(exc, self.path) from exc

    def _note(self, err: StoreError) -> StoreError:
        """Damage found while reading: no write may follow it."""
        if isinstance(err, StoreDamaged) and not self.damage:
            self.damage = err.detail
        return err

    def writable_or_raise(self) -> None:
        if self.read_only:
            raise StoreReadOnly(f"the job database {self.path} is {self.read_only_reason}: "
                                f"nothing can be changed from here")
        self.conn()  # opening runs the integrity check
        if self.damage:
            raise StoreDamaged(self.path, self.damage)

    def tx(self, fn: Callable[[sqlite3.Connection], T], bump: bool = True) -> T:
        """Run ``fn`` in one short write transaction (retried when locked).
        ``bump=False`` for writes nobody watches (heartbeats), so the window
        does not refresh for them. Refused on a damaged or read-only file."""
        self.writable_or_raise()
        conn = self.conn()

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

        return self.retry(attempt)

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        conn = self.conn()
        return self.retry(lambda: conn.execute(sql, tuple(params)).fetchall())
