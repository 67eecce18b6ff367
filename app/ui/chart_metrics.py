"""The Music metrics tab: every music metric and every voice-leading metric
per epoch, each beside the real music's value (a dashed line).

Two groups in one scrolling page, three plots a row: the whole-piece music
metrics, then voice leading (pair totals as one curve, per-voice metrics as
one curve per voice in the piano roll's voice colours, each voice with its
own dashed reference). Plots are made the first time their metric appears;
building one costs tens of ms, so ``draw`` makes at most one per call and
says when some are still to come.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QScrollArea

from app.ui.chart_items import (LINE_DASH, LINE_SOLID, METRIC_TITLES, VOICE_COLORS, JobCurves,
                                ThemedPlot, finite_points, legend_entry, make_curve, make_pen,
                                make_plot, style_plot, vertical_marker)
from app.ui.theme import ChartColors

COLUMNS = 3
ROW_HEIGHT = 200


class MetricPlot:
    """One plot: its reference lines (one per key) and markers."""

    def __init__(self, themed: ThemedPlot, keys: list[str], colors: ChartColors):
        self.themed, self.keys = themed, keys
        plot = themed.plot
        plot.setMouseEnabled(x=False, y=False)  # the wheel scrolls the page
        self.ref_lines: dict[str, pg.InfiniteLine] = {}
        for key in keys:
            line = pg.InfiniteLine(angle=0, movable=False)
            line.setVisible(False)
            plot.addItem(line)
            self.ref_lines[key] = line
        # transparent markers at the references: auto-range keeps them in view
        self.span_item = plot.plot([], [], pen=None, symbol="o", symbolSize=2,
                                   symbolBrush=(0, 0, 0, 0), symbolPen=None)
        self.best = vertical_marker(plot, make_pen(colors.muted, 1, dot=True))
        self.cursor = vertical_marker(plot, make_pen(colors.foreground, 1.5))
        self.restyle(colors)

    @property
    def plot(self) -> pg.PlotItem:
        return self.themed.plot

    def key_color(self, key: str, colors: ChartColors) -> QColor:
        if len(self.keys) == 1:
            return colors.muted
        return VOICE_COLORS[self.keys.index(key) % len(VOICE_COLORS)]

    def restyle(self, colors: ChartColors) -> None:
        self.colors = colors
        for key, line in self.ref_lines.items():
            line.setPen(make_pen(self.key_color(key, colors), 1.3, 200, dash=True))
        self.best.setPen(make_pen(colors.muted, 1, dot=True))
        self.cursor.setPen(make_pen(colors.foreground, 1.5))
        style_plot(self.themed, colors)


class MetricsPage:
    """The tab's widget (a scroll area) and its plots."""

    def __init__(self, colors: ChartColors):
        self.colors = colors
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(colors.background)
        self.music = self.view.addLayout(row=0, col=0)
        self.voice_header = self.view.addLabel("", row=1, col=0)
        self.voices = self.view.addLayout(row=2, col=0)
        self.widget = QScrollArea()
        self.widget.setWidgetResizable(True)
        self.widget.setWidget(self.view)
        self.widget.setFrameShape(QScrollArea.NoFrame)
        self.plots: dict[str, MetricPlot] = {}
        self._counts = {"music": 0, "voices": 0}
        self.x_label = "step"
        self.hint = "The music metrics appear after the first epoch."

    # -- plots ----------------------------------------------------------------
    def _make(self, name: str, keys: list[str], group: str) -> MetricPlot:
        layout = self.music if group == "music" else self.voices
        index = self._counts[group]
        self._counts[group] += 1
        themed = make_plot(layout, index // COLUMNS, index % COLUMNS,
                           METRIC_TITLES.get(name, name.replace("_", " ")))
        themed.plot.setLabel("bottom", self.x_label)
        metric = MetricPlot(themed, keys, self.colors)
        if len(keys) > 1:  # a curve per voice: name them in the title
            themed.set_legend([legend_entry(VOICE_COLORS[i % len(VOICE_COLORS)], k.split("/", 1)[1])
                               for i, k in enumerate(keys)])
        self.plots[name] = metric
        if group == "voices":
            self.voice_header.setText("Voice leading: generated (solid) and the real music (dashed)",
                                      color=self.colors.foreground.name(), size="10pt")
        self._fit_height()
        return metric

    def _fit_height(self) -> None:
        rows = sum(-(-n // COLUMNS) for n in self._counts.values())
        self.view.setMinimumHeight(rows * ROW_HEIGHT + (30 if self._counts["voices"] else 0))

    def wanted(self, series) -> list[tuple[str, list[str], str]]:
        return ([(n, [n], "music") for n in series.aggregate_metric_names()]
                + [(n, keys, "voices") for n, keys in series.voice_leading_names()])

    # -- drawing ----------------------------------------------------------------
    def draw(self, c: JobCurves, ex: np.ndarray, pen_color: QColor) -> bool:
        """Draw one job's metrics; False when a plot is still to be made."""
        s = c.series
        created = 0
        for name, keys, group in self.wanted(s):
            metric = self.plots.get(name)
            if metric is None:
                if created:
                    return False
                metric = self._make(name, keys, group)
                created += 1
            if not c.primary and len(keys) > 1:
                continue  # per-voice curves of an overlay would be unreadable
            for key in keys:
                self._draw_key(c, metric, key, ex, pen_color)
        return True

    def _draw_key(self, c: JobCurves, metric: MetricPlot, key: str, ex: np.ndarray,
                  pen_color: QColor) -> None:
        s = c.series
        item = c.metric_items.get(key)
        color = pen_color if len(metric.keys) == 1 else metric.key_color(key, self.colors)
        if item is None:
            item = c.add(metric.plot, make_curve(metric.plot, make_pen(color, 2, dash=not c.primary),
                                                 symbol="o", color=color))
            c.metric_items[key] = item
        values = s.epoch_values(key)
        item.setData(*finite_points(ex, values))
        if not c.primary:
            return
        ref = s.reference.get(key, float("nan"))
        ref = float("nan") if ref is None else float(ref)
        line = metric.ref_lines[key]
        line.setVisible(bool(ref == ref))
        if ref == ref:
            line.setValue(ref)
        if len(metric.keys) == 1:
            metric.themed.set_legend(
                [legend_entry(pen_color, "generated", LINE_SOLID)]
                + ([legend_entry(self.colors.muted, f"real music {ref:.3g}", LINE_DASH)] if ref == ref else []))
        refs = np.array([float(s.reference.get(k) or np.nan) for k in metric.keys])
        refs = refs[np.isfinite(refs)]
        if refs.size:
            finite = values[np.isfinite(values)]
            span = float(np.ptp(np.concatenate([finite, refs]))) or float(np.abs(refs).max()) or 1.0
            x0 = float(ex[0]) if len(ex) else 0.0
            ys = np.concatenate([refs - 0.15 * span, refs + 0.15 * span])
            metric.span_item.setData(np.full(ys.shape, x0), ys)

    def set_markers(self, best_x: float | None, cursor_x: float | None) -> None:
        for metric in self.plots.values():
            for line, x in ((metric.best, best_x), (metric.cursor, cursor_x)):
                line.setVisible(x is not None)
                if x is not None:
                    line.setValue(x)

    def show_x_range(self, lo: float, hi: float, only_new: bool = False) -> None:
        """Every plot (or only those made since the last call) shows ``lo..hi``."""
        for plot in self.all_plots():
            if not (only_new and getattr(plot, "x_shown", False)):
                plot.x_shown = True
                plot.vb.setXRange(lo, hi, padding=0)

    def all_plots(self) -> list[pg.PlotItem]:
        return [m.plot for m in self.plots.values()]

    def restyle(self, colors: ChartColors) -> None:
        self.colors = colors
        self.view.setBackground(colors.background)
        for metric in self.plots.values():
            metric.restyle(colors)
        if self._counts["voices"]:
            self.voice_header.setText("Voice leading: generated (solid) and the real music (dashed)",
                                      color=colors.foreground.name(), size="10pt")

    def set_x_label(self, text: str) -> None:
        self.x_label = text
        for plot in self.all_plots():
            plot.setLabel("bottom", text)

