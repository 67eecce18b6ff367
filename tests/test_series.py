"""The numbers behind the charts: smoothing, x axes, CSV (no Qt needed)."""

from __future__ import annotations

import csv
import math
from types import SimpleNamespace

import numpy as np
import pytest

from app.jobs.series import JobSeries, smooth


def reference_smooth(values, weight):
    """TensorBoard's loop: debiased EMA that skips non-finite points."""
    out, last, n = [], 0.0, 0
    for v in values:
        if not math.isfinite(v):
            out.append(float("nan"))
            continue
        last = last * weight + (1 - weight) * v
        n += 1
        out.append(last / (1 - weight ** n) if weight > 0 else v)
    return np.array(out)


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.6, 0.9, 0.99, 0.999])
def test_smooth_matches_tensorboard_loop(weight):
    rng = np.random.default_rng(1)
    values = rng.normal(size=20000).cumsum()
    values[::97] = np.nan
    values[5] = np.inf
    got = smooth(values, weight)
    want = reference_smooth(values, weight)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    finite = np.isfinite(want)
    assert np.allclose(got[finite], want[finite], rtol=1e-9, atol=1e-9)


def test_smooth_all_nan_and_empty():
    assert np.isnan(smooth(np.array([np.nan, np.nan]), 0.6)).all()
    assert smooth(np.array([]), 0.6).size == 0


def step(i, epoch, loss=1.0):
    return SimpleNamespace(step=i, epoch=epoch, time=1000.0 + i, critic_loss=loss,
                           generator_loss=-loss, wasserstein=0.1 * i)


def epoch_row(e, step_no, sim):
    return SimpleNamespace(epoch=e, step=step_no, critic_loss=1.0, generator_loss=2.0,
                           wasserstein=0.5, metrics={"polyphony": 2.0 + e, "polyphony/alto": 1.0},
                           similarity=sim, ceiling=0.9, seconds=10.0, checkpoint_path="",
                           finished_at=1000.0 + step_no)


def test_null_metrics_from_the_store_are_nan():
    s = JobSeries(1, "a")
    row = epoch_row(1, 5, None)
    row.metrics = {"pitch_range": None, "polyphony": 2.0}
    s.set_epochs([row])
    assert np.isnan(s.epoch_values("pitch_range")[0]) and s.epoch_values("polyphony")[0] == 2.0
    assert np.isnan(s.epoch_values("similarity")[0])


def test_series_appends_only_new_steps_and_maps_axes():
    s = JobSeries(7, "demo")
    s.add_steps([step(i, 1) for i in range(1, 11)])
    s.add_steps([step(i, 1) for i in range(5, 16)])  # overlap is ignored
    assert s.n_steps == 15
    assert list(s.step_xy("critic_loss", "step")[0]) == list(range(1, 16))
    s.set_epochs([epoch_row(1, 10, 0.3)])
    x_epoch, _ = s.step_xy("critic_loss", "epoch")
    assert x_epoch[9] == pytest.approx(1.0)  # step 10 ends epoch 1
    assert x_epoch[14] == pytest.approx(1.5)  # half-way through epoch 2
    x_time, _ = s.step_xy("critic_loss", "time")
    assert x_time[0] == 0 and x_time[-1] == 14
    assert list(s.epoch_x("epoch")) == [1.0]
    assert s.aggregate_metric_names() == ["polyphony"]


def test_series_grows_to_large_runs():
    s = JobSeries(1)
    for chunk in range(10):
        s.add_steps([step(i, 1) for i in range(chunk * 10000 + 1, (chunk + 1) * 10000 + 1)])
    assert s.n_steps == 100000
    assert s.step_xy("wasserstein", "step")[1][-1] == pytest.approx(10000.0)


def test_csv_export_has_every_point_and_metric(tmp_path):
    s = JobSeries(3)
    rows = [step(i, 1) for i in range(1, 6)]
    rows[2] = SimpleNamespace(**{**vars(rows[2]), "critic_loss": None})
    s.add_steps(rows)
    s.set_epochs([epoch_row(1, 5, 0.4)])
    steps_csv, epochs_csv = s.write_csv(tmp_path)
    with steps_csv.open() as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 5 and table[2]["critic_loss"] == ""  # missing stays empty
    with epochs_csv.open() as fh:
        table = list(csv.DictReader(fh))
    assert table[0]["similarity"] == "0.4" and table[0]["polyphony/alto"] == "1"


def test_incremental_smoothing_equals_smoothing_everything():
    s = JobSeries(1)
    rng = np.random.default_rng(3)
    values = rng.normal(size=3000)
    values[::11] = np.nan
    rows = [SimpleNamespace(step=i + 1, epoch=1, time=float(i), critic_loss=float(v),
                            generator_loss=0.0, wasserstein=0.0) for i, v in enumerate(values)]
    for begin in range(0, 3000, 250):  # fed live, a chunk at a time
        s.add_steps(rows[begin:begin + 250])
        s.smoothed("critic_loss", 0.8)
    got = s.smoothed("critic_loss", 0.8)
    want = smooth(values, 0.8)
    assert np.allclose(got, want, equal_nan=True)
    # Moving the slider recomputes with the new weight.
    assert np.allclose(s.smoothed("critic_loss", 0.3), smooth(values, 0.3), equal_nan=True)


def test_long_runs_are_drawn_as_a_peak_envelope_of_the_visible_span():
    from app.ui.chart_items import LOD_MAX_POINTS, envelope

    x = np.arange(1_000_000, dtype=float)
    y = np.sin(x / 5000.0)
    y[123_456] = 9.0  # one spike must survive the reduction
    y[500_000:510_000] = np.nan  # a gap in the losses stays a gap
    xs, ys = envelope(x, y, -np.inf, np.inf)
    assert len(xs) <= LOD_MAX_POINTS and np.all(np.diff(xs) >= 0)
    assert np.isnan(ys[(xs > 501_000) & (xs < 509_000)]).all()
    assert np.nanmax(ys) == 9.0 and np.nanmin(ys) == pytest.approx(-1.0, abs=1e-6)
    zoom_x, zoom_y = envelope(x, y, 1000.0, 2000.0)  # zoomed in: every point, plus one either side
    assert zoom_x[0] == 999.0 and zoom_x[-1] == 2001.0 and len(zoom_x) == 1003
    short = np.arange(10.0)
    assert envelope(short, short, 0, 5)[0] is short  # short runs are untouched
