"""MIDI writing and reading on the 16th grid, with real files."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest

from gan.data.midi_io import MidiReadError, midi_to_notes, read_midi
from gan.data.midi_write import GENRE_PROGRAMS, notes_to_midi, programs_for, roll_to_midi, track_names_for
from gan.data.roll import notes_to_roll

NOTES = np.array([
    [0, 0, 4, 72], [0, 4, 4, 72], [0, 8, 2, 74], [0, 10, 1, 76], [0, 12, 20, 77],  # repeats, 16th, tie
    [1, 0, 8, 67], [1, 8, 8, 65],
    [2, 0, 16, 60],
    [3, 0, 4, 48], [3, 4, 4, 48], [3, 8, 24, 41],
], dtype=np.int32)


@pytest.mark.parametrize("tempo", [100.0, 137.5, 45.0])
def test_notes_round_trip_exactly(tmp_path, tempo):
    path = tmp_path / "n.mid"
    notes_to_midi(NOTES, path, tempo=tempo, programs=GENRE_PROGRAMS["string_quartet"],
                  track_names=track_names_for("string_quartet"), time_signature=(4, 4))
    back, info = midi_to_notes(path)
    order = np.lexsort((NOTES[:, 3], NOTES[:, 1], NOTES[:, 0]))
    assert np.array_equal(back, NOTES[order])
    assert info["tempo"] == pytest.approx(tempo, rel=1e-3)
    assert info["time_signature"] == (4, 4) and info["tempo_changes"] == 0
    assert info["n_bars"] == 2
    assert info["track_names"] == ["violin I", "violin II", "viola", "cello"]
    assert info["programs"] == [40, 40, 41, 42]
    pm = pretty_midi.PrettyMIDI(str(path))
    assert len(pm.instruments) == 4  # four named tracks, as the player expects
    assert pm.instruments[0].notes[0].end == pytest.approx(60.0 / tempo, rel=1e-3)


def test_roll_to_midi_keeps_repeated_notes(tmp_path):
    roll = notes_to_roll(NOTES, 32)
    path = tmp_path / "r.mid"
    roll_to_midi(roll, path, tempo=90, programs=programs_for("chorale"))
    back, info = midi_to_notes(path)
    onsets = {(t, s, p) for t, s, _, p in back}
    assert {(0, 0, 72), (0, 4, 72), (3, 0, 48), (3, 4, 48)} <= onsets
    assert onsets == {(t, s, p) for t, s, _, p in NOTES}
    assert sorted(map(tuple, back.tolist())) == sorted(map(tuple, np.asarray(NOTES).tolist()))
    assert info["programs"] == [52, 52, 52, 52]


def test_empty_roll_writes_four_silent_tracks(tmp_path):
    path = tmp_path / "e.mid"
    roll_to_midi(np.zeros((4, 64, 84), dtype=bool), path)
    notes, info = midi_to_notes(path)
    assert len(notes) == 0 and info["n_bars"] == 0 and len(info["track_names"]) == 4


def test_programs_defaults_and_bad_tempo(tmp_path):
    assert programs_for("nonexistent") == GENRE_PROGRAMS["default"] == (0, 0, 0, 0)
    assert programs_for("string_quartet") == (40, 40, 41, 42)
    with pytest.raises(ValueError, match="tempo"):
        notes_to_midi(NOTES, tmp_path / "x.mid", tempo=0)
    assert not (tmp_path / "x.mid").exists()


def test_reading_bad_files_raises_a_reason(tmp_path):
    with pytest.raises(MidiReadError, match="cannot open"):
        read_midi(tmp_path / "missing.mid")
    (tmp_path / "z.mid").write_bytes(b"")
    with pytest.raises(MidiReadError, match="empty file"):
        midi_to_notes(tmp_path / "z.mid")
    (tmp_path / "t.mid").write_text("MThd but not really")
    with pytest.raises(MidiReadError, match="unreadable MIDI"):
        midi_to_notes(tmp_path / "t.mid")


def test_a_silent_voice_keeps_the_others_in_place(tmp_path):
    notes = NOTES[NOTES[:, 0] != 1]  # no alto
    path = tmp_path / "no_alto.mid"
    notes_to_midi(notes, path)
    back, info = midi_to_notes(path)
    assert set(back[:, 0]) == {0, 2, 3}
    assert np.array_equal(back, notes[np.lexsort((notes[:, 3], notes[:, 1], notes[:, 0]))])
    assert info["track_names"] == ["soprano", "alto", "tenor", "bass"]
