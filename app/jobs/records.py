"""The plain records the job store hands out (read-only snapshots of rows)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gan.config import SPECS, TrainConfig

STATUSES = ("queued", "running", "completed", "failed", "cancelled", "interrupted")
RESUMABLE = ("interrupted", "failed", "cancelled")
FINAL = ("completed", "failed", "cancelled", "interrupted")

# from -> allowed next statuses. A resumable job goes back to queued (wait in
# the queue) or straight to running (run now).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "queued": ("running", "cancelled"),
    "running": ("completed", "failed", "cancelled", "interrupted"),
    "completed": (),
    "failed": ("queued", "running"),
    "cancelled": ("queued", "running"),
    "interrupted": ("queued", "running"),
}


def job_from_row(row, jobs_root: Path, queue_rank: dict[int, int]) -> "Job":
    """A ``jobs`` row as a ``Job`` (``queue_rank``: id -> place in the queue)."""
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
        job_dir=Path(row["job_dir"] or jobs_root / str(row["id"])),
        queue_position=queue_rank.get(row["id"], -1))


def config_from_json(text: str | None) -> TrainConfig:
    """Tolerant on purpose: a job written by an older or newer version keeps
    loading (unknown keys dropped, missing ones take today's defaults)."""
    values = json.loads(text or "{}")
    known = {k: v for k, v in values.items() if k in SPECS}
    return TrainConfig(**known)


@dataclass(frozen=True)
class Job:
    id: int
    name: str
    status: str
    architecture: str
    config: TrainConfig
    tags: list[str]
    tag_mode: str
    created: float
    started: float | None
    finished: float | None
    epoch: int
    total_epochs: int
    step: int
    total_steps: int
    similarity: float | None
    best_similarity: float | None
    best_epoch: int | None
    error: str
    eta_seconds: float | None
    steps_per_second: float | None
    device: str
    world_size: int
    job_dir: Path
    queue_position: int  # 0 = next to run; -1 when not queued

    @property
    def progress(self) -> float:
        """Fraction done, 0..1: by steps when known, else by epochs."""
        if self.status == "completed":
            return 1.0
        if self.total_steps > 0:
            return max(0.0, min(1.0, self.step / self.total_steps))
        if self.total_epochs > 0:
            return max(0.0, min(1.0, self.epoch / self.total_epochs))
        return 0.0

    @property
    def resumable(self) -> bool:
        return self.status in RESUMABLE

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary (for ``jobs list --json`` / ``show --json``)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["config"] = self.config.to_dict()
        out["job_dir"] = str(self.job_dir)
        out["progress"] = self.progress
        out["similarity_index"] = self.similarity
        return out


@dataclass(frozen=True)
class EpochRow:
    epoch: int
    step: int
    critic_loss: float | None
    generator_loss: float | None
    wasserstein: float | None
    metrics: dict[str, float]
    similarity: float | None
    ceiling: float | None
    seconds: float | None
    checkpoint_path: str
    finished_at: float


@dataclass(frozen=True)
class StepRow:
    step: int
    epoch: int
    time: float
    critic_loss: float | None
    generator_loss: float | None
    wasserstein: float | None
    adversarial_loss: float | None = None  # the generator loss's parts
    reconstruction_loss: float | None = None


@dataclass(frozen=True)
class SampleRow:
    epoch: int
    index: int
    path: str


@dataclass(frozen=True)
class EventRow:
    id: int
    time: float
    level: str
    message: str
