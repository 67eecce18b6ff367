"""The Training tab: six panels, each on its own axis so no curve is
flattened by another's scale.

  composer (generator) loss   critic loss                 Wasserstein estimate
  similarity index            copying                     genre fidelity

The generator panel adds the loss's adversarial and reconstruction parts
when the run reports them; the index panel has the index on unseen melodies
(the job's index when it has an evaluation split), on training melodies
(dashed) and the ceiling; copying has the share of note-steps copied (left
axis, %), the same share on unseen melodies (dotted: what the model matches
without having seen the answer, so the gap above it is memorised) and the
longest copied run (right axis, bars). Legends are in the titles, where
they cover no data.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from app.jobs.series import COPYING_KEYS, FIDELITY_KEY, GENERATOR_PARTS, INDEX_KEYS, JobSeries
from app.ui.chart_items import (LINE_DASH, LINE_DOT, LOD_MAX_POINTS, JobCurves, add_right_axis_view,
                                envelope, finite_points, legend_entry, make_curve, make_pen,
                                make_plot, style_plot, vertical_marker)
from app.ui.theme import ChartColors

ANTIALIAS_MAX_POINTS = 3000
GEN_COLOR = QColor(31, 119, 180)
ADV_COLOR = QColor(23, 190, 207)
REC_COLOR = QColor(188, 189, 34)
CRITIC_COLOR = QColor(255, 127, 14)
WASS_COLOR = QColor(44, 160, 44)
SIM_COLOR = QColor(148, 103, 189)
COPY_COLOR = QColor(214, 39, 40)
FIDELITY_COLOR = QColor(140, 86, 75)
UNSEEN, TRAINING = INDEX_KEYS
COPY_SHARE, COPY_RUN, COPY_UNSEEN = COPYING_KEYS
STEP_CURVES = (("gen", "generator_loss", GEN_COLOR), ("critic", "critic_loss", CRITIC_COLOR),
               ("wass", "wasserstein", WASS_COLOR))


class TrainingPage:
    def __init__(self, colors: ChartColors):
        self.colors = colors
        self.view = pg.GraphicsLayoutWidget()
        layout = self.view.ci
        self.gen_panel = make_plot(layout, 0, 0, "Composer (generator) loss")
        self.critic_panel = make_plot(layout, 0, 1, "Critic loss", right_axis=True)
        self.wass_panel = make_plot(layout, 0, 2, "Wasserstein estimate")
        self.sim_panel = make_plot(layout, 1, 0, "Similarity index")
        self.copy_panel = make_plot(layout, 1, 1, "Copying", right_axis=True)
        self.fidelity_panel = make_plot(layout, 1, 2, "Genre fidelity (%)")
        self.panels = [self.gen_panel, self.critic_panel, self.wass_panel, self.sim_panel,
                       self.copy_panel, self.fidelity_panel]
        self.plots = {"gen": self.gen_panel.plot, "critic": self.critic_panel.plot,
                      "wass": self.wass_panel.plot, "sim": self.sim_panel.plot,
                      "copy_share": self.copy_panel.plot, "fidelity": self.fidelity_panel.plot}
        for name, top in (("sim", 1.05), ("fidelity", 105)):
            self.plots[name].setYRange(0, top)
            self.plots[name].vb.disableAutoRange(pg.ViewBox.YAxis)
        self.plots["copy_share"].setLabel("left", "note-steps %")
        self.copy_run_view = add_right_axis_view(self.plots["copy_share"], "bars")
        # shares and run lengths are never negative: an all-zero start must
        # not draw a -0.4 .. 0.4 axis
        self.plots["copy_share"].setLimits(yMin=0)
        self.copy_run_view.setLimits(yMin=0)
        self.ceiling_line = pg.InfiniteLine(angle=0, movable=False)
        self.ceiling_line.setVisible(False)
        self.plots["sim"].addItem(self.ceiling_line)
        self.best_lines = [vertical_marker(p.plot, None, "best" if p is self.sim_panel else None,
                                           SIM_COLOR) for p in self.panels]
        self.cursor_lines = [vertical_marker(p.plot, None) for p in self.panels]
        self.restyle(colors)

    def all_plots(self) -> list[pg.PlotItem]:
        return [p.plot for p in self.panels]

    # -- one job's curves ----------------------------------------------------------
    def add_curves(self, c: JobCurves) -> None:
        """The job's curves on every panel (an overlay: one colour, dashed,
        no raw values, no second curves)."""
        pick = (lambda own: own) if c.primary else (lambda _own: c.color)
        plots = self.plots
        if c.primary:
            for name, _field, own in STEP_CURVES:
                setattr(c, name + "_raw", c.add(plots[name], make_curve(plots[name], make_pen(own, 1, 60))))
            c.gen_adv = c.add(plots["gen"], make_curve(plots["gen"], make_pen(ADV_COLOR, 1.6, dash=True)))
            c.gen_rec = c.add(plots["gen"], make_curve(plots["gen"], make_pen(REC_COLOR, 1.6, dot=True)))
            c.sim_train = c.add(plots["sim"], make_curve(plots["sim"], make_pen(SIM_COLOR, 1.6, dash=True),
                                                         symbol="t", color=SIM_COLOR))
            c.copy_unseen = c.add(plots["copy_share"], make_curve(
                plots["copy_share"], make_pen(COPY_COLOR, 1.6, dot=True), symbol="d", color=COPY_COLOR))
            c.copy_run = pg.PlotDataItem([], [], pen=make_pen(COPY_COLOR, 1.6, dash=True), symbol="t",
                                         symbolSize=6, symbolBrush=COPY_COLOR, symbolPen=None,
                                         connect="finite")
            self.copy_run_view.addItem(c.copy_run)  # on the right axis
            c.add(self.copy_run_view, c.copy_run)
        for name, _field, own in STEP_CURVES:
            setattr(c, name, c.add(plots[name], make_curve(plots[name],
                                                           make_pen(pick(own), 2.2, dash=not c.primary))))
        for name, own in (("sim", SIM_COLOR), ("copy_share", COPY_COLOR), ("fidelity", FIDELITY_COLOR)):
            setattr(c, name, c.add(plots[name], make_curve(plots[name], make_pen(pick(own), 2, dash=not c.primary),
                                                           symbol="o", color=pick(own))))

    def draw(self, c: JobCurves, x_axis: str, smoothing: float, span: tuple[float, float]) -> np.ndarray:
        """Draw one job; returns the x of its epochs (for the metrics tab)."""
        s = c.series
        x, _ = s.step_xy("critic_loss", x_axis)
        # Antialiased stroking of thousands of segments costs Qt ~25x more
        # (measured: 830 ms vs 32 ms per repaint at 100k steps): long runs
        # are drawn without it, and look the same at that density.
        aa = len(x) <= ANTIALIAS_MAX_POINTS
        lod = len(x) > LOD_MAX_POINTS and bool(np.all(np.diff(x) >= 0))

        def put(item, values) -> None:
            xs, ys = envelope(x, values, *span) if lod else (x, values)
            item.setData(xs, ys, antialias=aa)

        for name, field, _own in STEP_CURVES:
            if c.primary:
                put(getattr(c, name + "_raw"), s.step_xy(field, x_axis)[1])
            put(getattr(c, name), s.smoothed(field, smoothing))
        if c.primary:
            for item, field in zip((c.gen_adv, c.gen_rec), GENERATOR_PARTS, strict=True):
                put(item, s.smoothed(field, smoothing) if s.has_values(field) else np.full(len(x), np.nan))
        ex = s.epoch_x(x_axis)
        c.sim.setData(*finite_points(ex, s.epoch_values("similarity")))
        c.copy_share.setData(*finite_points(ex, 100.0 * s.epoch_values(COPY_SHARE)))
        c.fidelity.setData(*finite_points(ex, 100.0 * s.epoch_values(FIDELITY_KEY)))
        if c.primary:
            # the training-melody index beside the unseen one; alone it is the index itself
            c.sim_train.setData(*(finite_points(ex, s.epoch_values(TRAINING)) if s.has_values(UNSEEN)
                                  else ([], [])))
            c.copy_run.setData(*finite_points(ex, s.epoch_values(COPY_RUN)))
            c.copy_unseen.setData(*finite_points(ex, 100.0 * s.epoch_values(COPY_UNSEEN)))
            self._draw_ceiling(s)
        return ex

    def _draw_ceiling(self, s: JobSeries) -> None:
        ceiling = s.ceiling
        if ceiling != ceiling and s.epoch_rows:
            ceiling = s.epoch_values("ceiling")[-1]
        self.ceiling_line.setVisible(bool(ceiling == ceiling))
        if ceiling == ceiling:
            self.ceiling_line.setValue(float(ceiling))

    # -- markers and legends ------------------------------------------------------
    def set_markers(self, best_x: float | None, cursor_x: float | None) -> None:
        for lines, x in ((self.best_lines, best_x), (self.cursor_lines, cursor_x)):
            for line in lines:
                line.setVisible(x is not None)
                if x is not None:
                    line.setValue(x)

    def update_legends(self, s: JobSeries | None) -> None:
        if s is None:  # no job shown: no legend to read
            for panel in self.panels:
                panel.set_legend([])
            return
        has = s.has_values
        parts = has(GENERATOR_PARTS[0]) or has(GENERATOR_PARTS[1])
        self.gen_panel.set_legend([legend_entry(GEN_COLOR, "total")] + (
            [legend_entry(ADV_COLOR, "adversarial", LINE_DASH),
             legend_entry(REC_COLOR, "reconstruction", LINE_DOT)] if parts else []))
        sim = [legend_entry(SIM_COLOR, "unseen" if has(UNSEEN) else "index")]
        if has(UNSEEN) and has(TRAINING):
            sim.append(legend_entry(SIM_COLOR, "training melodies", LINE_DASH))
        if self.ceiling_line.isVisible():
            sim.append(legend_entry(self.colors.muted, f"ceiling {self.ceiling_line.value():.2f}", LINE_DASH))
        self.sim_panel.set_legend(sim)
        measured = bool(s.epoch_rows)
        self.copy_panel.set_legend(
            [legend_entry(COPY_COLOR, "note-steps %")]
            + ([legend_entry(COPY_COLOR, "same on unseen", LINE_DOT)] if has(COPY_UNSEEN) else [])
            + [legend_entry(COPY_COLOR, "longest run, bars", LINE_DASH)] if has(COPY_SHARE) else
            ["<i>not measured for this job</i>"] if measured else [])
        self.fidelity_panel.set_legend([] if has(FIDELITY_KEY) or not measured else
                                       ["<i>not judged for this job</i>"])

    def restyle(self, colors: ChartColors) -> None:
        self.colors = colors
        self.view.setBackground(colors.background)
        for panel in self.panels:
            style_plot(panel, colors)
        self.ceiling_line.setPen(make_pen(colors.muted, 1.5, 220, dash=True))
        for line in self.best_lines:
            line.setPen(make_pen(SIM_COLOR, 1.2, 200, dot=True))
        for line in self.cursor_lines:
            line.setPen(make_pen(colors.foreground, 1.5))
