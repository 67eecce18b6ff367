"""Live training charts (pyqtgraph), modelled on TensorBoard's scalars page.

Curves are created once per job shown and fed by a 15 Hz timer that redraws
only when the data (``JobSeries.version``) or a setting changed. Every curve
clips to the view and peak-downsamples, so a million-step run pans smoothly;
``connect='finite'`` leaves a gap at NaN points instead of breaking the plot.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QMenu,
                               QMessageBox, QPushButton, QSlider, QTabWidget, QToolButton,
                               QVBoxLayout, QWidget)

from app.jobs.series import X_AXES, X_LABELS, JobSeries
from app.ui.chart_items import (LOD_MAX_POINTS, METRIC_TITLES, JobCurves, envelope, finite_points,
                                make_curve, make_metric_plot, make_pen)

REFRESH_HZ = 15
ANTIALIAS_MAX_POINTS = 3000
GEN_COLOR = QColor(31, 119, 180)
CRITIC_COLOR = QColor(255, 127, 14)
WASS_COLOR = QColor(44, 160, 44)
SIM_COLOR = QColor(148, 103, 189)
# Overlaid jobs cycle through these (distinct from the main job's colours).
OVERLAY_COLORS = [QColor(214, 39, 40), QColor(140, 86, 75), QColor(227, 119, 194),
                  QColor(127, 127, 127), QColor(188, 189, 34), QColor(23, 190, 207)]


class ChartsPanel(QWidget):
    """Losses, Wasserstein estimate, similarity index and music metrics."""

    overlay_requested = Signal(int, bool)  # job id, shown

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background="w", foreground="k")
        self._x_axis = "step"
        self._smoothing = 0.6
        self._main: JobCurves | None = None
        self._overlays: dict[int, JobCurves] = {}
        self._overlay_choices: list[tuple[int, str]] = []
        self._dirty_settings = True
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(1000 // REFRESH_HZ)
        self._timer.timeout.connect(self._refresh)
        self._timer.start()

    # -- layout -------------------------------------------------------------
    def _build(self) -> None:
        controls = self._build_controls()
        self._build_plots()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.tabs, 1)
        self._apply_axis_labels()

    def _build_controls(self) -> QHBoxLayout:
        controls = QHBoxLayout()
        controls.addWidget(QLabel("X axis:"))
        self.x_combo = QComboBox()
        for key in X_AXES:
            self.x_combo.addItem(X_LABELS[key], key)
        self.x_combo.setToolTip("Plot against generator steps, epochs, or seconds since the start.")
        self.x_combo.currentIndexChanged.connect(self._on_x_axis)
        controls.addWidget(self.x_combo)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Smoothing:"))
        self.smooth_slider = QSlider(Qt.Horizontal)
        self.smooth_slider.setRange(0, 99)
        self.smooth_slider.setValue(int(self._smoothing * 100))
        self.smooth_slider.setFixedWidth(140)
        self.smooth_slider.setToolTip(
            "Bold lines are a moving average of the faint raw values. Slide right "
            "to see the trend through noisy losses.")
        self.smooth_slider.valueChanged.connect(self._on_smoothing)
        controls.addWidget(self.smooth_slider)
        self.smooth_label = QLabel(f"{self._smoothing:.2f}")
        self.smooth_label.setMinimumWidth(32)
        controls.addWidget(self.smooth_label)
        controls.addStretch(1)
        self.compare_button = QToolButton()
        self.compare_button.setText("Compare with…")
        self.compare_button.setToolTip("Overlay other jobs' curves on these charts.")
        self.compare_button.setPopupMode(QToolButton.InstantPopup)
        self.compare_menu = QMenu(self.compare_button)
        self.compare_menu.aboutToShow.connect(self._fill_compare_menu)
        self.compare_button.setMenu(self.compare_menu)
        controls.addWidget(self.compare_button)
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.setToolTip("Write the chart data (per step and per epoch) to CSV files.")
        self.csv_button.clicked.connect(self._export_csv_dialog)
        controls.addWidget(self.csv_button)
        self.png_button = QPushButton("Export PNG…")
        self.png_button.setToolTip("Save the charts on this tab as an image.")
        self.png_button.clicked.connect(self._export_png_dialog)
        controls.addWidget(self.png_button)
        return controls

    def _build_plots(self) -> None:
        self.tabs = QTabWidget()
        self.training_view = pg.GraphicsLayoutWidget()
        self.metrics_view = pg.GraphicsLayoutWidget()
        self.tabs.addTab(self.training_view, "Training")
        self.tabs.addTab(self.metrics_view, "Music metrics")

        self.loss_plot = self.training_view.addPlot(row=0, col=0, colspan=2,
                                                    title="Losses: composer (generator) and critic")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.wass_plot = self.training_view.addPlot(row=1, col=0,
                                                    title="Wasserstein estimate (real vs generated gap)")
        self.sim_plot = self.training_view.addPlot(row=1, col=1,
                                                   title="Similarity index (1 = like the real music)")
        self.sim_plot.setYRange(0, 1.05)
        self.sim_plot.addLegend(offset=(-10, -10))
        self.ceiling_line = pg.InfiniteLine(angle=0, movable=False,
                                            pen=make_pen(SIM_COLOR, 1.5, 180, dash=True),
                                            label="ceiling (real vs real) {value:.2f}",
                                            labelOpts={"position": 0.5, "color": SIM_COLOR,
                                                       "anchors": [(0.5, 1), (0.5, 1)]})
        self.ceiling_line.setVisible(False)
        self.sim_plot.addItem(self.ceiling_line)
        for plot in (self.loss_plot, self.wass_plot, self.sim_plot):
            plot.showGrid(x=True, y=True, alpha=0.15)
        for plot in (self.loss_plot, self.wass_plot):
            # a zoom or pan redraws long runs' envelopes at the new detail
            plot.vb.sigXRangeChanged.connect(self._on_user_range)
        self.metric_plots: dict[str, tuple[pg.PlotItem, pg.InfiniteLine]] = {}
        self.metrics_hint = QLabel("The music metrics appear after the first epoch.")
        self.metrics_hint.setAlignment(Qt.AlignCenter)

    # -- jobs shown ---------------------------------------------------------
    def set_series(self, series: JobSeries | None) -> None:
        """Show this job (None clears); overlays are kept."""
        if self._main is not None and series is not None and self._main.series is series:
            return
        if self._main is not None:
            self._main.remove()
            self._main = None
        if series is not None:
            self._main = self._make_curves(series, primary=True)
        self._dirty_settings = True

    def set_overlay_choices(self, choices: list[tuple[int, str]]) -> None:
        self._overlay_choices = choices

    def add_overlay(self, series: JobSeries) -> None:
        if series.job_id in self._overlays:
            return
        self._overlays[series.job_id] = self._make_curves(series, primary=False)
        self._dirty_settings = True

    def remove_overlay(self, job_id: int) -> None:
        curves = self._overlays.pop(job_id, None)
        if curves is not None:
            curves.remove()
        self._dirty_settings = True

    def overlay_ids(self) -> list[int]:
        return list(self._overlays)

    def plotted(self, curve: str, job_id: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The points drawn now for one curve (``gen``, ``critic``, ``wass``,
        ``sim`` and, for the main job, ``gen_raw``, ``critic_raw``,
        ``wass_raw``) of the main job or the overlaid ``job_id``."""
        curves = self._main if job_id is None else self._overlays[job_id]
        item = getattr(curves, curve)
        return item.xData, item.yData

    def _make_curves(self, series: JobSeries, primary: bool) -> JobCurves:
        if primary:
            colors = (GEN_COLOR, CRITIC_COLOR, WASS_COLOR, SIM_COLOR)
            label = ""
        else:
            color = OVERLAY_COLORS[len(self._overlays) % len(OVERLAY_COLORS)]
            colors = (color, color, color, color)
            label = f" ({series.name or 'job ' + str(series.job_id)})"
        c = JobCurves(series, *colors, primary=primary, label=label)
        gen, critic, wass, sim = colors
        if primary:
            c.gen_raw = c.add(self.loss_plot, make_curve(self.loss_plot, make_pen(gen, 1, 60)))
            c.critic_raw = c.add(self.loss_plot, make_curve(self.loss_plot, make_pen(critic, 1, 60)))
            c.wass_raw = c.add(self.wass_plot, make_curve(self.wass_plot, make_pen(wass, 1, 60)))
        c.gen = c.add(self.loss_plot, make_curve(self.loss_plot, make_pen(gen, 2.2, dash=not primary),
                                                 name="composer (generator)" + label))
        c.critic = c.add(self.loss_plot, make_curve(self.loss_plot, make_pen(critic, 2.2, dot=not primary),
                                                    name="critic" + label))
        c.wass = c.add(self.wass_plot, make_curve(self.wass_plot, make_pen(wass, 2.2, dash=not primary)))
        c.sim = c.add(self.sim_plot, make_curve(self.sim_plot, make_pen(sim, 2), symbol="o", color=sim,
                                                name=("this job" if primary else label.strip(" ()"))))
        return c

    # -- settings -----------------------------------------------------------
    def x_axis(self) -> str:
        return self._x_axis

    def set_x_axis(self, key: str) -> None:
        self.x_combo.setCurrentIndex(X_AXES.index(key))

    def smoothing(self) -> float:
        return self._smoothing

    def set_smoothing(self, value: float) -> None:
        self.smooth_slider.setValue(int(round(value * 100)))

    def _on_x_axis(self) -> None:
        self._x_axis = self.x_combo.currentData()
        self._apply_axis_labels()
        self._dirty_settings = True
        for plot in [self.loss_plot, self.wass_plot, self.sim_plot] + \
                [p for p, _ in self.metric_plots.values()]:
            plot.enableAutoRange()

    def _on_smoothing(self, value: int) -> None:
        self._smoothing = value / 100.0
        self.smooth_label.setText(f"{self._smoothing:.2f}")
        self._dirty_settings = True

    def _apply_axis_labels(self) -> None:
        text = X_LABELS[self._x_axis]
        for plot in [self.loss_plot, self.wass_plot, self.sim_plot] + \
                [p for p, _ in self.metric_plots.values()]:
            plot.setLabel("bottom", text)

    # -- drawing ------------------------------------------------------------
    def stop(self) -> None:
        self._timer.stop()

    def refresh_now(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        jobs = ([self._main] if self._main else []) + list(self._overlays.values())
        for curves in jobs:
            if self._dirty_settings or curves.drawn_version != curves.series.version:
                self._draw(curves)
        self._dirty_settings = False

    @staticmethod
    def _span(plot: pg.PlotItem, x: np.ndarray) -> tuple[float, float]:
        """The x span to draw in detail: everything while the plot follows
        the data (auto-range), else what the user zoomed to."""
        if plot.vb.autoRangeEnabled()[0] or not len(x):
            return -np.inf, np.inf
        lo, hi = plot.vb.viewRange()[0]
        return lo, hi

    def _on_user_range(self, *_args) -> None:
        # Only a user's zoom/pan needs new detail; auto-range follows setData.
        if not (self.loss_plot.vb.autoRangeEnabled()[0] and self.wass_plot.vb.autoRangeEnabled()[0]):
            self._dirty_settings = True

    def _draw(self, c: JobCurves) -> None:
        s, xa, w = c.series, self._x_axis, self._smoothing
        x, gen = s.step_xy("generator_loss", xa)
        _, critic = s.step_xy("critic_loss", xa)
        _, wass = s.step_xy("wasserstein", xa)
        # Antialiased stroking of thousands of segments costs Qt ~25x more
        # (measured: 830 ms vs 32 ms per repaint at 100k steps): long runs
        # are drawn without it, and look the same at that density.
        aa = len(x) <= ANTIALIAS_MAX_POINTS
        lod = len(x) > LOD_MAX_POINTS and bool(np.all(np.diff(x) >= 0))
        loss_span, wass_span = self._span(self.loss_plot, x), self._span(self.wass_plot, x)

        def put(item, values, span) -> None:
            xs, ys = envelope(x, values, *span) if lod else (x, values)
            item.setData(xs, ys, antialias=aa)

        if c.primary:
            put(c.gen_raw, gen, loss_span)
            put(c.critic_raw, critic, loss_span)
            put(c.wass_raw, wass, wass_span)
        put(c.gen, s.smoothed("generator_loss", w), loss_span)
        put(c.critic, s.smoothed("critic_loss", w), loss_span)
        put(c.wass, s.smoothed("wasserstein", w), wass_span)
        ex = s.epoch_x(xa)
        c.sim.setData(*finite_points(ex, s.epoch_values("similarity")))
        if c.primary:
            ceiling = s.ceiling
            if ceiling != ceiling and s.epoch_rows:
                ceiling = s.epoch_values("ceiling")[-1]
            self.ceiling_line.setVisible(bool(ceiling == ceiling))
            if ceiling == ceiling:
                self.ceiling_line.setValue(float(ceiling))
        complete = self._draw_metrics(c, ex)
        c.drawn_version = s.version if complete else -1

    def _draw_metrics(self, c: JobCurves, ex: np.ndarray) -> bool:
        """The Music metrics tab; False when some plot is still to be made."""
        s = c.series
        complete = True
        created = 0
        for name in s.aggregate_metric_names():
            if name not in self.metric_plots:
                # Building a plot costs tens of ms (more on a busy CPU): one per
                # tick keeps the event loop responsive when the first epoch lands.
                if created:
                    complete = False
                    continue
                created += 1
            plot, ref_line = self._metric_plot(name)
            item = c.metric_items.get(name)
            if item is None:
                color = c.colors[3] if not c.primary else SIM_COLOR
                item = c.add(plot, make_curve(plot, make_pen(color, 2, dash=not c.primary),
                                              symbol="o", color=color))
                c.metric_items[name] = item
            item.setData(*finite_points(ex, s.epoch_values(name)))
            if c.primary:
                ref = s.reference.get(name, float("nan"))
                ref_line.setVisible(bool(ref == ref))
                if ref == ref:
                    ref_line.setValue(float(ref))
                    values = s.epoch_values(name)
                    values = values[np.isfinite(values)]
                    span = float(np.ptp(np.append(values, ref))) or abs(ref) or 1.0
                    x0 = float(ex[0]) if len(ex) else 0.0
                    ref_line.span_item.setData([x0, x0], [ref - 0.15 * span, ref + 0.15 * span])
        return complete

    def _metric_plot(self, name: str) -> tuple[pg.PlotItem, pg.InfiniteLine]:
        if name not in self.metric_plots:
            self.metric_plots[name] = make_metric_plot(
                self.metrics_view, len(self.metric_plots), METRIC_TITLES.get(name, name.replace("_", " ")),
                X_LABELS[self._x_axis])
        return self.metric_plots[name]

    # -- compare menu ---------------------------------------------------------
    def _fill_compare_menu(self) -> None:
        self.compare_menu.clear()
        main_id = self._main.series.job_id if self._main else None
        choices = [(i, n) for i, n in self._overlay_choices if i != main_id]
        if not choices:
            action = self.compare_menu.addAction("No other jobs yet")
            action.setEnabled(False)
            return
        for job_id, name in choices:
            action = self.compare_menu.addAction(f"#{job_id} {name}")
            action.setCheckable(True)
            action.setChecked(job_id in self._overlays)
            action.toggled.connect(lambda on, j=job_id: self.overlay_requested.emit(j, on))

    # -- export -------------------------------------------------------------
    def all_series(self) -> list[JobSeries]:
        return ([self._main.series] if self._main else []) + [c.series for c in self._overlays.values()]

    def export_csv(self, folder: Path) -> list[Path]:
        written: list[Path] = []
        for series in self.all_series():
            written += series.write_csv(folder)
        return written

    def export_png(self, path: Path) -> Path:
        self._refresh()
        view = self.tabs.currentWidget()
        if not view.grab().save(str(path)):
            raise OSError(f"could not write the image {path} (is the folder writable "
                          "and the name ending in .png?)")
        return Path(path)

    def _export_csv_dialog(self) -> None:
        if not self.all_series():
            QMessageBox.information(self, "Export CSV", "Select a job first.")
            return
        folder = QFileDialog.getExistingDirectory(self, "Folder for the CSV files")
        if not folder:
            return
        try:
            written = self.export_csv(Path(folder))
        except OSError as exc:
            QMessageBox.warning(self, "Export CSV", f"Could not write the CSV files: {exc}")
            return
        QMessageBox.information(self, "Export CSV",
                                "Wrote:\n" + "\n".join(str(p) for p in written))

    def _export_png_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save chart image", "charts.png",
                                              "PNG images (*.png)")
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        try:
            self.export_png(Path(path))
        except OSError as exc:
            QMessageBox.warning(self, "Export PNG", str(exc))
