"""When has a per-epoch score settled, and which epoch is best?

``settling(scores)`` reads a score per epoch (higher is better, e.g. the
similarity index; NaN = not measured) and returns a plain ``Settling``
record.

Settled. A least-squares line is fitted to the last ``window`` scores; its
residual standard deviation is the *noise* and its slope's standard error
follows from it. The score has settled when both hold:

- no significant upward trend: the one-sided t statistic slope / SE is
  below the 95 % critical value of Student's t (df = window - 2), so the
  scores are no longer climbing by more than chance explains; and
- the trend over the window is small against the noise: the line's rise or
  fall across the window, |slope| * (window - 1), is at most
  ``NOISE_FACTOR`` times the noise, or at most ``tolerance`` (in the score's
  own unit: changes that never matter, 0.005 suits the similarity index), so
  a steady decline does not count as settled either.

On pure noise the test says "settled" about 90 % of the time (a window of
8 makes a random slope exceed either bound about one time in ten); a rise of
a few noise widths across the window is reliably "not settled".

``since_epoch`` is the first epoch of the longest run of recent epochs that
passes this test: the window is stretched back one epoch at a time until the
test fails ``PATIENCE`` times in a row (so a rising start is excluded, and
one chance failure does not cut the stretch short).

Best epoch. The best of a centred moving average of ``smooth`` epochs
(shorter at the ends): one lucky epoch between two poor ones does not win.
Among the epochs of the winning average, the best single score is returned
(that checkpoint is the one to keep); ties go to the later epoch, which has
trained longer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_WINDOW = 8
DEFAULT_SMOOTH = 3
DEFAULT_TOLERANCE = 0.005
NOISE_FACTOR = 2.0
PATIENCE = 3

# One-sided 95 % critical values of Student's t by degrees of freedom
# (numpy has no t distribution and scipy is not a dependency).
_T95 = {1: 6.314, 2: 2.920, 3: 2.353, 4: 2.132, 5: 2.015, 6: 1.943, 7: 1.895, 8: 1.860,
        9: 1.833, 10: 1.812, 12: 1.782, 15: 1.753, 20: 1.725, 30: 1.697, 60: 1.671}


def t_critical(df: int) -> float:
    """One-sided 95 % critical value of t (the next smaller tabulated df: conservative)."""
    if df < 1:
        raise ValueError("a trend test needs at least 3 points")
    if df > 60:
        return 1.645
    return _T95[max(k for k in _T95 if k <= df)]


@dataclass(frozen=True)
class Trend:
    slope: float  # score per epoch
    slope_se: float  # standard error of the slope
    noise: float  # residual standard deviation around the line
    points: int

    @property
    def t(self) -> float:
        if self.slope_se > 0:
            return self.slope / self.slope_se
        return math.copysign(math.inf, self.slope) if self.slope else 0.0


@dataclass(frozen=True)
class Settling:
    settled: bool
    since_epoch: int | None  # first epoch of the settled stretch (None if not settled)
    slope: float  # per epoch, over the last ``window`` epochs (NaN if too few)
    slope_se: float
    noise: float  # residual std over the last ``window`` epochs
    best_epoch: int | None  # None when nothing was measured
    best_score: float
    window: int


def fit_trend(epochs: Sequence[float], scores: Sequence[float]) -> Trend:
    """Least-squares line through (epoch, score) pairs (NaNs skipped)."""
    x = np.asarray(epochs, dtype=float)
    y = np.asarray(scores, dtype=float)
    keep = ~np.isnan(y)
    x, y = x[keep], y[keep]
    if len(x) < 3:
        return Trend(math.nan, math.nan, math.nan, len(x))
    dx = x - x.mean()
    sxx = float(dx @ dx)
    slope = float(dx @ (y - y.mean())) / sxx
    residual = y - y.mean() - slope * dx
    noise = math.sqrt(float(residual @ residual) / (len(x) - 2))
    return Trend(slope, noise / math.sqrt(sxx), noise, len(x))


def is_flat(trend: Trend, span: float, tolerance: float) -> bool:
    """No significant rise, and the line's change over ``span`` epochs is
    within NOISE_FACTOR noise widths or within ``tolerance``."""
    if trend.points < 3 or math.isnan(trend.slope):
        return False
    rising = trend.t > t_critical(trend.points - 2)
    return not rising and abs(trend.slope) * span <= max(NOISE_FACTOR * trend.noise, tolerance)


def best_epoch(epochs: Sequence[int], scores: Sequence[float],
               smooth: int = DEFAULT_SMOOTH) -> tuple[int | None, float]:
    """(epoch, score) of the best epoch, robust to one-epoch noise; see the module notes."""
    y = np.asarray(scores, dtype=float)
    if y.size == 0 or np.isnan(y).all():
        return None, math.nan
    half = max(0, int(smooth) // 2)
    averages = np.array([np.nanmean(y[max(0, i - half):i + half + 1])
                         if not np.isnan(y[max(0, i - half):i + half + 1]).all() else -np.inf
                         for i in range(len(y))])
    centre = len(y) - 1 - int(np.argmax(averages[::-1]))  # last of equal averages
    lo, hi = max(0, centre - half), min(len(y), centre + half + 1)
    span = y[lo:hi]
    pick = lo + len(span) - 1 - int(np.nanargmax(span[::-1]))
    return int(epochs[pick]), float(y[pick])


def _settled_start(x: np.ndarray, y: np.ndarray, window: int, tolerance: float) -> int:
    """Index of the earliest start whose stretch to the end passes ``is_flat``,
    searching back from the last window and giving up after PATIENCE
    failures in a row (one failure may be chance; a rise fails them all)."""
    start = best = len(y) - window
    failures = 0
    while start > 0 and failures < PATIENCE:
        start -= 1
        if is_flat(fit_trend(x[start:], y[start:]), len(y) - 1 - start, tolerance):
            best, failures = start, 0
        else:
            failures += 1
    return best


def settling(scores: Sequence[float], epochs: Sequence[int] | None = None,
             window: int = DEFAULT_WINDOW, smooth: int = DEFAULT_SMOOTH,
             tolerance: float = DEFAULT_TOLERANCE) -> Settling:
    """Has the score settled over the last ``window`` epochs, since when,
    and which epoch is best; ``epochs`` default to 1, 2, ..."""
    y = np.asarray(scores, dtype=float)
    x = np.arange(1, len(y) + 1) if epochs is None else np.asarray(epochs)
    if len(x) != len(y):
        raise ValueError(f"{len(y)} scores but {len(x)} epochs")
    if window < 3:
        raise ValueError(f"window must be at least 3 epochs, not {window}")
    best, best_score = best_epoch(x, y, smooth)
    if len(y) < window:
        return Settling(False, None, math.nan, math.nan, math.nan, best, best_score, window)
    recent = fit_trend(x[-window:], y[-window:])
    settled = is_flat(recent, window - 1, tolerance)
    since = int(x[_settled_start(x, y, window, tolerance)]) if settled else None
    return Settling(settled, since, recent.slope, recent.slope_se, recent.noise, best, best_score, window)
