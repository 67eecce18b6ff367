"""The Compose tab, in a real (offscreen) window, with a really trained smoke job."""

from __future__ import annotations

import mido
import numpy as np
import pytest
from PySide6.QtCore import Qt

from gan.data.midi_io import midi_to_notes
from tests.compose_helpers import musegan_job, trained_job, unet_job  # noqa: F401 (fixtures)
from tests.fixtures.midi_factory import write_midi

pytest.importorskip("PySide6")




@pytest.fixture
def make_panel(qtbot):
    from app.ui.compose import ComposePanel

    made = []

    def make(home):
        panel = ComposePanel(home / "polyphony.db", use_device=False)
        qtbot.addWidget(panel)
        made.append(panel)
        return panel

    yield make
    for panel in made:
        panel.shutdown()


def _run(qtbot, panel, start) -> list:
    with qtbot.waitSignal(panel.composed, timeout=120_000) as blocker:
        assert start()
    return blocker.args[0]


@pytest.mark.slow
def test_panel_accompanies_a_builtin_tune_keeps_and_exports(unet_job, make_panel, qtbot, tmp_path, monkeypatch):
    home, job_id = unet_job
    monkeypatch.setenv("POLYPHONY_HOME", str(tmp_path / "home"))  # kept takes go here
    panel = make_panel(home)
    panel.set_job(job_id)
    assert panel.epoch_combo.count() == 2
    assert "best" in panel.epoch_combo.currentText()
    assert panel.accompany_box.isVisibleTo(panel) and not panel.generate_box.isVisibleTo(panel)

    picker = panel.melody_picker
    picker.builtin_radio.setChecked(True)
    picker.builtin_combo.setCurrentIndex(picker.builtin_combo.findData("auld_lang_syne"))
    panel.takes_spin.setValue(2)
    panel.seed_spin.setValue(4)
    takes = _run(qtbot, panel, panel.compose)
    assert [t.seed for t in takes] == [4, 5]
    assert panel.take_list.count() == 2 and len(panel.listen.sources()) == 2
    from gan.compose.melodies import builtin_melody

    tune = builtin_melody("auld_lang_syne")
    for take in takes:
        notes, info = midi_to_notes(take.path)
        np.testing.assert_array_equal(notes[notes[:, 0] == 0][:, 1:], tune.notes)
        assert len(mido.MidiFile(str(take.path)).tracks) == 4
        assert (notes[:, 0] > 0).any()
    assert "pick-up" in panel.message_label.text()

    # keep the first take: a copy goes to the kept folder
    panel.set_kept(0, True)
    kept = list((tmp_path / "home" / "compose" / "kept").glob("*.mid"))
    assert len(kept) == 1
    _run(qtbot, panel, panel.compose)
    assert panel.take_list.count() == 4  # the two first takes + two new ones
    assert panel.take_list.currentRow() == 2  # the first new take is chosen
    # after a restart every take still on disk is listed again, the kept one ticked
    again = make_panel(home)
    again.set_job(job_id)
    assert [t.path for t in again.takes()] == [t.path for t in panel.takes()]
    label = again.takes()[0].label  # named from the file: melody, epoch, seed
    best = panel.epoch_combo.currentData()  # the best epoch's model composed
    assert label.startswith("Auld Lang Syne") and label.endswith(f" · epoch {best} · seed 4"), label
    ticks = [again.take_list.item(i).checkState() == Qt.Checked for i in range(4)]
    assert ticks == [True, False, False, False]
    # "Delete unticked" removes the other files; the kept take stays
    assert again.delete_unkept(confirm=False) == 3
    assert again.take_list.count() == 1 and again.takes()[0].path.exists()
    assert sum(1 for t in panel.takes() if t.path.exists()) == 1

    # export the take playing as A (MIDI: the file itself, byte for byte)
    panel.take_list.setCurrentRow(0)
    out = panel.listen.export_midi_to(tmp_path / "mine.mid")
    assert out is not None and out.read_bytes() == panel.takes()[0].path.read_bytes()

    # untick: the kept copy goes away
    panel.set_kept(0, False)
    assert not list((tmp_path / "home" / "compose" / "kept").glob("*.mid"))


def test_panel_shows_the_reason_for_a_refused_melody(unet_job, make_panel, tmp_path):
    home, job_id = unet_job
    panel = make_panel(home)
    panel.set_job(job_id)
    waltz = write_midi(tmp_path / "waltz.mid", [[(0, 4, 67), (4, 4, 69)]], time_signature=(3, 4))
    panel.melody_picker.set_file(waltz)
    assert panel.compose() is False
    assert "3/4" in panel.message_label.text()
    panel.melody_picker.typed_radio.setChecked(True)
    panel.melody_picker.notes_edit.setText("C5 D5 | E5")
    assert panel.compose() is False
    assert "bar line 1" in panel.message_label.text()


def test_panel_file_melody_with_track_choice(unet_job, make_panel, qtbot, tmp_path):
    home, job_id = unet_job
    panel = make_panel(home)
    panel.set_job(job_id)
    bass = [(i * 16, 16, 43) for i in range(3)]
    tune = [(i * 4, 4, 72 + (i % 3)) for i in range(12)]
    path = write_midi(tmp_path / "song.mid", [bass, tune], tempo_bpm=120)
    picker = panel.melody_picker
    picker.set_file(path)
    assert picker.track_combo.count() == 3  # "first track with notes" + two tracks
    picker.track_combo.setCurrentIndex(picker.track_combo.findData(1))
    panel.takes_spin.setValue(1)
    takes = _run(qtbot, panel, panel.compose)
    notes, info = midi_to_notes(takes[0].path)
    np.testing.assert_array_equal(notes[notes[:, 0] == 0][:, 1:], tune)
    assert info["tempo"] == pytest.approx(120.0)


@pytest.mark.slow
def test_panel_generates_and_interpolates_with_musegan(musegan_job, make_panel, qtbot, tmp_path, monkeypatch):
    home, job_id = musegan_job
    monkeypatch.setenv("POLYPHONY_HOME", str(tmp_path / "home"))
    panel = make_panel(home)
    panel.set_job(job_id)
    assert panel.generate_box.isVisibleTo(panel) and not panel.accompany_box.isVisibleTo(panel)
    assert not panel.compose_button.isVisibleTo(panel)  # the melody's row goes with the melody
    panel.pieces_spin.setValue(2)
    pieces = _run(qtbot, panel, panel.generate)
    assert len(pieces) == 2 and all(p.path.is_file() for p in pieces)
    panel.steps_spin.setValue(3)
    walk = _run(qtbot, panel, panel.interpolate)
    assert len(walk) == 3 and panel.take_list.count() == 5  # the earlier pieces stay listed
    assert panel.take_list.currentRow() == 2  # the walk's first piece is chosen


def test_melody_clicked_on_the_piano_roll_is_accompanied(unet_job, make_panel, qtbot):
    from PySide6.QtCore import QPoint, Qt

    home, job_id = unet_job
    panel = make_panel(home)
    panel.set_job(job_id)
    panel.resize(900, 900)
    panel.show()
    picker = panel.melody_picker
    picker.roll_radio.setChecked(True)
    entry = picker.note_entry
    assert entry.isVisible()
    entry.bars_spin.setValue(2)
    grid = entry.grid
    for step, pitch in ((0, 72), (4, 74), (8, 76), (16, 77)):
        qtbot.mouseClick(grid, Qt.LeftButton, pos=QPoint(*grid.point_of(step, pitch)))
    entry.length_combo.setCurrentIndex(entry.length_combo.findData(8))  # half notes
    qtbot.mouseClick(grid, Qt.LeftButton, pos=QPoint(*grid.point_of(21, 79)))  # snaps to step 16
    np.testing.assert_array_equal(grid.rows(), [[0, 4, 72], [4, 4, 74], [8, 4, 76], [16, 8, 79]])
    qtbot.mouseClick(grid, Qt.LeftButton, pos=QPoint(*grid.point_of(5, 74)))  # click a note: gone
    np.testing.assert_array_equal(grid.rows(), [[0, 4, 72], [8, 4, 76], [16, 8, 79]])
    picker.tempo_spin.setValue(90)
    panel.takes_spin.setValue(1)
    takes = _run(qtbot, panel, panel.compose)
    notes, info = midi_to_notes(takes[0].path)
    np.testing.assert_array_equal(notes[notes[:, 0] == 0][:, 1:], grid.rows())
    assert info["tempo"] == pytest.approx(90.0) and info["n_bars"] == 2


def test_refresh_keeps_the_chosen_epoch(unet_job, make_panel):
    home, job_id = unet_job
    panel = make_panel(home)
    panel.set_job(job_id)
    best = panel.epoch_combo.currentData()
    other = 1 if best == 2 else 2
    assert panel.choose_epoch(other)
    panel.refresh()
    assert panel.epoch_combo.currentData() == other and panel.choice().epoch == other


def test_main_window_compose_tab_builds_on_first_show_and_follows_the_job(unet_job, qtbot, monkeypatch):
    """The window's Compose tab is the ComposePanel, made when first shown,
    pointed at the selected job and shut down with the window."""
    from app.ui.main_window import CLOSE_STOP, MainWindow
    from app.ui.ui_settings import isolate_settings

    home, job_id = unet_job
    monkeypatch.setenv("POLYPHONY_HOME", str(home))
    isolate_settings(home / "settings")
    window = MainWindow(db_path=home / "polyphony.db", training_mode="thread")
    qtbot.addWidget(window)
    window.show()
    detail = window.detail
    assert detail.compose is None, "the Compose tab is built lazily"
    window.refresh()
    detail.show_job(window.store.get(job_id))
    compose = detail.show_compose()
    assert compose is not None and detail.compose is compose
    assert compose.job_id() == job_id
    window.close_policy = CLOSE_STOP
    window.close()
