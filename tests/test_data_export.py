"""`data export`: the training music as MIDI files, exact and named after its source."""

from __future__ import annotations

import numpy as np

from gan.data.corpus import Corpus
from gan.data.export import export_segments, segment_file_name
from gan.data.midi_io import midi_to_notes
from gan.data.roll import notes_to_roll


def test_exported_segments_are_the_training_rolls_with_single_line_voices(tmp_path):
    corpus = Corpus.load(["chorale"], include_imports=False)
    seen = []
    files = export_segments(corpus, tmp_path, limit=40, progress=lambda d, t, name: seen.append((d, t)))
    assert len(files) == 40 and seen[-1] == (40, 40)
    assert len({f.name for f in files}) == 40  # one file per segment, never overwritten
    segments = corpus.segments(4)[:40]
    sixteenths = 0
    for path, segment in zip(files, segments):
        notes, info = midi_to_notes(path)
        assert info["time_signature"] == (4, 4) and info["programs"] == [52, 52, 52, 52]
        for voice in range(4):  # no voice ever sounds two notes at once
            v = notes[notes[:, 0] == voice]
            v = v[np.argsort(v[:, 1], kind="stable")]
            assert (v[:-1, 1] + v[:-1, 2] <= v[1:, 1]).all(), path.name
        back = notes_to_roll(notes, 64)
        assert np.array_equal(back > 0, segment > 0), path.name  # the same sounding cells
        sixteenths += int((notes[:, 2] == 1).sum())
    assert sixteenths > 0  # sixteenths came back one step long


def test_file_names_say_where_the_music_comes_from():
    assert segment_file_name("bwv104.6", 4, 4) == "bwv104.6_bars_005-008.mid"
    assert segment_file_name("Op. 18/1: Allegro", 0, 2) == "Op._18_1_Allegro_bars_001-002.mid"
