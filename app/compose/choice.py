"""Which model to compose with: a job, and one epoch's checkpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.music.selection import genre_of


@dataclass(frozen=True)
class ModelChoice:
    job_id: int
    epoch: int
    checkpoint: Path
    architecture: str
    genre: str | None
    why: str  # "best similarity index 0.41" / "epoch asked for" / "last checkpoint"
    tags: tuple[str, ...] = field(default=())  # the job's music, for the melody range
    tag_mode: str = "any"


def epoch_checkpoints(store: Any, job_id: int) -> list[tuple[int, Path, float | None]]:
    """(epoch, checkpoint, similarity) of every epoch whose checkpoint file exists."""
    return [(row.epoch, Path(row.checkpoint_path), row.similarity) for row in store.epochs(job_id)
            if row.checkpoint_path and Path(row.checkpoint_path).is_file()]


def jobs_with_checkpoints(store: Any) -> list[Any]:
    """The jobs (newest first) that have at least one epoch to compose with."""
    return [job for job in store.list() if epoch_checkpoints(store, job.id)]


def choose_checkpoint(store: Any, job_id: int, epoch: int | None = None) -> ModelChoice:
    """The checkpoint to compose with: ``epoch``'s, else the best similarity
    index's, else the newest. ``ValueError`` with the reason when none fits."""
    job = store.get(job_id)
    found = epoch_checkpoints(store, job_id)
    if not found:
        raise ValueError(f"job {job_id} ({job.name}) has no checkpoint yet (status {job.status}): "
                         f"train it for at least one epoch first")

    def choice(e: int, path: Path, why: str) -> ModelChoice:
        return ModelChoice(job_id, e, path, job.config.architecture, genre_of(job.tags), why,
                           tuple(job.tags), job.tag_mode)

    if epoch is not None:
        for e, path, _ in found:
            if e == epoch:
                return choice(e, path, "epoch asked for")
        have = ", ".join(str(e) for e, _, _ in found)
        raise ValueError(f"job {job_id} has no checkpoint for epoch {epoch}; it has epochs {have}")
    scored = [(s, e, path) for e, path, s in found if s is not None]
    if scored:
        s, e, path = max(scored, key=lambda x: (x[0], x[1]))
        return choice(e, path, f"best similarity index {s:.3f}")
    e, path, _ = found[-1]
    return choice(e, path, "last checkpoint")
