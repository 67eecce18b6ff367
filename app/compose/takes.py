"""The window's takes: compose results as files the Compose tab lists.

Runs on a worker thread; results are plain data. Takes are written as MIDI
files under ``<data dir>/compose/job_<id>/``; kept takes are copied to
``<data dir>/compose/kept/`` so they survive a restart (``kept_takes``
lists them again).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import paths
from app.compose.choice import ModelChoice
from app.compose.pipeline import accompany_melody, generate_pieces


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
    path = paths.compose_dir() / f"job_{int(job_id)}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def kept_dir() -> Path:
    path = paths.compose_dir() / "kept"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + f"-{int(time.time() * 1000) % 1000:03d}"


def accompany_takes(choice: ModelChoice, melody: Any, seeds: list[int],
                    preferred_range: tuple[int, int] | None = None) -> TaskResult:
    """One take per seed, written under the job's takes folder."""
    folder, stamp = compose_dir(choice.job_id), _stamp()
    done = accompany_melody(
        choice, melody, seeds, preferred_range=preferred_range,
        targets=lambda _i, seed: folder / f"take_e{choice.epoch}_s{seed}_{stamp}.mid")
    takes = [TakeFile(f"{melody.name[:40]} · epoch {choice.epoch} · seed {seed}", path,
                      choice.job_id, choice.epoch, seed)
             for path, seed in zip(done.files, done.seeds)]
    return TaskResult(takes, done.messages)


def generated_takes(choice: ModelChoice, n: int, seed: int, interpolate_to: int | None = None,
                    steps: int = 5) -> TaskResult:
    """MuseGAN pieces (``n`` from ``seed``, or a walk to ``interpolate_to``) as takes."""
    folder, stamp = compose_dir(choice.job_id), _stamp()
    done = generate_pieces(
        choice, n, seed, interpolate_to=interpolate_to, steps=steps,
        targets=lambda i, _seed: folder / f"piece_e{choice.epoch}_s{seed}_{i + 1}_{stamp}.mid")
    count = len(done.files)
    if interpolate_to is None:
        names = [f"piece {i + 1} of seed {seed}" for i in range(count)]
    else:
        names = [f"seed {seed}→{interpolate_to} step {i + 1}/{count}" for i in range(count)]
    takes = [TakeFile(f"epoch {choice.epoch} · {name}", path, choice.job_id, choice.epoch, seed)
             for path, name in zip(done.files, names)]
    return TaskResult(takes, done.messages)


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
