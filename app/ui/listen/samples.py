"""What the listening panel can play: a list of samples, and which is newest."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


def slug(text: str, limit: int = 40) -> str:
    """'Chorales, quick!' -> 'chorales-quick' (safe in a file name everywhere)."""
    words = re.sub(r"[^0-9A-Za-z]+", "-", text).strip("-").lower()
    return words[:limit].rstrip("-")


@dataclass(frozen=True)
class SampleItem:
    label: str
    midi_path: Path
    epoch: int | None = None
    job_id: int | str | None = None
    kind: str = "generated"  # "generated" | "reference" (a real training sample)
    job_name: str = ""
    piece: int | None = None  # 1-based, as the user counts them

    @property
    def display(self) -> str:
        return f"{self.label} (reference)" if self.kind == "reference" else self.label

    def export_stem(self) -> str:
        """A file name (no suffix) saying what the sample is:
        ``job3-chorales-quick-epoch35-piece1``; the label for anything else."""
        if self.kind != "generated" or self.epoch is None or self.piece is None:
            named = slug(self.label) or Path(self.midi_path).stem
            return f"job{self.job_id}-{named}" if self.job_id is not None else named
        parts = [f"job{self.job_id}"] if self.job_id is not None else []
        if slug(self.job_name):
            parts.append(slug(self.job_name))
        parts += [f"epoch{self.epoch}", f"piece{self.piece}"]
        return "-".join(parts)


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
