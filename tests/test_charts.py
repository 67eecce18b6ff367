"""The charts panel on a run recorded in a real job store: each loss on its
own axis, both indexes with the ceiling, copying, genre fidelity, voice
leading beside the real music, the settled verdict and best epoch, one x
range for every panel, the listening cursor, exports named after the job,
and light/dark."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtGui import QPalette

from app.jobs.series import JobSeries
from app.jobs.store import JobStore
from app.jobs.watcher import JobWatcher
from app.ui.charts import ChartsPanel
from gan.config import preset
from tests.score_records import (BEST_EPOCH, SETTLED_SINCE, SETTLING_INDEX, epoch_metrics,
                                 real_metrics, record_run)
from tests.ui_fixtures import ui_env  # noqa: F401

EPOCHS = len(SETTLING_INDEX)


@pytest.fixture
def recorded(ui_env):  # noqa: F811
    store = JobStore()
    job_id = store.create("chorales, quick", preset("smoke"), ["genre=chorale"])
    record_run(store, job_id)
    watcher = JobWatcher(store)
    watcher.refresh()
    yield watcher.feed(job_id)
    store.close()


@pytest.fixture
def panel(qtbot, ui_env):  # noqa: F811
    widget = ChartsPanel()
    qtbot.addWidget(widget)
    widget.resize(1100, 650)
    widget.show()
    yield widget
    widget.stop()


def y_span(panel, name):
    return panel.training.plots[name].vb.viewRange()[1]


def test_each_loss_has_its_own_axis(qtbot, panel, recorded):
    panel.set_series(recorded)
    panel.refresh_now()
    qtbot.waitUntil(lambda: y_span(panel, "critic")[1] < 0, timeout=5000)  # auto-range on paint
    low, high = y_span(panel, "critic")
    assert -2.1 < low and high < -1.8  # the critic (about -2) is not squashed by the generator (about 40)
    low, high = y_span(panel, "gen")
    assert 38 < low and high < 41


def test_generator_parts_are_drawn_when_the_run_reports_them(panel):
    series = JobSeries(1, "parts")
    series.add_steps([SimpleNamespace(step=i, epoch=1, time=float(i), critic_loss=-1.0,
                                      generator_loss=40.0 + 0.1 * i, wasserstein=0.5,
                                      adversarial_loss=0.5 + 0.01 * i, reconstruction_loss=39.5)
                      for i in range(1, 51)])
    panel.set_series(series)
    panel.refresh_now()
    assert np.isfinite(panel.plotted("gen_adv")[1]).all()
    assert np.allclose(panel.plotted("gen_rec")[1], 39.5)
    assert "adversarial" in " ".join(panel.training.gen_panel.legend)
    plain = JobSeries(2, "no parts")  # what the store holds today: the whole loss only
    plain.add_steps([SimpleNamespace(step=i, epoch=1, time=float(i), critic_loss=-1.0,
                                     generator_loss=40.0, wasserstein=0.5) for i in range(1, 11)])
    panel.set_series(plain)
    panel.refresh_now()
    assert not np.isfinite(panel.plotted("gen_adv")[1]).any()
    assert "adversarial" not in " ".join(panel.training.gen_panel.legend)


def test_scores_settled_verdict_and_best_epoch(panel, recorded):
    panel.set_series(recorded)
    panel.set_x_axis("epoch")
    panel.refresh_now()
    x, unseen = panel.plotted("sim")
    assert x.tolist() == list(range(1, EPOCHS + 1)) and unseen.tolist() == list(SETTLING_INDEX)
    training = panel.plotted("sim_train")[1]
    assert training == pytest.approx(np.minimum(1.0, np.array(SETTLING_INDEX) + 0.03))
    assert panel.ceiling_line.isVisible() and panel.ceiling_line.value() == pytest.approx(0.95)
    legend = " ".join(panel.training.sim_panel.legend)
    assert "unseen" in legend and "training melodies" in legend and "ceiling 0.95" in legend
    assert panel.plotted("copy_share")[1][0] == pytest.approx(12.0)  # percent
    assert panel.plotted("copy_run")[1][-1] == pytest.approx(0.5 + 0.1 * EPOCHS)  # bars
    assert panel.plotted("copy_unseen")[1][-1] == pytest.approx(100.0 * (0.1 + 0.01 * EPOCHS))
    assert "same on unseen" in " ".join(panel.training.copy_panel.legend)
    assert panel.plotted("fidelity")[1][-1] == pytest.approx(100.0)
    assert panel.settled_label.text() == (f"index settled since epoch {SETTLED_SINCE} · best epoch "
                                          f"{BEST_EPOCH} ({SETTLING_INDEX[BEST_EPOCH - 1]:.3f})")
    assert panel.best_x() == BEST_EPOCH
    panel.set_x_axis("step")
    panel.refresh_now()
    assert panel.best_x() == 10 * BEST_EPOCH  # the epoch's last step


def test_voice_leading_beside_the_real_music(qtbot, panel, recorded):
    panel.set_series(recorded)
    qtbot.waitUntil(lambda: "repeated_note_rate" in panel.metrics.plots, timeout=10_000)
    panel.refresh_now()
    real = real_metrics()
    for name in ("parallel_fifths/all", "parallel_octaves/all", "voices_sounding/all"):
        plot, line = panel.metric_plots[name]
        assert line.isVisible() and line.value() == pytest.approx(real[name])
    onsets = panel.metrics.plots["onsets_per_bar"]
    assert onsets.keys == [f"onsets_per_bar/{v}" for v in ("soprano", "alto", "tenor", "bass")]
    for key, line in onsets.ref_lines.items():
        assert line.value() == pytest.approx(real[key])
    # crossings pair by pair, high to low: their mean hid which pair was off
    crossings = panel.metrics.plots["voice_crossings"]
    assert crossings.keys == [f"voice_crossings/{p}" for p in ("soprano-alto", "alto-tenor", "tenor-bass")]
    for key, line in crossings.ref_lines.items():
        assert line.isVisible() and line.value() == pytest.approx(real[key])
    assert "voice_crossings/all" not in panel.metrics.plots
    drawn = recorded.epoch_values("voice_range/bass")
    assert drawn[-1] == pytest.approx(epoch_metrics(EPOCHS, 0.9)["voice_range/bass"])
    # the scores have their own charts, not a Music metrics plot
    assert "genre_fidelity" not in panel.metrics.plots


def test_one_x_range_for_every_panel(qtbot, panel, recorded):
    one = JobSeries(9, "one epoch")
    one.set_epochs([SimpleNamespace(epoch=1, step=10, critic_loss=1.0, generator_loss=1.0,
                                    wasserstein=0.1, metrics={"polyphony": 1.0}, similarity=0.5,
                                    ceiling=0.9, seconds=1.0, checkpoint_path="", finished_at=1.0)])
    panel.set_series(one)
    panel.set_x_axis("epoch")
    panel.refresh_now()
    lo, hi = panel.x_range()
    assert -0.1 < lo <= 0 and 1 <= hi < 1.2  # one point: 0..1, not -20..20
    panel.set_series(recorded)
    qtbot.waitUntil(lambda: len(panel.metrics.plots) > 10, timeout=10_000)
    panel.refresh_now()
    plots = panel.training.all_plots() + panel.metrics.all_plots()
    ranges = {tuple(np.round(p.vb.viewRange()[0], 6)) for p in plots}
    assert len(ranges) == 1 and ranges.pop()[1] >= EPOCHS
    qtbot.wait(50)  # a laid-out window: panels above one another start and end at the same x
    gen, sim = (panel.training.plots[n].vb.sceneBoundingRect() for n in ("gen", "sim"))
    critic, copying = (panel.training.plots[n].vb.sceneBoundingRect() for n in ("critic", "copy_share"))
    assert (gen.left(), gen.width()) == pytest.approx((sim.left(), sim.width()), abs=1)
    assert (critic.left(), critic.width()) == pytest.approx((copying.left(), copying.width()), abs=1)
    # a zoom on one panel (what pyqtgraph does for a wheel turn) is every panel's
    zoomed = panel.training.plots["wass"].vb
    zoomed.setXRange(3, 7, padding=0)
    zoomed.sigRangeChangedManually.emit(zoomed.state["mouseEnabled"])
    assert not panel.following() and not panel.follow_button.isChecked()
    assert all(p.vb.viewRange()[0] == pytest.approx([3, 7]) for p in plots)
    panel.refresh_now()
    assert panel.x_range() == pytest.approx((3, 7))  # new data does not undo the zoom
    panel.follow_button.click()
    panel.refresh_now()
    assert panel.following() and panel.x_range()[1] >= EPOCHS


def test_no_legend_inside_a_plot(panel, recorded):
    panel.set_series(recorded)
    panel.refresh_now()
    assert all(p.legend is None for p in panel.training.all_plots())


def test_cursor_epoch_is_a_line_on_every_panel(panel, recorded):
    panel.set_series(recorded)
    panel.set_x_axis("epoch")
    panel.refresh_now()
    assert panel.cursor_x() is None
    panel.set_cursor_epoch(4)
    assert panel.cursor_epoch() == 4 and panel.cursor_x() == 4
    assert all(line.isVisible() and line.value() == 4 for line in panel.training.cursor_lines)
    assert all(m.cursor.isVisible() for m in panel.metrics.plots.values())
    panel.set_x_axis("step")
    panel.refresh_now()
    assert panel.cursor_x() == 40  # follows the x axis
    panel.set_cursor_epoch(None)
    assert panel.cursor_x() is None
    assert not any(line.isVisible() for line in panel.training.cursor_lines)


def test_exports_name_the_job(panel, recorded, tmp_path):
    panel.set_series(recorded)
    assert panel.exports.base_name() == "job1_chorales-quick"
    assert "#1 chorales, quick" in panel.exports.title()
    png = panel.export_png(tmp_path / "charts.png")
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert image.height() == panel.tabs.currentWidget().height() + 30  # the header line with the name
    written = panel.exports.write_csv(tmp_path, "job1_chorales-quick")
    assert [p.name for p in written] == ["job1_chorales-quick_steps.csv", "job1_chorales-quick_epochs.csv"]


def test_charts_follow_light_and_dark(qtbot, panel, recorded):
    from app.ui import theme

    panel.set_series(recorded)
    try:
        theme.apply_theme("dark", remember=False)
        qtbot.waitUntil(lambda: panel.colors.background.lightness() < 80, timeout=2000)
        assert panel.training_view.backgroundBrush().color().lightness() < 80
        axis = panel.training.plots["gen"].getAxis("left")
        assert axis.textPen().color().lightness() > 180  # light text on dark
        theme.apply_theme("light", remember=False)
        qtbot.waitUntil(lambda: panel.colors.background.lightness() > 200, timeout=2000)
        assert axis.textPen().color().lightness() < 80
    finally:
        theme.apply_theme("system", remember=False)


def test_view_menu_theme_is_remembered(qtbot, ui_env):  # noqa: F811
    from PySide6.QtWidgets import QApplication

    from PySide6.QtCore import Qt

    from app.ui import theme
    from app.ui.main_window import MainWindow

    store = JobStore()
    job_id = store.create("done", preset("smoke"), [])
    store.claim(job_id)
    store.record_finished(job_id, "completed")
    store.close()
    window = MainWindow(training_mode="thread")
    qtbot.addWidget(window)
    model = window.job_list.job_model
    status_cell = model.index(model.row_of(job_id), 2)
    try:
        assert set(window.theme_actions) == {"system", "light", "dark"}
        assert window.theme_actions["system"].isChecked()
        light_green = model.data(status_cell, Qt.ForegroundRole)
        window.theme_actions["dark"].trigger()
        assert theme.is_dark() and QApplication.palette().color(QPalette.Window).lightness() < 80
        dark_green = model.data(status_cell, Qt.ForegroundRole)
        assert model.data(status_cell) == "completed"
        # "completed" stays readable: light green on dark, dark green on light
        assert dark_green.lightness() > 150 > light_green.lightness()
        window.close()
        again = MainWindow(training_mode="thread")
        qtbot.addWidget(again)
        assert again.theme_actions["dark"].isChecked() and theme.is_dark()  # applied at start
        again.theme_actions["system"].trigger()
        assert theme.saved_theme() == "system" and not theme.is_dark()
        again.close()
    finally:
        theme.apply_theme("system", remember=False)


def test_export_dialogs_suggest_the_job_name_and_confirm(qtbot, ui_env, recorded, monkeypatch, tmp_path):  # noqa: F811
    from PySide6.QtWidgets import QFileDialog, QMainWindow

    from app.ui import ui_settings

    window = QMainWindow()
    panel = ChartsPanel()
    window.setCentralWidget(panel)
    qtbot.addWidget(window)
    window.show()
    panel.set_series(recorded)
    asked = []

    def save_as(_parent, _title, suggested, _filter):
        asked.append(suggested)
        return str(tmp_path / "out" / Path(suggested).name), ""

    (tmp_path / "out").mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    panel.csv_button.click()  # a file name, not a folder picker: typing a name works
    assert asked[-1].endswith("job1_chorales-quick.csv")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "job1_chorales-quick_epochs.csv", "job1_chorales-quick_steps.csv"]
    assert "job1_chorales-quick_steps.csv" in window.statusBar().currentMessage()
    assert ui_settings.export_folder() == tmp_path / "out"  # the next dialog opens there
    panel.png_button.click()
    assert asked[-1] == str(tmp_path / "out" / "job1_chorales-quick_training.png")
    assert (tmp_path / "out" / "job1_chorales-quick_training.png").stat().st_size > 5000
    assert window.statusBar().currentMessage().startswith("Saved the charts as")
    panel.stop()


def test_a_job_is_never_compared_with_itself(panel, recorded):
    other = JobSeries(5, "other")
    panel.set_series(other)
    panel.add_overlay(recorded)
    assert panel.overlay_ids() == [recorded.job_id]
    panel.set_series(recorded)  # the overlaid job becomes the one shown
    assert panel.overlay_ids() == []
    panel.add_overlay(recorded)
    assert panel.overlay_ids() == []
    panel.refresh_now()
    assert "Compared" not in panel.legend_label.text()
