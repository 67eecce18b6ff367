"""Real music survives the trip piece/segment -> roll -> MIDI file -> notes, exactly.

Every committed genre: whole pieces come back as the very same note rows
(sixteenths stay sixteenths, repeated notes stay two notes, a note lasting
to the end keeps its length), segments come back cell for cell, and no
voice of a written file ever sounds two notes at once where the genre's
voices are single lines.
"""

from __future__ import annotations

import numpy as np
import pytest

from gan.data.corpus import COMMITTED_GENRES, Corpus
from gan.data.midi_io import midi_to_notes
from gan.data.midi_write import roll_to_midi
from gan.data.roll import HOLD, LOWEST_PITCH, N_PITCHES, ONSET, STEPS_PER_BAR, notes_to_roll


def _in_range(notes: np.ndarray) -> np.ndarray:
    n = notes[(notes[:, 3] >= LOWEST_PITCH) & (notes[:, 3] < LOWEST_PITCH + N_PITCHES)]
    return n[np.lexsort((n[:, 3], n[:, 1], n[:, 0]))].astype(np.int64)


def _back(roll, path) -> np.ndarray:
    roll_to_midi(roll, path, tempo=96.0)
    notes, info = midi_to_notes(path)
    assert info["time_signature"] == (4, 4)
    return notes.astype(np.int64)


def _overlaps_within_a_voice(notes: np.ndarray) -> int:
    n = notes[np.lexsort((notes[:, 1], notes[:, 0]))]
    same_voice = n[1:, 0] == n[:-1, 0]
    return int((same_voice & (n[:-1, 1] + n[:-1, 2] > n[1:, 1])).sum())


@pytest.fixture(scope="module", params=COMMITTED_GENRES)
def genre(request):
    corpus = Corpus.load([request.param], include_imports=False)
    assert len(corpus) > 20
    return request.param, corpus


@pytest.mark.slow
def test_whole_pieces_come_back_as_the_same_notes(genre, tmp_path):
    name, corpus = genre
    sixteenths = repeated = 0
    for i, piece in enumerate(corpus.pieces):
        steps = piece.n_bars * STEPS_PER_BAR
        want = _in_range(piece.notes)
        got = _back(notes_to_roll(piece.notes, steps), tmp_path / f"p{i}.mid")
        assert np.array_equal(got, want), f"{name} {piece.name}: notes differ"
        assert _overlaps_within_a_voice(got) == 0, f"{name} {piece.name}: a voice overlaps itself"
        sixteenths += int((want[:, 2] == 1).sum())
        n = want[np.lexsort((want[:, 1], want[:, 3], want[:, 0]))]
        repeated += int(((n[1:, 0] == n[:-1, 0]) & (n[1:, 3] == n[:-1, 3])
                         & (n[1:, 1] == n[:-1, 1] + n[:-1, 2])).sum())
    # the test means something: both hard cases are in the data
    assert sixteenths > 50 and repeated > 100, (sixteenths, repeated)


def test_segments_come_back_cell_for_cell(genre, tmp_path):
    name, corpus = genre
    segments = corpus.segments(4)
    assert segments.dtype == np.int8 and len(segments) > 300
    width = 4 * STEPS_PER_BAR
    for k in range(0, len(segments), 7):  # every 7th segment: a few seconds on 2 cores
        seg = segments[k]
        back = notes_to_roll(_back(seg, tmp_path / f"s{k}.mid"), width)
        # A note carried in from the bar before the segment starts held; a
        # MIDI file cannot say "held from before", so it comes back as an onset.
        carried = seg[:, 0] == HOLD
        expected = seg.copy()
        expected[:, 0][carried] = ONSET
        assert np.array_equal(back, expected), f"{name} segment {k} differs"
