"""The one seam between the training loop and the outside world.

``gan.training.loop.train`` reports through a callback that receives these plain
records: floats, ints, strings, paths and numpy arrays, never tensors and
never Qt objects. The window's QThread turns them into signals, the command
line prints them, the job runner writes them to the job store, tests collect
them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Union

import numpy as np

from gan.util.numbers import finite_or_none


@dataclass(frozen=True)
class RunStarted:
    """Sent once, before the first step (also on resume)."""

    total_epochs: int
    steps_per_epoch: int
    start_epoch: int  # 0 for a fresh run, the checkpoint's epoch on resume
    start_step: int
    device: str  # "cpu", "cuda:0 (NVIDIA H100)", "mps"
    n_segments: int  # training segments after filtering
    generator_params: int
    critic_params: int
    run_dir: str
    reference_metrics: dict[str, float] = field(default_factory=dict)
    ceiling: float = float("nan")  # similarity of real vs held-out real
    world_size: int = 1

    @property
    def total_steps(self) -> int:
        """Generator steps of the whole run (the last step's number)."""
        return self.total_epochs * self.steps_per_epoch


@dataclass(frozen=True)
class StepStats:
    """One generator update (sent at every step; losses are host floats
    only at log intervals, NaN in between, so there is no per-step sync)."""

    epoch: int  # 1-based epoch in progress
    step: int  # global generator step, 1-based
    critic_loss: float
    generator_loss: float
    wasserstein: float  # critic's Wasserstein estimate E[D(real)] - E[D(fake)]
    gradient_penalty: float
    elapsed: float  # seconds since (re)start
    steps_per_second: float
    # the generator loss's parts: the critic's verdict and the weighted pull
    # towards the real voices (0 without one); NaN between log intervals
    adversarial_loss: float = float("nan")
    reconstruction_loss: float = float("nan")


@dataclass(frozen=True)
class EpochReport:
    """End of an epoch: metrics, samples and checkpoint are on disk."""

    epoch: int
    step: int
    critic_loss: float  # epoch means
    generator_loss: float
    wasserstein: float
    metrics: dict[str, float]  # "<metric>/<track>" and "<metric>" -> value
    similarity: float  # [0, 1]
    ceiling: float
    sample_paths: list[str]
    checkpoint_path: str
    seconds: float  # wall time of this epoch
    samples: np.ndarray | None = None  # bool (n, tracks, steps, pitches)
    # Under torchrun: generator steps each rank took since (re)start, in
    # rank order (empty for one process).
    rank_steps: list[int] = field(default_factory=list)
    evaluation_seconds: float = 0.0  # of ``seconds``: judging the generator at the epoch end


@dataclass(frozen=True)
class RunFinished:
    """Sent last. ``status`` is completed, cancelled or failed."""

    status: str
    epoch: int
    step: int
    similarity: float = float("nan")
    reason: str = ""


@dataclass(frozen=True)
class Notice:
    """Something the person running the job should know that is not a
    failure, in one plain sentence: for example that training replays a
    CUDA graph, or why it could not and runs the slower eager way.
    ``level`` is ``info`` or ``warning`` (as the job store's events)."""

    message: str
    level: str = "info"


Event = Union[RunStarted, StepStats, EpochReport, RunFinished, Notice]
EventCallback = Callable[[Event], None]
StopFlag = Callable[[], bool]


def to_json(event: Event) -> dict[str, Any]:
    """A JSON-ready dict with the record's type, for ``--json`` output."""
    out: dict[str, Any] = {"event": type(event).__name__}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if isinstance(value, np.ndarray):
            continue  # arrays are for in-process consumers only
        out[f.name] = _json_ready(value)
    return out


def _json_ready(value: Any) -> Any:
    """NaN and infinities become None at any depth (a metric of a silent
    voice is NaN, and strict JSON has no NaN)."""
    if isinstance(value, float):
        return finite_or_none(value)
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value
