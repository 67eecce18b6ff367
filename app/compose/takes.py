"""The window's takes: compose results as files the Compose tab lists.

Runs on a worker thread; results are plain data. Takes are written as MIDI
files under ``<data dir>/compose/job_<id>/``, named so that ``job_takes``
lists them again after a restart (epoch, seed, time, melody); a kept take
is also copied to ``<data dir>/compose/kept/`` (a safe copy the Compose tab
ticks), and ``discard`` deletes an unkept take's file.
"""

from __future__ import annotations

import re
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


def _slug(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "-", text).strip("-")[:40]


# take_e3_s4_20261127-101500-123_Ode-to-Joy.mid, piece_e3_s0_2_20261127-101500-123.mid
_NAME = re.compile(r"^(?P<kind>take|piece)_e(?P<epoch>\d+)_s(?P<seed>\d+)(?:_(?P<n>\d+))?"
                   r"_(?P<stamp>\d{8}-\d{6}-\d{3})(?:_(?P<melody>.+))?$")


def take_from_file(path: Path, job_id: int) -> TakeFile:
    """The take a file in the job's takes folder holds, labelled from its name."""
    m = _NAME.match(path.stem)
    if m is None:
        return TakeFile(path.stem, path, int(job_id), -1)
    epoch, seed = int(m["epoch"]), int(m["seed"])
    if m["kind"] == "piece":
        label = f"epoch {epoch} · piece {m['n']} of seed {seed}"
    else:
        tune = (m["melody"] or "take").replace("-", " ")
        label = f"{tune} · epoch {epoch} · seed {seed}"
    return TakeFile(label, path, int(job_id), epoch, seed)


def accompany_takes(choice: ModelChoice, melody: Any, seeds: list[int],
                    preferred_range: tuple[int, int] | None = None) -> TaskResult:
    """One take per seed, written under the job's takes folder."""
    folder, stamp = compose_dir(choice.job_id), _stamp()
    done = accompany_melody(
        choice, melody, seeds, preferred_range=preferred_range,
        targets=lambda _i, seed: folder / f"take_e{choice.epoch}_s{seed}_{stamp}_{_slug(melody.name)}.mid")
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
    """Copy a take into the kept folder (named so ``job_takes`` finds its job)."""
    target = kept_copy(take)
    if target != take.path:
        shutil.copyfile(take.path, target)
    return target


def unkeep(take: TakeFile) -> None:
    """Remove a take's kept copy (the take itself when it was loaded from the kept folder)."""
    kept_copy(take).unlink(missing_ok=True)


def kept_copy(take: TakeFile) -> Path:
    """Where ``take``'s kept copy is (or would be)."""
    if take.path.parent == kept_dir():
        return take.path
    return kept_dir() / f"job{take.job_id}_{take.path.name}"


def is_kept(take: TakeFile) -> bool:
    return kept_copy(take).is_file()


def job_takes(job_id: int) -> list[TakeFile]:
    """Every take of the job still on disk, oldest first: the files in its
    takes folder, and kept copies whose original is gone."""
    job_id = int(job_id)
    folder = compose_dir(job_id)
    found = [take_from_file(p, job_id) for p in folder.glob("*.mid")]
    names = {t.path.name for t in found}
    for path in kept_dir().glob(f"job{job_id}_*.mid"):
        original = path.name.split("_", 1)[1]
        if original not in names:
            take = take_from_file(Path(original), job_id)
            found.append(TakeFile(f"kept · {take.label}", path, job_id, take.epoch, take.seed))
    return sorted(found, key=lambda t: t.path.stat().st_mtime)


def discard(take: TakeFile) -> None:
    """Delete a take's file from the job's takes folder (a kept copy stays)."""
    if take.path.parent == compose_dir(take.job_id):
        take.path.unlink(missing_ok=True)
