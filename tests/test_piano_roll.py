"""The piano roll widget: notes, zoom limits, scrolling, following the playhead, click to seek."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from app.ui.listen.piano_roll import GUTTER, PianoRollView, pitch_name


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
    assert faded.blue() < colour.blue()


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
