"""Where the training segments of a piece start (bar windows), counted
without building rolls."""

from __future__ import annotations

import numpy as np

from gan.data.dataset_file import Piece
from gan.data.roll import LOWEST_PITCH, N_PITCHES, STEPS_PER_BAR, TRACKS


def window_starts(n_bars: int, bars_per_sample: int) -> np.ndarray:
    """First bar of each segment window of a piece.

    Non-overlapping windows from the first bar; when bars are left over at
    the end, one more window ends exactly with the piece, overlapping its
    neighbour, so final cadences are learned too (chorale phrases rarely
    come in multiples of four bars).
    """
    if n_bars < bars_per_sample:
        return np.zeros(0, dtype=np.int64)
    starts = np.arange(0, n_bars - bars_per_sample + 1, bars_per_sample, dtype=np.int64)
    if n_bars % bars_per_sample:
        starts = np.append(starts, n_bars - bars_per_sample)
    return starts


def sounding_windows(piece: Piece, bars_per_sample: int) -> tuple[np.ndarray, np.ndarray]:
    """(first bars, bool per window: does any in-range note sound in it?).

    Mirrors ``notes_to_roll`` (each note drawn over its whole duration)
    so counts agree with ``Corpus.segments`` without building rolls.
    """
    starts = window_starts(piece.n_bars, bars_per_sample)
    occupied = np.zeros(len(starts), dtype=bool)
    notes = np.asarray(piece.notes)
    if len(starts) == 0 or len(notes) == 0:
        return starts, occupied
    pitch, track = notes[:, 3], notes[:, 0]
    ok = (pitch >= LOWEST_PITCH) & (pitch < LOWEST_PITCH + N_PITCHES) & (track >= 0) & (track < TRACKS)
    start = notes[ok, 1].astype(np.int64)
    end = start + np.maximum(1, notes[ok, 2].astype(np.int64))
    # per bar: does a note sound in it? then per window: any of its bars
    marks = np.zeros(piece.n_bars + 1, dtype=np.int64)
    np.add.at(marks, np.clip(start // STEPS_PER_BAR, 0, piece.n_bars), 1)
    np.add.at(marks, np.clip((end - 1) // STEPS_PER_BAR + 1, 0, piece.n_bars), -1)
    bar_sounds = np.cumsum(marks[:-1]) > 0
    for k, first in enumerate(starts):
        occupied[k] = bar_sounds[first:first + bars_per_sample].any()
    return starts, occupied


def segment_count_of(piece: Piece, bars_per_sample: int) -> int:
    return int(np.count_nonzero(sounding_windows(piece, bars_per_sample)[1]))
