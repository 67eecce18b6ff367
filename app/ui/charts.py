"""Live training charts (pyqtgraph), modelled on TensorBoard's scalars page.

Two tabs: Training (``app.ui.chart_training``: losses, Wasserstein estimate,
similarity index, copying, genre fidelity, each on its own axis) and Music
metrics (``app.ui.chart_metrics``: music and voice-leading metrics beside
the real music's values). Every panel shows the same x range: while Follow
is on, the whole run (from 0, at least ``MIN_SPAN`` wide); a zoom or pan on
any panel turns Follow off and is copied to the others. The best epoch and
the listening cursor (``set_cursor_epoch``) are vertical lines on every
panel; the settled verdict is a line above the tabs.

Curves are created once per job shown and fed by a 15 Hz timer that redraws
only when the data (``JobSeries.version``) or a setting changed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QMenu, QPushButton, QSlider,
                               QTabWidget, QToolButton, QVBoxLayout, QWidget)

from app.jobs.series import X_AXES, X_LABELS, JobSeries, settling_text
from app.ui.chart_export import ChartExports
from app.ui.chart_items import LINE_DASH, JobCurves, legend_entry
from app.ui.chart_metrics import MetricsPage
from app.ui.chart_training import SIM_COLOR, TrainingPage
from app.ui.theme import ChartColors

REFRESH_HZ = 15
# Overlaid jobs cycle through these (distinct from the main job's colours).
OVERLAY_COLORS = [QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34),
                  QColor(23, 190, 207), QColor(214, 39, 40), QColor(140, 86, 75)]
# The narrowest x range shown (one point alone would get pyqtgraph's -20..20).
MIN_SPAN = {"step": 10.0, "epoch": 1.0, "time": 10.0}


class ChartsPanel(QWidget):
    """Losses, Wasserstein estimate, similarity index, copying, genre
    fidelity, music and voice-leading metrics."""

    overlay_requested = Signal(int, bool)  # job id, shown

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        pg.setConfigOptions(antialias=True)
        self._x_axis = "step"
        self._smoothing = 0.6
        self._follow = True
        self._syncing = False
        self._cursor_epoch: int | None = None
        self._main: JobCurves | None = None
        self._overlays: dict[int, JobCurves] = {}
        self._overlay_choices: list[tuple[int, str]] = []
        self._dirty_settings = True
        self.colors = ChartColors.of(self.palette())
        self._build()
        self.exports = ChartExports(self)
        self._timer = QTimer(self, interval=1000 // REFRESH_HZ, timeout=self._refresh)
        self._timer.start()

    # -- layout -------------------------------------------------------------
    def _build(self) -> None:
        controls = self._build_controls()
        self._build_plots()
        self.legend_label, self.settled_label = QLabel(), QLabel()
        self.settled_label.setToolTip(
            "Settled: over the last epochs the similarity index no longer rises by more than "
            "chance explains (a trend test). Best epoch: the best of a 3-epoch moving average, "
            "so one lucky epoch does not win. The dotted line marks it on every chart.")
        info = QHBoxLayout()
        info.addWidget(self.legend_label, 1)
        info.addWidget(self.settled_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addLayout(info)
        layout.addWidget(self.tabs, 1)
        self._apply_axis_labels()
        self._restyle()

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
        self.smooth_slider.setFixedWidth(120)
        self.smooth_slider.setToolTip(
            "Bold lines are a moving average of the faint raw values. Slide right "
            "to see the trend through noisy losses.")
        self.smooth_slider.valueChanged.connect(self._on_smoothing)
        controls.addWidget(self.smooth_slider)
        self.smooth_label = QLabel(f"{self._smoothing:.2f}")
        self.smooth_label.setMinimumWidth(32)
        controls.addWidget(self.smooth_label)
        self.follow_button = _button(QToolButton, "Follow", "Show the whole run on every chart as it "
                                     "grows. Zooming or panning a chart turns this off; press to "
                                     "show everything again.")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.toggled.connect(self.set_follow)
        controls.addWidget(self.follow_button)
        controls.addStretch(1)
        self.compare_button = _button(QToolButton, "Compare with…", "Overlay other jobs' curves on these charts.")
        self.compare_button.setPopupMode(QToolButton.InstantPopup)
        self.compare_menu = QMenu(self.compare_button)
        self.compare_menu.aboutToShow.connect(self._fill_compare_menu)
        self.compare_button.setMenu(self.compare_menu)
        self.csv_button = _button(QPushButton, "Export CSV…", "Write the chart data (per step and per "
                                  "epoch) to CSV files named after the job.")
        self.csv_button.clicked.connect(lambda: self.exports.csv_dialog())
        self.png_button = _button(QPushButton, "Export PNG…", "Save the charts on this tab as an image "
                                  "named after the job.")
        self.png_button.clicked.connect(lambda: self.exports.png_dialog())
        for button in (self.compare_button, self.csv_button, self.png_button):
            controls.addWidget(button)
        return controls

    def _build_plots(self) -> None:
        self.tabs = QTabWidget()
        self.training = TrainingPage(self.colors)
        self.metrics = MetricsPage(self.colors)
        self.training_view, self.metrics_view = self.training.view, self.metrics.view
        self.ceiling_line = self.training.ceiling_line
        self.tabs.addTab(self.training_view, "Training")
        self.tabs.addTab(self.metrics.widget, "Music metrics")
        for plot in self.training.all_plots():
            plot.vb.sigRangeChangedManually.connect(lambda *_a, vb=plot.vb: self._on_user_range(vb))

    def _all_plots(self) -> list[pg.PlotItem]:
        return self.training.all_plots() + self.metrics.all_plots()

    @property
    def metric_plots(self) -> dict[str, tuple[pg.PlotItem, pg.InfiniteLine]]:
        """Each Music metrics plot and its (first) real-music reference line."""
        return {name: (m.plot, next(iter(m.ref_lines.values())))
                for name, m in self.metrics.plots.items()}

    # -- jobs shown ---------------------------------------------------------
    def set_series(self, series: JobSeries | None) -> None:
        """Show this job (None clears); overlays are kept."""
        if self._main is not None and series is not None and self._main.series is series:
            return
        if self._main is not None:
            self._main.remove()
            self._main = None
        if series is not None:
            self.remove_overlay(series.job_id)  # never drawn twice over itself
            self._main = self._make_curves(series, primary=True)
        self.set_follow(True)

    def set_overlay_choices(self, choices: list[tuple[int, str]]) -> None:
        self._overlay_choices = choices

    def add_overlay(self, series: JobSeries) -> None:
        if series.job_id in self._overlays or series is self.main_series():
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

    def main_series(self) -> JobSeries | None:
        return self._main.series if self._main else None

    def all_series(self) -> list[JobSeries]:
        return ([self._main.series] if self._main else []) + [c.series for c in self._overlays.values()]

    def plotted(self, curve: str, job_id: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The points drawn now for one curve of the main job or the overlaid
        ``job_id``: ``gen``, ``critic``, ``wass``, ``sim``, ``copy_share``,
        ``fidelity`` and, for the main job, ``gen_raw``, ``critic_raw``,
        ``wass_raw``, ``gen_adv``, ``gen_rec``, ``sim_train``, ``copy_run``,
        ``copy_unseen``."""
        curves = self._main if job_id is None else self._overlays[job_id]
        item = getattr(curves, curve)
        x, y = item.getData()
        return (np.array([]) if x is None else x), (np.array([]) if y is None else y)

    def _make_curves(self, series: JobSeries, primary: bool) -> JobCurves:
        color = None if primary else OVERLAY_COLORS[len(self._overlays) % len(OVERLAY_COLORS)]
        c = JobCurves(series, color, primary, "" if primary else f"#{series.job_id} {series.name}")
        self.training.add_curves(c)
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

    def following(self) -> bool:
        return self._follow

    def set_follow(self, on: bool) -> None:
        """On: every chart shows the whole run as it grows."""
        self._follow = bool(on)
        if self.follow_button.isChecked() != self._follow:
            self.follow_button.setChecked(self._follow)
        self._dirty_settings = True

    def _on_x_axis(self) -> None:
        self._x_axis = self.x_combo.currentData()
        self._apply_axis_labels()
        self.set_follow(True)

    def _on_smoothing(self, value: int) -> None:
        self._smoothing = value / 100.0
        self.smooth_label.setText(f"{self._smoothing:.2f}")
        self._dirty_settings = True

    def _apply_axis_labels(self) -> None:
        text = X_LABELS[self._x_axis]
        for plot in self.training.all_plots():
            plot.setLabel("bottom", text)
        self.metrics.set_x_label(text)

    # -- one x range for every panel ------------------------------------------
    def _on_user_range(self, source: pg.ViewBox) -> None:
        """A zoom or pan on one panel: Follow off, the others show the same x."""
        if self._syncing:
            return
        self.set_follow(False)
        self._set_x_range(*source.viewRange()[0], padding=0.0, skip=source)

    def _set_x_range(self, lo: float, hi: float, padding: float, skip=None) -> None:
        self._syncing = True
        try:
            for plot in self._all_plots():
                if plot.vb is not skip:
                    plot.vb.setXRange(lo, hi, padding=padding)
        finally:
            self._syncing = False

    def data_x_range(self) -> tuple[float, float]:
        """What Follow shows: from 0 to the last point of any job shown, at
        least ``MIN_SPAN`` wide."""
        hi = 0.0
        for series in self.all_series():
            for x in (series.step_xy("critic_loss", self._x_axis)[0], series.epoch_x(self._x_axis)):
                finite = x[np.isfinite(x)]
                if finite.size:
                    hi = max(hi, float(finite.max()))
        return 0.0, max(hi, MIN_SPAN[self._x_axis])

    def x_range(self) -> tuple[float, float]:
        """The x range every panel shows now."""
        lo, hi = self.training.plots["gen"].vb.viewRange()[0]
        return float(lo), float(hi)

    # -- drawing ------------------------------------------------------------
    def stop(self) -> None:
        self._timer.stop()

    def refresh_now(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        jobs = ([self._main] if self._main else []) + list(self._overlays.values())
        drawn = False
        for curves in jobs:
            if self._dirty_settings or curves.drawn_version != curves.series.version:
                self._draw(curves)
                drawn = True
        if drawn or self._dirty_settings:
            self._draw_marks()
            if self._follow:
                self._set_x_range(*self.data_x_range(), padding=0.02)
        self._dirty_settings = False

    def _span(self, x: np.ndarray) -> tuple[float, float]:
        """The x span to draw in detail: everything while following, else
        what the user zoomed to."""
        if self._follow or not len(x):
            return -np.inf, np.inf
        return self.x_range()

    def _draw(self, c: JobCurves) -> None:
        x = c.series.step_xy("critic_loss", self._x_axis)[0]
        ex = self.training.draw(c, self._x_axis, self._smoothing, self._span(x))
        complete = self.metrics.draw(c, ex, SIM_COLOR if c.primary else c.color)
        self.metrics.show_x_range(*self.x_range(), only_new=True)
        c.drawn_version = c.series.version if complete else -1

    # -- markers, legends, the settled verdict ----------------------------------
    def epoch_position(self, epoch: int | None) -> float | None:
        """Where ``epoch`` sits on the current x axis (None: not known)."""
        s = self.main_series()
        return None if s is None else s.epoch_position(epoch, self._x_axis)

    def set_cursor_epoch(self, epoch: int | None) -> None:
        """A vertical line at ``epoch`` on every chart (None hides it): where
        the music being played was written."""
        self._cursor_epoch = None if epoch is None else int(epoch)
        self._draw_marks()

    def cursor_epoch(self) -> int | None:
        return self._cursor_epoch

    def cursor_x(self) -> float | None:
        """Where the cursor line is drawn now (None: hidden)."""
        line = self.training.cursor_lines[0]
        return float(line.value()) if line.isVisible() else None

    def best_x(self) -> float | None:
        """Where the best epoch's line is drawn now (None: hidden)."""
        line = self.training.best_lines[0]
        return float(line.value()) if line.isVisible() else None

    def _draw_marks(self) -> None:
        s = self.main_series()
        verdict = s.settling() if s is not None else None
        best = self.epoch_position(verdict.best_epoch if verdict else None)
        cursor = self.epoch_position(self._cursor_epoch)
        self.training.set_markers(best, cursor)
        self.metrics.set_markers(best, cursor)
        self.settled_label.setText(settling_text(verdict) if s is not None and s.epoch_rows else "")
        self._update_legends()

    def _update_legends(self) -> None:
        s = self.main_series()
        self.training.update_legends(s)
        entries = [f"<b>#{s.job_id} {s.name}</b>"] if s is not None else []
        entries += [legend_entry(c.color, c.label, LINE_DASH) for c in self._overlays.values()]
        self.legend_label.setText(("Compared: " if self._overlays else "") + "&nbsp;&nbsp; ".join(entries))

    # -- theme ----------------------------------------------------------------
    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange:
            self._restyle()

    def _restyle(self) -> None:
        self.colors = ChartColors.of(self.palette())
        self.training.restyle(self.colors)
        self.metrics.restyle(self.colors)
        self._update_legends()

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

    # -- export (see app.ui.chart_export) ---------------------------------------
    def export_csv(self, folder: Path) -> list[Path]:
        return self.exports.write_csv(Path(folder))

    def export_png(self, path: Path) -> Path:
        return self.exports.write_png(Path(path))


def _button(kind, text: str, tip: str):
    button = kind()
    button.setText(text)
    button.setToolTip(tip)
    return button
