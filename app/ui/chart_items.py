"""Drawing pieces of the training charts: pens, curves that clip and
downsample, the min/max envelope that keeps long runs cheap, and the set of
curves one job owns. No widgets here; ``app.ui.charts`` lays them out.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from app.jobs.series import JobSeries

# Step curves longer than this are handed to pyqtgraph as a min/max envelope
# of the visible span: a million-step run then costs what 4,000 points cost.
LOD_MAX_POINTS = 4000


def make_pen(color: QColor, width: float = 1.0, alpha: int = 255, dash: bool = False,
             dot: bool = False):
    c = QColor(color)
    c.setAlpha(alpha)
    pen = pg.mkPen(c, width=width)
    if dash:
        pen.setStyle(Qt.DashLine)
    if dot:
        pen.setStyle(Qt.DotLine)
    return pen


def finite_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-epoch markers: a NaN epoch is simply not drawn."""
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def envelope(x: np.ndarray, y: np.ndarray, lo: float, hi: float,
             max_points: int = LOD_MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """The points of ``(x, y)`` with ``lo <= x <= hi`` (plus one either side),
    reduced to at most ``max_points`` by keeping each bucket's minimum and
    maximum in order, so peaks stay visible. ``x`` must be sorted; NaN
    buckets stay NaN (a gap)."""
    if len(x) <= max_points:
        return x, y
    start = max(int(np.searchsorted(x, lo, side="left")) - 1, 0)
    stop = min(int(np.searchsorted(x, hi, side="right")) + 1, len(x))
    x, y = x[start:stop], y[start:stop]
    if len(x) <= max_points:
        return x, y
    buckets = max_points // 2
    size = -(-len(x) // buckets)  # ceil
    pad = buckets * size - len(x)
    yb = np.concatenate([y, np.full(pad, np.nan)]).reshape(buckets, size)
    xb = np.concatenate([x, np.full(pad, x[-1])]).reshape(buckets, size)
    finite = np.isfinite(yb)
    low = np.where(finite, yb, np.inf).argmin(axis=1)
    high = np.where(finite, yb, -np.inf).argmax(axis=1)
    first, second = np.minimum(low, high), np.maximum(low, high)
    rows = np.arange(buckets)
    out_x = np.stack([xb[rows, first], xb[rows, second]], axis=1).ravel()
    out_y = np.stack([yb[rows, first], yb[rows, second]], axis=1).ravel()
    out_y[np.repeat(~finite.any(axis=1), 2)] = np.nan
    return out_x, out_y


def make_curve(plot: pg.PlotItem, pen, name: str | None = None, symbol: str | None = None,
               color: QColor | None = None) -> pg.PlotDataItem:
    item = plot.plot([], [], pen=pen, name=name, connect="finite",
                     symbol=symbol, symbolSize=6 if symbol else None,
                     symbolBrush=color, symbolPen=None)
    item.setClipToView(True)
    item.setDownsampling(auto=True, method="peak")
    return item


class JobCurves:
    """The curves one job owns across all plots (created once)."""

    def __init__(self, series: JobSeries, color_gen: QColor, color_critic: QColor,
                 color_wass: QColor, color_sim: QColor, primary: bool, label: str):
        self.series = series
        self.primary = primary
        self.label = label
        self.colors = (color_gen, color_critic, color_wass, color_sim)
        self.items: list[tuple[pg.PlotItem, pg.GraphicsObject]] = []
        self.metric_items: dict[str, pg.PlotDataItem] = {}
        self.drawn_version = -1

    def add(self, plot: pg.PlotItem, item) -> pg.PlotDataItem:
        self.items.append((plot, item))
        return item

    def remove(self) -> None:
        for plot, item in self.items:
            plot.removeItem(item)
        self.items.clear()
        self.metric_items.clear()
