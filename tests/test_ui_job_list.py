"""The job list at the widths a laptop gives it: real jobs from a real store."""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import Qt

from gan.config import PRESETS
from tests.ui_fixtures import ui_env  # noqa: F401

from app.jobs.store import JobStore
from app.ui.job_list import COLUMNS, JobListView, NAME, PROGRESS


def jobs_named(*names):
    store = JobStore()
    for name in names:
        store.create(name, PRESETS["quick"], ["genre=chorale"])
    jobs = store.list()
    store.close()
    return jobs


def shown_text(view, row: int, col: int) -> str:
    """The text as the view draws it: elided to the column's width."""
    index = view.job_model.index(row, col)
    width = view.columnWidth(col) - 12  # the cell's margins
    return view.fontMetrics().elidedText(index.data(), view.textElideMode(), width)


def test_narrow_list_fits_its_pane_and_names_stay_distinct(qtbot, ui_env):  # noqa: F811
    view = JobListView()
    qtbot.addWidget(view)
    view.set_jobs(jobs_named("Chorales, quick", "Chorales, quick wider", "Chorales, quick again"))
    view.resize(240, 300)  # the pane beside the charts in a 1024 px window
    view.show()
    qtbot.waitExposed(view)
    assert view.visible_columns() == ["Name", "Status"]
    header = view.horizontalHeader()
    assert header.length() <= view.viewport().width()  # nothing off-screen
    assert view.columnWidth(NAME) >= 100
    names = [shown_text(view, row, NAME) for row in range(3)]
    assert len(set(names)) == 3, names  # not three identical "#1 Choral…"
    assert all(name.startswith(f"#{3 - row}") for row, name in enumerate(names))
    tip = view.job_model.index(0, NAME).data(Qt.ToolTipRole)
    assert "Chorales, quick again" in tip and "genre=chorale" in tip and "queued" in tip
    view.resize(720, 300)  # room again: every column comes back
    qtbot.wait(10)
    assert view.visible_columns() == list(COLUMNS)
    assert header.length() <= view.viewport().width()


def test_progress_bars_fill_from_left_to_right(qtbot, ui_env):  # noqa: F811
    job = jobs_named("half way")[0]
    half = dataclasses.replace(job, status="running", step=50, total_steps=100)
    view = JobListView()
    qtbot.addWidget(view)
    view.set_jobs([half])
    view.resize(720, 200)
    view.show()
    qtbot.waitExposed(view)
    rect = view.visualRect(view.job_model.index(0, PROGRESS)).adjusted(6, 6, -6, -6)
    image = view.viewport().grab(rect).toImage()
    pixels = np.array([[image.pixelColor(x, y).lightness() for x in range(image.width())]
                       for y in range(image.height())], dtype=float)
    w, h = pixels.shape[1], pixels.shape[0]
    left, right = pixels[:, : w // 5], pixels[:, -w // 5:]
    top, bottom = pixels[: h // 3, : w // 5], pixels[-h // 3:, : w // 5]
    # filled on the left half, empty on the right; the same from top to bottom
    assert abs(left.mean() - right.mean()) > 30, (left.mean(), right.mean())
    assert abs(top.mean() - bottom.mean()) < 30, (top.mean(), bottom.mean())
