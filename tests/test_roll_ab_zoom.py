"""Comparing A and B in the listening panel keeps one vertical zoom: the
piano roll shows both pieces over the same pitch range."""

from __future__ import annotations

import numpy as np
import pytest

from app.ui.listen import SampleItem
from tests.listen_fixtures import no_device, shown_panel  # noqa: F401
from tests.ui_fixtures import ui_env  # noqa: F401


def write_piece(path, lowest: int):
    """Four voices a fifth apart above ``lowest`` (so two pieces can differ in range)."""
    from gan.data.midi_write import notes_to_midi

    rows = [(voice, start, 4, lowest + 24 - 7 * voice + start // 8) for voice in range(4)
            for start in range(0, 32, 4)]
    notes_to_midi(np.array(rows), path)
    return path


@pytest.fixture
def panel(qtbot, ui_env, no_device):  # noqa: F811
    widget = shown_panel(qtbot)
    yield widget
    widget.shutdown()


def test_switching_a_and_b_keeps_the_pitch_range(panel, tmp_path):
    high = SampleItem("high", write_piece(tmp_path / "high.mid", 60), epoch=1, job_id=1)
    low = SampleItem("low", write_piece(tmp_path / "low.mid", 36), epoch=2, job_id=1)
    panel.set_sources([high, low])
    panel.select(0, 1)
    shown_a = panel.roll.pitch_range
    panel.switch_ab()
    assert panel.active_side == "B"
    assert panel.roll.pitch_range == shown_a  # the same vertical zoom for B
    lo, hi = shown_a
    pitches_a = panel.players["A"].player.score.note_rows()[:, 3]
    pitches_b = panel.players["B"].player.score.note_rows()[:, 3]
    assert lo <= min(pitches_a.min(), pitches_b.min()) and max(pitches_a.max(), pitches_b.max()) <= hi
