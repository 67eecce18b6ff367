"""Errors of the job store, in words a user can act on.

SQLite and the file system report problems as ``sqlite3.OperationalError``
or ``OSError`` with terse texts ("attempt to write a readonly database",
"[Errno 28] No space left on device"). At the store boundary they become a
``StoreError`` that says which folder and what to do, so the command line and
the window can show it without a traceback.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path


class StoreError(RuntimeError):
    """The job store cannot be read or written (read-only, full disk, ...)."""


RECOVER_COMMAND = "python main.py jobs recover"


class StoreDamaged(StoreError):
    """The database file has damaged pages. Nothing is written to it; the
    message says how to recover (back it up, rebuild from the job folders)."""

    def __init__(self, path: Path | str, detail: str):
        self.path, self.detail = Path(path), detail
        super().__init__(
            f"the job database {path} is damaged ({detail}); nothing was written to it. "
            f"To recover: `{RECOVER_COMMAND}` keeps the damaged file as a backup beside it "
            f"and rebuilds the jobs from their folders (checkpoints and samples)")


class StoreReadOnly(StoreError):
    """A store opened read-only was asked to change something."""


class InvalidTransition(ValueError):
    """A status change the job life cycle does not allow."""

    def __init__(self, job_id: int, old: str, new: str):
        self.job_id, self.old, self.new = job_id, old, new
        super().__init__(f"job {job_id} cannot go from {old!r} to {new!r}")


class JobNotFound(KeyError):
    """No job with that id. ``str()`` is the plain message (KeyError quotes it)."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        super().__init__(job_id)

    def __str__(self) -> str:
        return f"no job with id {self.job_id} (see `python main.py jobs list`)"


_BUSY_TEXTS = ("database is locked", "database table is locked", "database is busy")


def is_busy(exc: BaseException) -> bool:
    """True for the transient lock errors that a retry cures."""
    return isinstance(exc, sqlite3.OperationalError) and any(
        text in str(exc).lower() for text in _BUSY_TEXTS)


def is_damage(exc: BaseException) -> bool:
    """True when SQLite says the file itself is damaged (not the disk)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and ("malformed" in text
                                                       or "not a database" in text)


def _reason(exc: BaseException) -> str:
    text = str(exc).lower()
    code = getattr(exc, "errno", None)
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in text \
            or "read-only" in text:
        return "read-only"
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "disk is full" in text \
            or "disk full" in text:
        return "disk full"
    if code == errno.ENOTDIR or "unable to open" in text:
        return "cannot open or create it"
    if "disk i/o error" in text:
        return "disk error: the disk may be full or read-only"
    if is_damage(exc):
        return "the database file is damaged"
    return "file system error"


def _folder_read_only(path: Path | str) -> bool:
    """SQLite says only "unable to open" when the folder is read-only."""
    import os

    folder = Path(path).parent
    return folder.is_dir() and not os.access(folder, os.W_OK)


def friendly(exc: BaseException, path: Path | str) -> StoreError:
    """Wrap a low-level error in a StoreError naming ``path`` and the cause."""
    reason = _reason(exc)
    if reason == "the database file is damaged":
        err = StoreDamaged(path, str(exc))
        err.__cause__ = exc
        return err
    if reason == "cannot open or create it" and _folder_read_only(path):
        reason = "read-only"
    detail = getattr(exc, "strerror", None) or str(exc)
    hint = {
        "read-only": "make the folder writable or set POLYPHONY_HOME to a writable folder",
        "disk full": "free some disk space and try again",
        "cannot open or create it": "check that the folder exists and is writable, "
                                    "or set POLYPHONY_HOME to another folder",
    }.get(reason, "check the disk and the folder's permissions")
    err = StoreError(f"Polyphony cannot write to {path} ({reason}): {detail}. "
                     f"To fix: {hint}.")
    err.__cause__ = exc
    return err
