"""Drawing pieces of the training charts: pens, curves that clip and
downsample, the min/max envelope that keeps long runs cheap, the set of
curves one job owns, plots styled from the palette with their legend in the
title (a legend inside the plot covers data), and vertical markers. No
widgets here; ``app.ui.charts`` lays them out.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from app.jobs.series import JobSeries
from app.ui.theme import ChartColors

# Step curves longer than this are handed to pyqtgraph as a min/max envelope
# of the visible span: a million-step run then costs what 4,000 points cost.
LOD_MAX_POINTS = 4000
# Every plot's left and right axis take these widths, so the x axes of
# plots above one another line up whatever their tick labels.
LEFT_AXIS_WIDTH = 50
RIGHT_AXIS_WIDTH = 44  # only in a column where one plot has a second y axis
RIGHT_MARGIN = 8

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
    "parallel_fifths/all": "Parallel fifths per bar",
    "parallel_octaves/all": "Parallel octaves per bar",
    "voice_crossings": "Voice crossings per bar",  # a curve per neighbouring pair
    "voices_sounding/all": "Voices sounding (of 4)",
    "onsets_per_bar": "Notes started per bar",
    "voice_range": "Range per voice (semitones)",
    "repeated_note_rate": "Repeated notes (share)",
}
# Voices high -> low, the piano roll's track colours.
VOICE_COLORS = (QColor("#e4572e"), QColor("#f3a712"), QColor("#29bf12"), QColor("#2e86de"))


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
    n = min(len(x), len(y))
    x, y = x[:n], y[:n]
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


def make_curve(plot: pg.PlotItem, pen, symbol: str | None = None,
               color: QColor | None = None) -> pg.PlotDataItem:
    item = plot.plot([], [], pen=pen, connect="finite",
                     symbol=symbol, symbolSize=6 if symbol else None,
                     symbolBrush=color, symbolPen=None)
    item.setClipToView(True)
    item.setDownsampling(auto=True, method="peak")
    return item


# -- legends in titles ---------------------------------------------------------
LINE_SOLID, LINE_DASH, LINE_DOT = "━", "╍", "┅"


def legend_entry(color: QColor, text: str, line: str = LINE_SOLID) -> str:
    """A coloured line sample and its words, as HTML for a title."""
    return (f"<span style='color:{QColor(color).name()}'>{line}</span>&nbsp;"
            f"{html.escape(text)}")


class ThemedPlot:
    """A plot and the label above it (its title and legend entries,
    re-rendered in the palette's colours). The label is a cell of its own
    in the grid, as wide as the plot with its axes: a narrow plot clips
    less of it than of pyqtgraph's own title, which is only as wide as the
    data area."""

    def __init__(self, plot: pg.PlotItem, label: pg.LabelItem, title: str):
        self.plot, self.label, self.title, self.legend = plot, label, title, []
        label.updateMin = lambda: _update_min(label)  # resizeEvent calls it too
        label.setFlag(label.GraphicsItemFlag.ItemClipsChildrenToShape, True)

    def set_legend(self, entries: list[str]) -> None:
        if entries != self.legend:
            self.legend = list(entries)
            self.render(None)

    def render(self, colors: ChartColors | None) -> None:
        if colors is not None:
            self._colors = colors
        colors = getattr(self, "_colors", None)
        color = colors.foreground.name() if colors else None
        text = f"<b>{html.escape(self.title)}</b>"
        if self.legend:
            text += "<br><span style='font-size:8pt'>" + "&nbsp; ".join(self.legend) + "</span>"
        label = self.label
        label.setText(text, color=color, size="9pt", justify="left")
        height = max(20, int(label.itemRect().height()) + 2)
        label.setMaximumHeight(height)
        label.setMinimumHeight(height)


def _update_min(label: pg.LabelItem) -> None:
    """pyqtgraph makes a title's width the plot's minimum width, which pushes
    a narrow window's third column off screen: the title may shrink (it is
    clipped) and only its height counts."""
    height = label.itemRect().height()
    label.setMinimumWidth(0)
    label.setMinimumHeight(height)
    label._sizeHint = {Qt.SizeHint.MinimumSize: (0, height), Qt.SizeHint.PreferredSize: (0, height),
                       Qt.SizeHint.MaximumSize: (-1, -1), Qt.SizeHint.MinimumDescent: (0, 0)}
    label.updateGeometry()


def make_plot(layout: pg.GraphicsLayout, row: int, col: int, title: str,
              right_axis: bool = False) -> ThemedPlot:
    """A plot with fixed axis widths (lined-up x axes: ``right_axis``
    reserves room for a second y axis, for every plot of that column), a
    grid, no corner buttons (the panel has its own Follow), y fitted to
    what is visible."""
    label = layout.addLabel("", row=2 * row, col=col)
    plot = layout.addPlot(row=2 * row + 1, col=col)
    plot.hideButtons()
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
    plot.showAxis("right")
    right = plot.getAxis("right")
    right.setWidth(RIGHT_AXIS_WIDTH if right_axis else RIGHT_MARGIN)
    right.setStyle(showValues=False)
    for name in ("left", "right"):
        plot.getAxis(name).enableAutoSIPrefix(False)  # "bars (x0.001)" reads badly
    plot.vb.disableAutoRange(pg.ViewBox.XAxis)
    plot.vb.setAutoVisible(y=True)
    themed = ThemedPlot(plot, label, title)
    themed.render(None)
    return themed


def style_plot(themed: ThemedPlot, colors: ChartColors) -> None:
    """Axes, tick labels and title in the palette's colours; the right axis
    only reserves room (its line is hidden) unless it carries values."""
    plot = themed.plot
    for name in ("left", "bottom", "right"):
        axis = plot.getAxis(name)
        axis.setTextPen(colors.foreground)
        axis.setPen(colors.foreground)
    if not getattr(plot, "right_values", False):
        plot.getAxis("right").setPen(pg.mkPen(None))
    plot.showGrid(x=True, y=True, alpha=colors.grid_alpha)
    themed.render(colors)


def add_right_axis_view(plot: pg.PlotItem, label: str) -> pg.ViewBox:
    """A second y axis on the right with its own view, sharing the x range."""
    view = pg.ViewBox()
    plot.scene().addItem(view)
    axis = plot.getAxis("right")
    axis.setStyle(showValues=True)
    axis.setLabel(label)
    axis.linkToView(view)
    view.enableAutoRange(pg.ViewBox.XAxis, False)
    plot.right_values = True

    # The same place and the same x range as the plot's own view (pyqtgraph's
    # setXLink lines views up by screen position, off by the axis widths here).
    def follow_geometry() -> None:
        view.setGeometry(plot.vb.sceneBoundingRect())
        follow_x()

    def follow_x() -> None:
        view.setXRange(*plot.vb.viewRange()[0], padding=0)

    plot.vb.geometryChanged.connect(follow_geometry)  # moved or resized
    plot.vb.sigXRangeChanged.connect(follow_x)
    follow_geometry()
    return view


def vertical_marker(plot: pg.PlotItem, pen, label: str | None = None,
                    color: QColor | None = None) -> pg.InfiniteLine:
    """A hidden vertical line (the best epoch, the listening cursor) that
    never changes the plot's range."""
    # pyqtgraph takes the first anchor when the line is left of the view's
    # centre: the text stays on the side with room
    opts = {"position": 0.97, "color": color, "anchors": [(0, 0), (1, 0)]} if label else None
    line = pg.InfiniteLine(angle=90, movable=False, pen=pen, label=label, labelOpts=opts)
    line.setVisible(False)
    plot.addItem(line, ignoreBounds=True)
    return line


class JobCurves:
    """The curves one job owns across all plots (created once)."""

    def __init__(self, series: JobSeries, color: QColor, primary: bool, label: str):
        self.series = series
        self.primary = primary
        self.label = label
        self.color = color  # an overlay's one colour
        self.items: list[tuple[pg.PlotItem, pg.GraphicsObject]] = []
        self.metric_items: dict[str, pg.PlotDataItem] = {}
        self.drawn_version = -1

    def add(self, plot, item) -> pg.PlotDataItem:
        self.items.append((plot, item))
        return item

    def remove(self) -> None:
        for plot, item in self.items:
            plot.removeItem(item)
        self.items.clear()
        self.metric_items.clear()
