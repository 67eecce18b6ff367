"""Job folders: one per job under the store's ``jobs`` folder, never reused.

A folder the store does not know about (left by a database that was moved,
lost or rebuilt) is never emptied or deleted: a new job whose id names such a
folder gets a fresh one beside it (``7-2``), and the old one can be adopted
(app.jobs.adopt). Each folder also holds ``job.json`` (name, tags, settings),
so a folder describes its job even without the database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gan.util.atomic import atomic_write_text

JOB_FILE = "job.json"


def make_job_folder(jobs_root: Path, job_id: int) -> Path:
    """A new, empty folder for ``job_id``: ``<id>``, or ``<id>-2``, ``<id>-3``,
    ... when that name is taken (``mkdir`` without ``exist_ok`` is the test,
    so two processes never get the same folder)."""
    jobs_root.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 10_000):
        folder = jobs_root / (str(job_id) if attempt == 1 else f"{job_id}-{attempt}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        (folder / "checkpoints").mkdir()
        return folder
    raise FileExistsError(f"no free folder name for job {job_id} in {jobs_root}")


def write_job_file(folder: Path, info: dict[str, Any]) -> Path:
    """``job.json`` written atomically (temporary file, then rename)."""
    return atomic_write_text(folder / JOB_FILE, json.dumps(info, indent=1, sort_keys=True))


def read_job_file(folder: Path) -> dict[str, Any] | None:
    """The folder's ``job.json``, or None when it is missing or unreadable."""
    try:
        info = json.loads((folder / JOB_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def looks_like_job_folder(folder: Path) -> bool:
    """A folder a training run wrote: job.json, checkpoints or samples."""
    if not folder.is_dir() or folder.is_symlink():
        return False
    return ((folder / JOB_FILE).is_file() or any((folder / "checkpoints").glob("*.pt"))
            or any((folder / "samples").glob("*.mid")))
