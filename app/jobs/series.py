"""The numbers behind the live charts: one job's series, Qt-free.

``JobSeries`` holds one job's step rows and epoch rows in growable numpy
buffers (a million-step run is a few arrays, appended to in place), turns them
into x/y arrays for any x axis (step, epoch or wall time) and writes them to
CSV. ``smooth`` is TensorBoard's debiased exponential moving average, done in
vectorised chunks so re-smoothing a million points when the slider moves takes
milliseconds instead of a Python loop's second. ``app.jobs.watcher`` feeds
the series from the job store; the window's charts only draw them.

It also says what the charts should mark: whether the similarity index has
settled and which epoch is best (``gan.evaluation.settling``), and which
metrics go on which chart (``METRIC_GROUPS``): the window may not import
gan's evaluation itself, and the command line asks the same questions.
"""

from __future__ import annotations

import csv
import math
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from gan.data.roll import VOICE_NAMES
from gan.evaluation.settling import Settling, settling
from gan.training.evaluation import (COPIED_RUN, COPIED_SHARE, GENRE_FIDELITY, INDEX_TRAINING,
                                     INDEX_UNSEEN, UNSEEN_SHARE)
from gan.util.numbers import nan_if_none

X_AXES = ("step", "epoch", "time")
X_LABELS = {"step": "step", "epoch": "epoch", "time": "wall time (s)"}
STEP_FIELDS = ("critic_loss", "generator_loss", "wasserstein")
# The generator loss's two parts, when the store's step rows carry them
# (NaN otherwise): the adversarial term and the weighted reconstruction term.
GENERATOR_PARTS = ("adversarial_loss", "reconstruction_loss")
ALL_STEP_FIELDS = STEP_FIELDS + GENERATOR_PARTS

# Per-epoch scores beside the similarity index (``EpochReport.metrics`` keys).
INDEX_KEYS = (INDEX_UNSEEN, INDEX_TRAINING)
COPYING_KEYS = (COPIED_SHARE, COPIED_RUN, UNSEEN_SHARE)
FIDELITY_KEY = GENRE_FIDELITY
# Voice leading in the Music metrics tab: totals over voice pairs (one curve
# each), and metrics with a curve per voice, or per neighbouring pair for the
# crossings (their mean over pairs hid a tenor and bass crossing 2.5 times as
# often as Bach's beside an alto and tenor crossing half as often).
VOICE_LEADING_TOTALS = ("parallel_fifths/all", "parallel_octaves/all", "voices_sounding/all")
VOICE_METRICS = ("voice_crossings", "onsets_per_bar", "voice_range", "repeated_note_rate")


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """Debiased EMA like TensorBoard's slider; NaN/inf points stay NaN and
    are skipped, so a gap in the data does not poison the curve after it."""
    return _smooth_from(np.asarray(values, dtype=np.float64), weight, 0.0, 0)[0]


def _smooth_from(values: np.ndarray, weight: float, prev: float,
                 count: int) -> tuple[np.ndarray, float, int]:
    """``smooth`` continued from an earlier state (raw EMA ``prev`` after
    ``count`` finite points), so a live curve only smooths its new tail.
    Returns (smoothed, new prev, new count)."""
    out = np.full(values.shape, np.nan)
    finite = np.isfinite(values)
    x = values[finite]
    if x.size == 0:
        return out, prev, count
    if weight <= 1e-3:
        out[finite] = x
        return out, float(x[-1]), count + x.size
    weight = min(weight, 0.999)
    # Within a chunk, y_k = w^(k+1) y_prev + (1-w) w^k cumsum(x_i w^-i).
    # The chunk length keeps w^-i far from overflowing float64.
    chunk = max(1, min(4096, int(200 * math.log(10) / -math.log(weight))))
    ema = np.empty_like(x)
    for begin in range(0, x.size, chunk):
        part = x[begin:begin + chunk]
        k = np.arange(part.size, dtype=np.float64)
        wk = weight ** k
        acc = np.cumsum(part / wk) * wk * (1.0 - weight)
        ema[begin:begin + part.size] = weight * wk * prev + acc
        prev = ema[begin + part.size - 1]
    n = np.arange(count + 1, count + x.size + 1, dtype=np.float64)
    out[finite] = ema / (1.0 - weight ** n)
    return out, float(prev), count + x.size


def as_seconds(value: Any) -> float:
    """Store timestamps may be unix seconds or ISO text; NaN when unknown."""
    if value is None:
        return float("nan")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return float("nan")


class _Buffer:
    """A float64 column that grows by doubling (amortised O(1) appends)."""

    def __init__(self) -> None:
        self._data = np.empty(256)
        self.size = 0

    def extend(self, values: Iterable[float]) -> None:
        self.extend_array(np.fromiter((nan_if_none(v) for v in values),
                                      dtype=np.float64))

    def extend_array(self, new: np.ndarray) -> None:
        need = self.size + new.size
        if need > self._data.size:
            grown = np.empty(max(need, 2 * self._data.size))
            grown[:self.size] = self._data[:self.size]
            self._data = grown
        self._data[self.size:need] = new
        self.size = need

    @property
    def view(self) -> np.ndarray:
        return self._data[:self.size]


class JobSeries:
    """Everything the charts show for one job."""

    def __init__(self, job_id: int, name: str = "") -> None:
        self.job_id = job_id
        self.name = name
        self.steps = {k: _Buffer() for k in ("step", "epoch", "time") + ALL_STEP_FIELDS}
        self.epoch_rows: list[Any] = []
        self.last_step = 0
        self.metrics: dict[str, list[float]] = {}
        self.reference: dict[str, float] = {}
        self.ceiling = float("nan")
        self.version = 0  # bumped on every change so views redraw only when needed
        self._smoothed: dict[str, tuple[float, _Buffer, float, int]] = {}
        self._settling: tuple[int, Settling | None] = (-1, None)

    # -- feeding ----------------------------------------------------------
    def add_steps(self, rows: list[Any]) -> None:
        rows = [r for r in rows if r.step > self.last_step]
        if not rows:
            return
        self.steps["step"].extend(r.step for r in rows)
        self.steps["epoch"].extend(r.epoch for r in rows)
        self.steps["time"].extend(as_seconds(r.time) for r in rows)
        for name in ALL_STEP_FIELDS:  # older stores have no generator parts: NaN
            self.steps[name].extend(getattr(r, name, None) for r in rows)
        self.last_step = rows[-1].step
        self.version += 1

    def set_epochs(self, rows: list[Any]) -> None:
        if len(rows) == len(self.epoch_rows):
            return
        self.epoch_rows = list(rows)
        names = sorted({k for r in rows for k in (r.metrics or {})})
        self.metrics = {n: [nan_if_none((r.metrics or {}).get(n)) for r in rows]
                        for n in names}
        self.version += 1

    def set_reference(self, metrics: dict[str, float] | None, ceiling: float | None) -> None:
        self.reference = dict(metrics or {})
        self.ceiling = nan_if_none(ceiling)
        self.version += 1

    # -- views ------------------------------------------------------------
    @property
    def n_steps(self) -> int:
        return self.steps["step"].size

    def _start_time(self) -> float:
        times = self.steps["time"].view
        finite = times[np.isfinite(times)]
        if finite.size:
            return float(finite[0])
        ends = [as_seconds(r.finished_at) - (r.seconds or 0) for r in self.epoch_rows]
        ends = [t for t in ends if t == t]
        return ends[0] if ends else 0.0

    def _epoch_of_step(self, steps: np.ndarray) -> np.ndarray:
        """Fractional epochs: step positions between the epoch boundaries."""
        bounds = [0.0] + [float(r.step) for r in self.epoch_rows]
        if len(bounds) < 2:
            # No epoch finished yet: the step rows carry the epoch in progress.
            return self.steps["epoch"].view[:steps.size] - 1.0 + 0.5
        per_epoch = (bounds[-1] - bounds[0]) / (len(bounds) - 1) or 1.0
        x = np.interp(steps, bounds, np.arange(len(bounds), dtype=np.float64))
        beyond = steps > bounds[-1]
        x[beyond] = len(bounds) - 1 + (steps[beyond] - bounds[-1]) / per_epoch
        return x

    def step_xy(self, name: str, x_axis: str) -> tuple[np.ndarray, np.ndarray]:
        y = self.steps[name].view
        steps = self.steps["step"].view
        if x_axis == "step":
            x = steps
        elif x_axis == "epoch":
            x = self._epoch_of_step(steps)
        else:
            x = self.steps["time"].view - self._start_time()
        return x, y

    def smoothed(self, name: str, weight: float) -> np.ndarray:
        """``smooth`` of a step column, cached: while the weight stays, only
        points added since the last call are smoothed (a million-step run
        costs a few new points per redraw, not the whole history)."""
        values = self.steps[name].view
        cached = self._smoothed.get(name)
        if cached is not None and cached[0] == weight:
            _, buffer, prev, count = cached
        else:  # first call, or the slider moved: start over
            buffer, prev, count = _Buffer(), 0.0, 0
        tail = values[buffer.size:]
        if tail.size:
            out, prev, count = _smooth_from(tail, weight, prev, count)
            buffer.extend_array(out)
        self._smoothed[name] = (weight, buffer, prev, count)
        return buffer.view

    def epoch_x(self, x_axis: str) -> np.ndarray:
        if x_axis == "step":
            return np.array([float(r.step) for r in self.epoch_rows])
        if x_axis == "epoch":
            return np.array([float(r.epoch) for r in self.epoch_rows])
        start = self._start_time()
        return np.array([as_seconds(r.finished_at) - start for r in self.epoch_rows])

    def epoch_position(self, epoch: int | None, x_axis: str) -> float | None:
        """Where ``epoch`` ends on ``x_axis`` (None: not known yet)."""
        if epoch is None:
            return None
        for row, x in zip(self.epoch_rows, self.epoch_x(x_axis), strict=True):
            if int(row.epoch) == int(epoch) and np.isfinite(x):
                return float(x)
        return float(epoch) if x_axis == "epoch" else None

    def epoch_values(self, name: str) -> np.ndarray:
        if name in self.metrics:
            return np.asarray(self.metrics[name], dtype=np.float64)
        # a column of the epoch rows, or a metric this job does not have: NaN
        return np.array([nan_if_none(getattr(r, name, None))
                         for r in self.epoch_rows], dtype=np.float64)

    def aggregate_metric_names(self) -> list[str]:
        """Whole-piece music metrics (no '/track' suffix) for the Music
        metrics tab; the scores (index, copying, genre fidelity) have their
        own charts and per-track values go to CSV."""
        return [n for n in self.metrics if "/" not in n and n != FIDELITY_KEY]

    def voice_leading_names(self) -> list[tuple[str, list[str]]]:
        """(chart, metric keys) for the voice-leading charts present in the
        data: one chart per pair total, one per per-voice (or per-pair)
        metric with a key per voice (or pair), high to low)."""
        out = [(name, [name]) for name in VOICE_LEADING_TOTALS if name in self.metrics]
        order = {voice: i for i, voice in enumerate(VOICE_NAMES)}

        def high_to_low(name: str) -> tuple[int, str]:
            upper = name.split("/", 1)[1].split("-", 1)[0]  # a pair sorts by its upper voice
            return order.get(upper, len(order)), name

        for metric in VOICE_METRICS:
            keys = sorted((n for n in self.metrics if n.startswith(metric + "/") and n != f"{metric}/all"),
                          key=high_to_low)
            if keys:
                out.append((metric, keys))
        return out

    def has_values(self, name: str) -> bool:
        """Whether a step column or an epoch metric has any finite value."""
        if name in self.steps:
            return bool(np.isfinite(self.steps[name].view).any())
        return name in self.metrics and bool(np.isfinite(self.epoch_values(name)).any())

    def settling(self) -> Settling | None:
        """Has the similarity index settled, since when, and which epoch is
        best (None before the first epoch); cached until the data changes."""
        version, cached = self._settling
        if version != self.version:
            cached = settling_of(self.epoch_rows)
            self._settling = (self.version, cached)
        return cached

    # -- export -----------------------------------------------------------
    def write_csv(self, folder: Path, base: str | None = None) -> list[Path]:
        """Two files: per logged step and per epoch (with every metric),
        ``<base>_steps.csv`` and ``<base>_epochs.csv`` (base: ``job<id>``)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        base = base or f"job{self.job_id}"
        step_path = folder / f"{base}_steps.csv"
        with step_path.open("w", newline="") as fh:
            out = csv.writer(fh)
            cols = ("step", "epoch", "time") + STEP_FIELDS + tuple(
                name for name in GENERATOR_PARTS if self.has_values(name))
            out.writerow(cols)
            columns = [self.steps[c].view for c in cols]
            for i in range(self.n_steps):
                out.writerow([_fmt(col[i]) for col in columns])
        epoch_path = folder / f"{base}_epochs.csv"
        with epoch_path.open("w", newline="") as fh:
            out = csv.writer(fh)
            metric_names = list(self.metrics)
            out.writerow(["epoch", "step", "critic_loss", "generator_loss", "wasserstein",
                          "similarity", "ceiling", "seconds"] + metric_names)
            for i, r in enumerate(self.epoch_rows):
                out.writerow([r.epoch, r.step, _fmt(r.critic_loss), _fmt(r.generator_loss),
                              _fmt(r.wasserstein), _fmt(r.similarity), _fmt(r.ceiling),
                              _fmt(r.seconds)] + [_fmt(self.metrics[m][i]) for m in metric_names])
        return [step_path, epoch_path]


def settling_of(epoch_rows: list[Any]) -> Settling | None:
    """``gan.evaluation.settling`` of the epochs' similarity index (the one
    on unseen melodies when the job has an evaluation split)."""
    if not epoch_rows:
        return None
    scores = [nan_if_none(r.similarity) for r in epoch_rows]
    return settling(scores, [int(r.epoch) for r in epoch_rows])


def settling_text(result: Settling | None) -> str:
    """One line for people: 'settled since epoch 12 · best epoch 15 (0.913)'."""
    if result is None or result.best_epoch is None:
        return "no similarity index yet"
    if result.settled:
        verdict = f"index settled since epoch {result.since_epoch}"
    elif math.isnan(result.slope):
        verdict = f"index not settled yet (judged after {result.window} epochs)"
    else:
        verdict = "index still moving"
    return f"{verdict} · best epoch {result.best_epoch} ({result.best_score:.3f})"


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    value = float(value)
    if value != value:
        return ""
    return repr(value) if not value.is_integer() else str(int(value))
