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


# Titles of the Music metrics tab's plots (metrics not listed show their own name).
METRIC_TITLES = {
    "empty_bar_rate": "Empty bars (share)",
    "pitch_classes_per_bar": "Pitch classes per bar",
    "used_pitch_classes": "Pitch classes per bar",
    "qualified_note_rate": "Qualified notes (share)",
    "polyphony": "Polyphony (notes at once)",
    "in_scale_ratio": "In-scale notes (share)",
    "pitch_range": "Pitch range (semitones)",
    "note_density": "Note density",
    "tonal_distance": "Tonal distance between voices",
}


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


def make_metric_plot(view: pg.GraphicsLayoutWidget, index: int, title: str,
                     x_label: str) -> tuple[pg.PlotItem, pg.InfiniteLine]:
    """One plot of the Music metrics tab (three per row) and its dashed
    training-set reference line.

    Each metric plot also holds an invisible item spanning the reference
    value with a margin (``line.span_item``), so auto-range keeps the
    reference line and its label in view even when the generated values
    are far away."""
    plot = view.addPlot(row=index // 3, col=index % 3, title=title)
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setLabel("bottom", x_label)
    grey = QColor(80, 80, 80)
    line = pg.InfiniteLine(angle=0, movable=False, pen=make_pen(grey, 1.5, 200, True),
                           label="training set {value:.3g}",
                           labelOpts={"position": 0.5, "color": grey, "anchors": [(0.5, 1), (0.5, 1)]})
    line.setVisible(False)
    plot.addItem(line)
    # Transparent markers: auto-range counts them (an item that draws
    # nothing at all is left out of the bounds).
    line.span_item = plot.plot([], [], pen=None, symbol="o", symbolSize=2,
                               symbolBrush=(0, 0, 0, 0), symbolPen=None)
    return plot, line
