"""The piano roll widget: notes, zoom limits, scrolling, following the playhead, click to seek."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from app.ui.listen.piano_roll import GUTTER, PianoRollView, label_step, labelled_pitches, pitch_name


@pytest.fixture
def roll(qtbot):
    view = PianoRollView()
    qtbot.addWidget(view)
    view.resize(600, 240)
    view.show()
    notes = np.array([(0, 0, 4, 72), (1, 4, 4, 64), (2, 8, 8, 55), (3, 0, 64, 40)])
    view.set_notes(notes, 64, ["s", "a", "t", "b"])
    return view


def test_pitch_names():
    assert pitch_name(60) == "C4"
    assert pitch_name(69) == "A4"
    assert pitch_name(61) == "C#4"


def test_range_fits_the_notes_and_zoom_is_bounded(roll):
    assert roll.pitch_range == (38, 74)
    assert roll.n_tracks == 4
    roll.set_zoom(1000)
    assert roll.px_per_step == PianoRollView.MAX_PX
    roll.set_zoom(0.001)
    assert roll.px_per_step == PianoRollView.MIN_PX
    roll.fit()
    assert roll.visible_steps() == pytest.approx(64, abs=1)


def test_playhead_follows_by_scrolling(roll):
    roll.set_zoom(32)  # 64 steps no longer fit
    assert roll.visible_steps() < 30
    roll.set_playhead(50)
    assert roll.scroll_steps > 20
    assert roll.scroll_steps <= 50 <= roll.scroll_steps + roll.visible_steps()
    roll.follow = False
    roll.set_playhead(0)
    assert roll.scroll_steps > 20


def test_click_asks_to_seek_to_that_step(qtbot, roll):
    roll.fit()
    with qtbot.waitSignal(roll.seekRequested) as signal:
        x = GUTTER + 16 * roll.px_per_step
        qtbot.mouseClick(roll.canvas, Qt.LeftButton, pos=QPoint(int(x), 50))
    assert signal.args[0] == pytest.approx(16, abs=0.5)


def test_paints_notes_in_track_colours(roll):
    roll.fit()
    image = roll.canvas.grab().toImage()
    # the bass (track 3, blue) spans the whole piece: a pixel on its row is blue
    lo, hi = roll.pitch_range
    row_h = (roll.canvas.height() - 1) / (hi - lo + 1)
    y = int((hi - 40 + 0.5) * row_h)
    x = int(GUTTER + 30 * roll.px_per_step)
    colour = image.pixelColor(x, y)
    assert colour.blue() > 150 and colour.red() < 100
    roll.set_muted({3})
    faded = roll.canvas.grab().toImage().pixelColor(x, y)
    background = roll.roll_colors.background

    def distance(a, b):
        return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())

    assert distance(faded, background) < distance(colour, background) / 2  # muted: faint


def test_installed_pyside_keeps_none_and_bool_references():
    """PySide6 6.12.0 on CPython 3.11 dropped a reference to None per void Qt
    call and to True per signal emit, aborting the app within seconds of
    repainting (pyproject pins below 6.12). Run the calls in a child so a bad
    install fails this test instead of killing the suite."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from PySide6.QtCore import QObject, Signal\n"
        "from PySide6.QtWidgets import QApplication, QLabel\n"
        "class O(QObject):\n    s = Signal(int)\n"
        "app = QApplication([])\n"
        "o = O(); o.s.connect(lambda v: None); label = QLabel()\n"
        "before = (sys.getrefcount(None), sys.getrefcount(True))\n"
        "for i in range(50_000):\n    label.setText('x'); label.update(); o.s.emit(i)\n"
        "after = (sys.getrefcount(None), sys.getrefcount(True))\n"
        "assert after[0] >= before[0] - 100 and after[1] >= before[1] - 100, (before, after)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-2000:]


@pytest.mark.parametrize("row_height", [1.5, 2.5, 4.0, 5.5, 6.5, 9.0, 13.0, 30.0])
def test_pitch_names_never_overlap_and_always_name_the_cs(row_height):
    text_height = 12.0
    named = labelled_pitches(36, 84, row_height, text_height)
    assert {36, 48, 60, 72, 84} <= set(named)  # every C is named
    gaps = np.diff(named) * row_height
    if label_step(row_height, text_height) < 12:
        assert (gaps >= text_height).all()  # a line of text between two names
    else:
        assert (np.diff(named) == 12).all()  # only the Cs, however close


def test_rows_too_short_for_each_name_skip_the_neighbours_of_c():
    # the reported overlap: C#5, C5 and B4 on three rows 6 px tall
    named = labelled_pitches(60, 80, 6.0, 12.0)
    assert 72 in named and 73 not in named and 71 not in named


def test_a_and_b_share_one_pitch_range(roll):
    high = np.array([(0, 0, 16, 84), (1, 0, 16, 76)])
    low = np.array([(0, 0, 16, 60), (3, 0, 16, 36)])
    roll.share_pitch_range([high, low])
    roll.set_notes(high, 64)
    shown_a = roll.pitch_range
    roll.set_notes(low, 64)
    assert roll.pitch_range == shown_a == (34, 86)  # switching A/B keeps the vertical zoom
    roll.share_pitch_range([])
    roll.set_notes(low, 64)
    assert roll.pitch_range == (34, 62)  # alone again: fits its own notes


def test_colours_follow_the_palette(roll, qapp):
    from app.ui import theme

    try:
        theme.apply_theme("dark", remember=False)
        qapp.processEvents()
        assert roll.roll_colors.background.lightness() < 80
        dark = roll.grab().toImage().pixelColor(GUTTER + 200, 120)
        theme.apply_theme("light", remember=False)
        qapp.processEvents()
        assert roll.roll_colors.background.lightness() > 200
        light = roll.grab().toImage().pixelColor(GUTTER + 200, 120)
        assert light.lightness() - dark.lightness() > 100  # the canvas itself changed
    finally:
        theme.apply_theme("system", remember=False)
