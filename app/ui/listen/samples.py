"""What the listening panel can play: a list of samples, and which is newest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SampleItem:
    label: str
    midi_path: Path
    epoch: int | None = None
    job_id: int | str | None = None
    kind: str = "generated"  # "generated" | "reference" (a real training sample)

    @property
    def display(self) -> str:
        return f"{self.label} (reference)" if self.kind == "reference" else self.label


def latest_index(items: list[SampleItem], current: SampleItem | None) -> int | None:
    """The newest epoch's generated sample of ``current``'s job (of any job
    when ``current``'s job is not in ``items``: a new list)."""
    job = current.job_id if current is not None else None
    if not any(item.job_id == job for item in items):
        job = None
    best = None
    for i, item in enumerate(items):
        if item.kind != "generated" or item.epoch is None:
            continue
        if job is not None and item.job_id != job:
            continue
        if best is None or item.epoch > items[best].epoch:
            best = i
    return best
