"""Real chorales survive the trip piece/segment -> roll -> MIDI file -> notes.

The roll ends every note one step early so repeated notes stay apart; the
one case it cannot show is a 16th note followed at once by the same pitch
(a one-step note has no step to give up). The test predicts exactly those
merges from the note rows and requires every other onset to come back.
"""

from __future__ import annotations

import numpy as np
import pytest

from gan.data.corpus import Corpus
from gan.data.midi_io import midi_to_notes
from gan.data.midi_write import roll_to_midi
from gan.data.roll import LOWEST_PITCH, N_PITCHES, STEPS_PER_BAR, notes_to_roll


def expected_onsets(notes: np.ndarray, lo: int, hi: int) -> tuple[set, int]:
    """(track, onset, pitch) a roll of steps [lo, hi) gives back, and how many
    onsets the roll merges (a note whose run touches the previous run of the
    same pitch: only a 1-step note right before the same pitch does that)."""
    n = notes[(notes[:, 3] >= LOWEST_PITCH) & (notes[:, 3] < LOWEST_PITCH + N_PITCHES)].astype(np.int64)
    n = n[np.lexsort((n[:, 1], n[:, 3], n[:, 0]))]
    start = n[:, 1]
    drawn_end = start + np.maximum(1, n[:, 2] - 1)  # notes_to_roll ends notes one step early
    same_line = np.zeros(len(n), dtype=bool)
    same_line[1:] = (n[1:, 0] == n[:-1, 0]) & (n[1:, 3] == n[:-1, 3])
    prev_end = np.where(same_line, np.roll(drawn_end, 1), np.iinfo(np.int64).min)
    visible = (drawn_end > lo) & (start < hi)
    merged = visible & (prev_end >= start) & (start > lo)
    keep = visible & ~merged
    onsets = {(int(t), int(max(s, lo) - lo), int(p)) for t, s, p in n[keep][:, [0, 1, 3]]}
    return onsets, int(merged.sum())


def _onsets_back(roll, path) -> set:
    roll_to_midi(roll, path, tempo=96.0)
    notes, info = midi_to_notes(path)
    assert info["time_signature"] == (4, 4)
    return {(int(t), int(s), int(p)) for t, s, _, p in notes}


@pytest.fixture(scope="module")
def chorales():
    corpus = Corpus.load(["chorale"], include_imports=False)
    assert len(corpus) > 250
    return corpus


@pytest.mark.slow
def test_whole_chorales_keep_their_onsets_through_midi(chorales, tmp_path):
    merged_total = onsets_total = 0
    repeated = 0
    for i, piece in enumerate(chorales.pieces):
        steps = piece.n_bars * STEPS_PER_BAR
        want, merged = expected_onsets(piece.notes, 0, steps)
        got = _onsets_back(notes_to_roll(piece.notes, steps), tmp_path / f"p{i}.mid")
        assert got == want, f"{piece.name}: lost {sorted(want - got)[:5]}, extra {sorted(got - want)[:5]}"
        merged_total += merged
        onsets_total += len(want)
        n = piece.notes[np.lexsort((piece.notes[:, 1], piece.notes[:, 3], piece.notes[:, 0]))]
        same = (n[1:, 0] == n[:-1, 0]) & (n[1:, 3] == n[:-1, 3]) & (n[1:, 1] == n[:-1, 1] + n[:-1, 2])
        repeated += int(same.sum())
    # the chorales are full of repeated notes, and nearly all of them survive
    assert repeated > 0.1 * onsets_total
    assert merged_total < 0.001 * onsets_total, (merged_total, onsets_total)


def test_chorale_segments_keep_their_onsets_through_midi(chorales, tmp_path):
    segments = chorales.segments(4)
    sources = chorales.segment_sources(4)
    assert len(segments) == len(sources) > 700
    width = 4 * STEPS_PER_BAR
    for k in range(0, len(segments), 10):  # every 10th segment: a few seconds on 2 cores
        piece, first_bar = sources[k]
        lo = first_bar * STEPS_PER_BAR
        want, _ = expected_onsets(piece.notes, lo, lo + width)
        got = _onsets_back(segments[k], tmp_path / f"s{k}.mid")
        assert got == want, f"{piece.name} bar {first_bar}: lost {sorted(want - got)[:5]}"
