"""How much disk each job takes, and freeing space from finished jobs (Qt-free).

``disk_use(job)`` adds up the job's folder (checkpoints, samples, the rest);
a file hard-linked twice (``latest.pt`` is a link to the newest
``epoch_N.pt``) is counted once. ``cleanup_plan(store)`` lists, for every
job that is not queued or running, the epoch checkpoints other than its
latest and its best (the similarity index's, the one Compose picks), with
the bytes deleting them frees: a hard-linked file frees nothing until its
last name goes. ``free_space(plan)`` deletes exactly those files.

Only ``epoch_NNNN.pt`` files inside the ``checkpoints`` folder of a job the
store knows are ever planned: never ``latest.pt``, samples, ``job.json`` or
anything the store does not know about.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

_EPOCH_FILE = re.compile(r"^epoch_(\d+)\.pt$")
BUSY = ("queued", "running")


@dataclass(frozen=True)
class DiskUse:
    checkpoints: int = 0  # bytes
    samples: int = 0
    other: int = 0

    @property
    def total(self) -> int:
        return self.checkpoints + self.samples + self.other


@dataclass
class JobCleanup:
    job_id: int
    name: str
    keep: list[Path] = field(default_factory=list)
    delete: list[Path] = field(default_factory=list)
    frees: int = 0  # bytes


@dataclass
class CleanupPlan:
    jobs: list[JobCleanup] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        return [path for job in self.jobs for path in job.delete]

    @property
    def frees(self) -> int:
        return sum(job.frees for job in self.jobs)


def format_bytes(count: int | float) -> str:
    """``8.6 MB``, ``345 MB``, ``1.2 GB`` (decimal units, as file managers show)."""
    value = float(count)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            if unit == "bytes":
                return f"{int(value)} bytes"
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def _files(folder: Path) -> Iterable[Path]:
    for root, _dirs, names in os.walk(folder):
        for name in names:
            yield Path(root) / name


def disk_use(job: Any) -> DiskUse:
    """Bytes in the job's folder by kind (0 when the folder is gone)."""
    folder = Path(job.job_dir)
    seen: set[tuple[int, int]] = set()
    sizes = {"checkpoints": 0, "samples": 0, "other": 0}
    if not folder.is_dir():
        return DiskUse()
    for path in _files(folder):
        try:
            st = path.lstat()
        except OSError:
            continue  # removed while we looked
        if (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        part = path.relative_to(folder).parts[0]
        sizes[part if part in ("checkpoints", "samples") else "other"] += st.st_size
    return DiskUse(**sizes)


def epoch_files(job: Any) -> dict[int, Path]:
    """epoch -> ``checkpoints/epoch_NNNN.pt`` of the job."""
    found = {}
    folder = Path(job.job_dir) / "checkpoints"
    if folder.is_dir():
        for path in folder.iterdir():
            match = _EPOCH_FILE.match(path.name)
            if match and path.is_file() and not path.is_symlink():
                found[int(match.group(1))] = path
    return dict(sorted(found.items()))


def _plan_job(job: Any) -> JobCleanup:
    files = epoch_files(job)
    entry = JobCleanup(job.id, job.name)
    if not files:
        return entry
    keep = {max(files)}
    if job.best_epoch is not None and job.best_epoch in files:
        keep.add(int(job.best_epoch))
    for epoch, path in files.items():
        (entry.keep if epoch in keep else entry.delete).append(path)
    for path in entry.delete:
        st = path.stat()
        if st.st_nlink <= 1:  # another name (latest.pt) keeps the data otherwise
            entry.frees += st.st_size
    return entry


def cleanup_plan(store: Any, job_ids: Iterable[int] | None = None) -> CleanupPlan:
    """What freeing space would delete: see the module notes. ``job_ids``
    limits it to those jobs (busy ones are always left alone)."""
    wanted = None if job_ids is None else set(job_ids)
    plan = CleanupPlan()
    for job in store.list():
        if job.status in BUSY or (wanted is not None and job.id not in wanted):
            continue
        entry = _plan_job(job)
        if entry.delete:
            plan.jobs.append(entry)
    return plan


def free_space(plan: CleanupPlan) -> tuple[int, list[tuple[Path, str]]]:
    """Delete the plan's files; returns (files deleted, [(file, why not)])."""
    deleted, problems = 0, []
    for path in plan.files:
        if not _EPOCH_FILE.match(path.name) or path.parent.name != "checkpoints":
            problems.append((path, "not an epoch checkpoint: left alone"))
            continue
        try:
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            deleted += 1  # gone already: the space is free
        except OSError as exc:
            problems.append((path, exc.strerror or str(exc)))
    return deleted, problems
