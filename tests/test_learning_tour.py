"""Hear the model learn: one piece of every epoch, played in turn and exported as one file.

Real MIDI files, real rendering; output drivers off (the player plays on a
clock, so the pieces end in real time and the next epoch follows).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.audio.learning import GAP_SECONDS
from app.audio.render import read_wav, render_midi
from app.jobs.records import SampleRow
from app.ui.listen import ListenPanel, SampleItem
from tests.test_audio_support import write_sample
from tests.listen_fixtures import no_device  # noqa: F401
from tests.ui_fixtures import ui_env  # noqa: F401


def job_samples(tmp_path, epochs=3, pieces=2):
    """What a job leaves: piece i of every epoch (one short bar each: 0.5 s)."""
    return [SampleRow(epoch=e, index=i, path=str(write_sample(tmp_path / f"e{e}_{i}.mid", bars=1, tempo=480,
                                                              seed=10 * e + i)))
            for e in range(1, epochs + 1) for i in range(pieces)]


def items_of(rows, job_id=7, name="demo"):
    return [SampleItem(f"epoch {r.epoch} · piece {r.index + 1}", r.path, r.epoch, job_id, job_name=name,
                       piece=r.index + 1) for r in rows]


def test_piece_of_every_epoch_plays_in_turn_with_the_epoch_shown(qtbot, no_device, tmp_path):
    panel = ListenPanel()
    qtbot.addWidget(panel)
    panel.show()
    items = items_of(job_samples(tmp_path))
    panel.set_sources(items)
    panel.follow_latest(True)
    heard = []
    panel.tour.epochHeard.connect(heard.append)
    assert [panel.tour.piece_combo.itemText(i) for i in range(panel.tour.piece_combo.count())] == ["1", "2"]
    assert panel.tour.start(piece=2)
    assert not panel.following()  # the tour is a choice of what to hear
    assert panel.current_item() == items[1] and panel.active_player().state == "playing"
    assert "epoch 1 (1 of 3)" in panel.tour.where.text()
    qtbot.waitUntil(lambda: heard[-1:] == [None], timeout=20_000)
    assert heard == [1, 2, 3, None]  # every epoch's piece 2 in turn, then the end
    assert panel.current_item() == items[5]  # epoch 3, piece 2
    assert not panel.tour.running() and not panel.tour.play_button.isChecked()
    panel.shutdown()


def test_stop_ends_the_tour_and_the_charts_cursor_follows(qtbot, no_device, ui_env, tmp_path):  # noqa: F811
    from app.ui.job_detail import JobDetail

    detail = JobDetail()
    qtbot.addWidget(detail)
    detail.show()
    job = SimpleNamespace(id=7, name="demo", status="completed")
    detail.set_samples(job, job_samples(tmp_path))
    tour = detail.listen.tour
    assert tour.start(piece=1)
    assert detail.charts.cursor_epoch() == 1
    qtbot.waitUntil(lambda: detail.charts.cursor_epoch() == 2, timeout=10_000)
    detail.listen.stop()  # the user takes over
    assert not tour.running() and detail.charts.cursor_epoch() is None
    detail.shutdown()


def test_the_piece_of_every_epoch_exports_as_one_wav(qtbot, no_device, ui_env, tmp_path, monkeypatch):  # noqa: F811
    from app.ui.listen import learning_tour

    panel = ListenPanel()
    qtbot.addWidget(panel)
    rows = job_samples(tmp_path)
    panel.set_sources(items_of(rows, name="Chorales, quick"))
    asked = []
    target = tmp_path / "out" / "learning.wav"
    target.parent.mkdir()
    monkeypatch.setattr(learning_tour.QFileDialog, "getSaveFileName",
                        lambda parent, title, default, pattern: (asked.append(default), (str(target), ""))[1])
    panel.tour.piece_combo.setCurrentIndex(1)  # piece 2
    with qtbot.waitSignal(panel.exported, timeout=60_000) as done:
        panel.tour.export_button.click()
    assert asked[0].endswith("job7-chorales-quick-piece2-epochs-1-3.wav")
    assert done.args == [str(target)]
    audio, rate = read_wav(target)
    pieces = [render_midi(r.path) for r in rows if r.index == 1]
    assert len(audio) / rate == pytest.approx(sum(len(p) for p in pieces) / rate + 2 * GAP_SECONDS, abs=0.01)
    panel.shutdown()
