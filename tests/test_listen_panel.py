"""The listening panel under pytest-qt (offscreen), with real MIDI files and real rendering.

The machine running the suite may have no sound device, so the panel is run
with output drivers switched off: the player then plays on a clock (the
playhead moves in real time, nothing is heard), which is what these tests
assert. Sound through a real device is covered in test_audio_player.py.
"""

from __future__ import annotations

from pathlib import Path

import pretty_midi
import pytest
from PySide6.QtCore import Qt

from app.audio import availability, fluid
from app.audio.render import MAX_TAIL_SECONDS, read_wav
from app.ui.listen import ListenPanel, SampleItem
from tests.test_audio_support import write_sample
from tests.listen_fixtures import no_device, panel  # noqa: F401
from tests.ui_fixtures import ui_env  # noqa: F401


@pytest.fixture
def samples(tmp_path):
    return [SampleItem(f"epoch {e}", write_sample(tmp_path / f"epoch_{e}.mid", bars=4, tempo=120, seed=e),
                       epoch=e, job_id=7) for e in (1, 2)]


def test_ab_switch_keeps_the_playhead_in_place(qtbot, panel, samples):
    panel.set_sources(samples)
    panel.select(0, 1)
    assert panel.current_item() == samples[0]
    panel.play()
    qtbot.wait(500)
    a, b = panel.players["A"].player, panel.players["B"].player
    before = a.position_steps()
    assert before > 2  # 0.5 s at 120 bpm = 4 steps
    panel.switch_ab()
    assert panel.active_side == "B" and panel.current_item() == samples[1]
    assert a.state == "paused" and b.state == "playing"
    paused_at = a.position_steps()  # where A stopped is where B was sent
    assert paused_at >= before
    assert b.position_steps() == pytest.approx(paused_at, abs=1.0)  # B has barely moved on
    assert panel.roll.notes.tolist() == b.score.note_rows().tolist()
    qtbot.wait(200)
    panel.switch_ab()  # and back: A resumes where B had got to
    assert panel.active_side == "A"
    assert a.position_steps() > paused_at + 0.5


def test_playhead_moves_while_playing(qtbot, panel, samples):
    panel.set_sources(samples)
    assert "Playing without sound" in panel.status_label.text()
    panel.play()
    qtbot.waitUntil(lambda: (panel.roll.playhead or 0) > 1.0, timeout=3000)
    first = panel.roll.playhead
    qtbot.wait(300)
    assert panel.roll.playhead > first + 1.0  # 0.3 s = 2.4 steps at 120 bpm
    assert panel.transport.play_button.text() == "Pause"
    panel.pause()
    qtbot.wait(50)
    held = panel.roll.playhead
    qtbot.wait(200)
    assert panel.roll.playhead == pytest.approx(held, abs=0.01)


def test_space_plays_and_pauses(qtbot, panel, samples):
    panel.set_sources(samples)
    panel.activateWindow()
    panel.setFocus()
    qtbot.keyClick(panel, Qt.Key_Space)
    assert panel.active_player().state == "playing"
    qtbot.keyClick(panel, Qt.Key_Space)
    assert panel.active_player().state == "paused"
    qtbot.keyClick(panel, Qt.Key_X)
    assert panel.active_side == "A"  # no B chosen: nothing to switch to


def test_follow_latest_epoch_moves_a_to_new_samples(qtbot, panel, samples, tmp_path):
    panel.set_sources(samples[:1])
    panel.follow_latest(True)
    panel.add_source(samples[1])
    assert panel.current_item().epoch == 2
    newer = SampleItem("epoch 3", write_sample(tmp_path / "epoch_3.mid", bars=4, seed=3), epoch=3, job_id=7)
    other_job = SampleItem("other job", write_sample(tmp_path / "other.mid", bars=4, seed=9), epoch=50, job_id=8)
    panel.add_source(other_job)
    panel.add_source(newer)
    assert panel.current_item() == newer  # the same job's newest, not another job's


def test_unticked_follow_stays_off_and_a_chosen_epoch_stays_chosen(qtbot, panel, samples, tmp_path):
    """What a running job's Samples tab does at every epoch end: new sources,
    then follow_running. The user's choice survives it."""
    panel.set_sources(samples[:1])
    panel.follow_running(7)
    assert panel.follow_box.isChecked()
    qtbot.mouseClick(panel.follow_box, Qt.LeftButton)  # the user unticks it
    assert not panel.following()
    panel.add_source(samples[1])
    panel.follow_running(7)  # the next epoch arrives
    assert not panel.follow_box.isChecked() and panel.current_item().epoch == 1
    # ticked again, then an epoch chosen by hand: following stops, the choice stays
    qtbot.mouseClick(panel.follow_box, Qt.LeftButton)
    assert panel.following() and panel.current_item().epoch == 2
    panel.choose_a(0)
    assert not panel.follow_box.isChecked() and panel.current_item().epoch == 1
    newer = SampleItem("epoch 3", write_sample(tmp_path / "epoch_3.mid", bars=4, seed=3), epoch=3, job_id=7)
    panel.add_source(newer)
    panel.follow_running(7)
    assert panel.current_item().epoch == 1 and panel.a_combo.currentIndex() == 0
    # another job (never declined) is followed
    other = SampleItem("other", write_sample(tmp_path / "other.mid", bars=4, seed=9), epoch=4, job_id=8)
    panel.set_sources([other])
    panel.follow_running(8)
    assert panel.following()


def test_playback_never_switches_piece_by_itself(qtbot, panel, samples, tmp_path):
    panel.set_sources(samples[:1])
    panel.follow_latest(True)
    panel.play()
    qtbot.waitUntil(lambda: panel.position_steps() > 1.0, timeout=3000)
    notes = panel.roll.notes.tolist()
    panel.add_source(samples[1])  # a new epoch ends while A plays
    assert panel.current_item().epoch == 1 and panel.active_player().state == "playing"
    assert panel.roll.notes.tolist() == notes  # the notes under the playhead stay
    assert panel.waiting_sample() == samples[1]
    assert "epoch 2 next" in panel.follow_box.text()
    panel.pause()
    panel.add_source(SampleItem("epoch 3", write_sample(tmp_path / "e3.mid", bars=4, seed=3), epoch=3,
                                job_id=7))
    assert panel.current_item().epoch == 1  # paused part-way: still the same piece
    panel.stop()  # playback stops: the newest epoch moves in
    qtbot.waitUntil(lambda: panel.current_item().epoch == 3, timeout=3000)
    assert panel.waiting_sample() is None and panel.follow_box.text() == "Play latest epoch"


def test_play_button_says_pause_after_switching_a_and_b(qtbot, panel, samples):
    panel.set_sources(samples)
    panel.select(0, 1)
    panel.play()
    assert panel.transport.play_button.text() == "Pause"
    qtbot.keyClick(panel, Qt.Key_X)
    assert panel.active_side == "B" and panel.active_player().state == "playing"
    assert panel.transport.play_button.text() == "Pause"
    qtbot.keyClick(panel, Qt.Key_Space)  # pauses B, as the button said
    assert panel.active_player().state == "paused"
    assert panel.transport.play_button.text() == "Play"
    panel.switch_ab()
    assert panel.transport.play_button.text() == "Play"


def test_reference_sample_plays_beside_generated(qtbot, panel, samples, tmp_path):
    reference = SampleItem("BWV 269 bars 1-4", write_sample(tmp_path / "ref.mid", bars=4, seed=42),
                           kind="reference")
    panel.set_sources(samples + [reference])
    panel.select(0, 2)
    assert panel.b_combo.currentText() == "BWV 269 bars 1-4 (reference)"
    panel.switch_ab()
    assert panel.current_item().kind == "reference"


def test_export_midi_keeps_tempo_time_signature_names_and_instruments(qtbot, panel, samples, tmp_path):
    panel.set_sources(samples)
    panel.tracks.instruments[1].setCurrentIndex(73)  # alto -> flute
    out = panel.export_midi_to(tmp_path / "export.mid")
    pm = pretty_midi.PrettyMIDI(str(out))
    original = pretty_midi.PrettyMIDI(str(samples[0].midi_path))
    assert pm.get_tempo_changes()[1][0] == pytest.approx(120.0)
    ts = pm.time_signature_changes[0]
    assert (ts.numerator, ts.denominator) == (4, 4)
    assert [i.name for i in pm.instruments] == [i.name for i in original.instruments]
    assert [i.program for i in pm.instruments] == [original.instruments[0].program, 73,
                                                   original.instruments[2].program,
                                                   original.instruments[3].program]
    assert [len(i.notes) for i in pm.instruments] == [len(i.notes) for i in original.instruments]


def test_export_names_the_job_epoch_and_piece_and_remembers_the_folder(qtbot, monkeypatch, panel, tmp_path,
                                                                      ui_env):  # noqa: F811
    from app.ui.listen import export_actions

    home = tmp_path / "home"
    (home / "Music").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    chosen = tmp_path / "exports"
    chosen.mkdir()
    asked = []

    def fake_dialog(parent, title, default, pattern):
        asked.append((title, default, pattern))
        return (str(chosen / "mine"), pattern) if len(asked) == 1 else ("", "")

    monkeypatch.setattr(export_actions.QFileDialog, "getSaveFileName", fake_dialog)
    items = [SampleItem(f"epoch {e} · piece {i + 1}", write_sample(tmp_path / f"e{e}_{i}.mid", bars=1, seed=e),
                        epoch=e, job_id=3, job_name="Chorales, quick", piece=i + 1)
             for e in (34, 35) for i in range(2)]
    panel.set_sources(items)
    panel.select(2)  # epoch 35, piece 1
    written = []
    panel.exported.connect(written.append)
    panel.midi_button.click()
    # the first dialog opens in the user's music folder, named after job, epoch and piece (1-based)
    assert asked == [("Export MIDI", str(home / "Music" / "job3-chorales-quick-epoch35-piece1.mid"),
                      "MIDI (*.mid)")]
    assert written == [str(chosen / "mine.mid")]  # the suffix is added when left out
    panel.select(3)
    panel.midi_button.click()  # the next one opens where the last export went; cancelled
    assert asked[1][1] == str(chosen / "job3-chorales-quick-epoch35-piece2.mid")
    assert sorted(p.name for p in chosen.iterdir()) == ["mine.mid"] and len(written) == 1


def test_export_wav_renders_in_the_background(qtbot, panel, samples, tmp_path):
    panel.set_sources(samples)
    target = tmp_path / "export.wav"
    with qtbot.waitSignal(panel.exported, timeout=20000) as signal:
        panel.export_wav_to(target)
    assert signal.args == [str(target)]
    audio, rate = read_wav(target)
    # four bars at 120 bpm, then the release tail
    assert 8.0 < len(audio) / rate <= 8.0 + MAX_TAIL_SECONDS + 0.05


def test_panel_without_fluidsynth_shows_roll_and_exports_midi(qtbot, monkeypatch, samples, tmp_path):
    not_a_library = tmp_path / "libfluidsynth.so"
    not_a_library.write_text("no")
    monkeypatch.setenv(fluid.LIB_ENV, str(not_a_library))
    availability.clear_cache()
    widget = ListenPanel()
    qtbot.addWidget(widget)
    try:
        widget.set_sources(samples)
        assert len(widget.roll.notes) > 0  # the piano roll still shows the sample
        assert "FluidSynth library could not be loaded" in widget.status_label.text()
        assert not widget.transport.play_button.isEnabled()
        assert not widget.wav_button.isEnabled()
        assert widget.midi_button.isEnabled()
        assert widget.export_midi_to(tmp_path / "still.mid").exists()
        widget.play()  # does nothing, raises nothing
    finally:
        widget.shutdown()
        availability.clear_cache()


def test_bad_export_target_is_reported(qtbot, panel, samples, tmp_path):
    panel.set_sources(samples)
    with qtbot.waitSignal(panel.errorOccurred) as signal:
        panel.export_midi_to(tmp_path / "no_such_folder" / "x.mid")
    assert "folder does not exist" in signal.args[0]


def test_soundfont_choice_is_checked(qtbot, panel, samples, tmp_path):
    panel.set_sources(samples)
    broken = tmp_path / "broken.sf2"
    broken.write_bytes(b"not a soundfont")
    with qtbot.waitSignal(panel.errorOccurred) as signal:
        panel.set_soundfont(broken)
    assert "not a SoundFont 2 file" in signal.args[0]
    assert "not a SoundFont 2 file" in panel.status_label.text()
    good = panel.soundfont_combo.itemData(0)
    panel.set_soundfont(good)
    assert panel.active_player().soundfont == Path(good)
    assert panel.active_player().wait_rendered()


def test_tempo_change_keeps_the_playhead(qtbot, panel, samples):
    panel.set_sources(samples)
    panel.play()
    qtbot.wait(400)
    before = panel.position_steps()
    panel.transport.tempo.setValue(2.0)
    panel.transport.tempoChanged.emit(2.0)
    assert panel.active_player().tempo == 2.0
    assert panel.position_steps() == pytest.approx(before, abs=0.6)
    panel.active_player().wait_rendered()
    start = panel.position_steps()
    qtbot.wait(300)
    # twice as fast: 0.3 s is about 4.8 steps at 120 bpm x 2 (clock output, real time)
    assert panel.position_steps() - start > 3.0


def test_new_source_list_replaces_a_and_b(qtbot, panel, samples, tmp_path):
    panel.set_sources(samples)
    panel.select(0, 1)
    other = [SampleItem(f"job 9 epoch {e}", write_sample(tmp_path / f"j9_{e}.mid", bars=2, seed=10 + e),
                        epoch=e, job_id=9) for e in (1, 2, 3)]
    panel.set_sources(other)  # the user picked another job
    assert panel.current_item() == other[0]
    assert panel.b_combo.currentIndex() == 0  # B: none
    panel.follow_latest(True)
    assert panel.current_item() == other[2]
    panel.set_sources(samples)  # and back, still following: that job's latest
    assert panel.current_item() == samples[1]


def test_a_sample_is_read_once_for_the_roll_and_the_player(qtbot, panel, samples, monkeypatch):
    """Choosing a sample parses its MIDI file once: the piano roll and the
    player share that score (the player used to read the file again)."""
    from app.audio import player as player_module
    from app.audio import score as score_module
    from app.ui.listen import listen_panel

    reads = []
    real = score_module.load_score

    def counting(path):
        reads.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(listen_panel, "load_score", counting)
    monkeypatch.setattr(player_module, "load_score", counting)
    panel.set_sources(samples)
    panel.select(0, 1)
    assert sorted(reads) == sorted(s.midi_path.name for s in samples)
    assert panel.players["A"].player.score.note_rows().tolist() == panel.roll.notes.tolist()


def test_play_after_a_failure_finds_the_sound_server_started_later(qtbot, monkeypatch, samples):
    """PulseAudio started after the app: the next Play is heard, no restart."""
    import shutil
    import tempfile

    from tests.test_audio_support import LateSoundServer

    if LateSoundServer.missing():
        pytest.skip(f"no PulseAudio to start ({LateSoundServer.missing()} missing)")
    server = LateSoundServer(tempfile.mkdtemp(prefix="pa-"))
    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    availability.clear_cache()
    widget = ListenPanel()
    qtbot.addWidget(widget)
    try:
        widget.set_sources(samples)
        assert "Playing without sound" in widget.status_label.text()
        assert "pulseaudio" in widget.status_label.toolTip()  # the full reason, on hover
        server.start()
        qtbot.wait(1100)  # Play pressed again after the retry interval
        qtbot.mouseClick(widget.transport.play_button, Qt.LeftButton)
        assert widget.active_player().output_name == "pulseaudio"
        assert not widget.status_label.isVisibleTo(widget), widget.status_label.text()
        assert widget.transport.play_button.text() == "Pause"
    finally:
        widget.shutdown()
        server.stop()
        availability.clear_cache()
        shutil.rmtree(server.folder, ignore_errors=True)
