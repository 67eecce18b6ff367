"""The compose panel's work, Qt-free: run on a worker thread, results are plain data.

Takes are written as MIDI files under ``<data dir>/compose/job_<id>/``;
kept takes are copied to ``<data dir>/compose/kept/`` so they survive a
restart (``kept_takes`` lists them again).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from app import paths


@dataclass(frozen=True)
class TakeFile:
    label: str
    path: Path
    job_id: int
    epoch: int
    seed: int | None = None


@dataclass
class TaskResult:
    takes: list[TakeFile]
    messages: list[str] = field(default_factory=list)


def compose_dir(job_id: int) -> Path:
    path = paths.home() / "compose" / f"job_{int(job_id)}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def kept_dir() -> Path:
    path = paths.home() / "compose" / "kept"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + f"-{int(time.time() * 1000) % 1000:03d}"


def accompany_task(checkpoint: Path, job_id: int, epoch: int, melody, seeds: list[int],
                   preferred_range: tuple[int, int] | None, programs: list[int]) -> TaskResult:
    from gan.compose.accompany import accompany, load_model
    from gan.compose.export import write_composition
    from gan.data.roll import VOICE_NAMES

    model, _ = load_model(checkpoint)
    result = accompany(model, melody, seeds, preferred_range=preferred_range)
    folder, stamp = compose_dir(job_id), _stamp()
    takes = []
    for take in result.takes:
        path = folder / f"take_e{epoch}_s{take.seed}_{stamp}.mid"
        write_composition(path, take.notes, result.melody, programs=programs, track_names=VOICE_NAMES)
        takes.append(TakeFile(f"{melody.name[:40]} · epoch {epoch} · seed {take.seed}",
                              path, job_id, epoch, take.seed))
    return TaskResult(takes, list(result.messages))


def generate_task(checkpoint: Path, job_id: int, epoch: int, n: int, seed: int,
                  programs: list[int], interpolate_to: int | None = None, steps: int = 5) -> TaskResult:
    from gan.compose.accompany import generate_pieces, interpolate, load_model
    from gan.compose.export import write_roll

    model, _ = load_model(checkpoint)
    folder, stamp = compose_dir(job_id), _stamp()
    if interpolate_to is None:
        rolls = generate_pieces(model, n, seed)
        names = [f"piece {i + 1} of seed {seed}" for i in range(len(rolls))]
        messages = [f"{len(rolls)} piece(s) from seed {seed}"]
    else:
        rolls = interpolate(model, seed, interpolate_to, steps)
        names = [f"seed {seed}→{interpolate_to} step {i + 1}/{len(rolls)}" for i in range(len(rolls))]
        messages = [f"{len(rolls)} pieces walking from seed {seed} to seed {interpolate_to}"]
    takes = []
    for i, (roll, name) in enumerate(zip(rolls, names)):
        path = folder / f"piece_e{epoch}_s{seed}_{i + 1}_{stamp}.mid"
        write_roll(path, roll, programs=programs)
        takes.append(TakeFile(f"epoch {epoch} · {name}", path, job_id, epoch, seed))
    return TaskResult(takes, messages)


def keep(take: TakeFile) -> Path:
    """Copy a take into the kept folder (named so ``kept_takes`` finds its job)."""
    target = kept_dir() / f"job{take.job_id}_{take.path.name}"
    shutil.copyfile(take.path, target)
    return target


def unkeep(take: TakeFile) -> None:
    """Remove a take's kept copy (the take itself when it was loaded from the kept folder)."""
    if take.path.parent == kept_dir():
        take.path.unlink(missing_ok=True)
    else:
        (kept_dir() / f"job{take.job_id}_{take.path.name}").unlink(missing_ok=True)


def kept_takes(job_id: int) -> list[TakeFile]:
    """The job's kept takes, oldest first, pointing at their kept copies."""
    out = []
    for path in sorted(kept_dir().glob(f"job{int(job_id)}_*.mid"), key=lambda p: p.stat().st_mtime):
        out.append(TakeFile(f"kept · {path.stem.split('_', 1)[1]}", path, int(job_id), -1))
    return out
