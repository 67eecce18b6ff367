"""The piano-roll format every part of Polyphony agrees on.

A roll is a boolean array ``(tracks=4, time_steps, pitches)``: four voices
ordered high -> low (the top one is the melody), 4 steps per beat, 16 per 4/4
bar, pitches ``LOWEST_PITCH .. LOWEST_PITCH + N_PITCHES - 1`` (MIDI numbers).

Notes are stored exactly as integer rows ``(track, start, duration, pitch)``
(steps and MIDI numbers). A plain on/off roll merges repeated notes, so
``notes_to_roll`` ends every note longer than one step one step early: two
repeated quarter notes become ``111 0 111 0`` and come back as two notes.
``roll_to_notes`` undoes it (a run of L steps is a note of L + 1 steps, cut
short by the next onset of the same pitch or the end of the roll).
"""

from __future__ import annotations

import numpy as np

TRACKS = 4
STEPS_PER_BEAT = 4
BEATS_PER_BAR = 4
STEPS_PER_BAR = STEPS_PER_BEAT * BEATS_PER_BAR
LOWEST_PITCH = 24  # C1
N_PITCHES = 84  # C1 .. B7
HIGHEST_PITCH = LOWEST_PITCH + N_PITCHES - 1
VOICE_NAMES = ("soprano", "alto", "tenor", "bass")  # generic top -> bottom

# note rows: track, start step, duration in steps, MIDI pitch
NOTE_COLUMNS = ("track", "start", "duration", "pitch")


def empty_notes() -> np.ndarray:
    return np.zeros((0, 4), dtype=np.int32)


def notes_to_roll(notes: np.ndarray, n_steps: int, start: int = 0) -> np.ndarray:
    """Rasterise note rows into a bool roll covering ``[start, start+n_steps)``.

    Notes outside the pitch range are dropped (callers transpose first).
    """
    roll = np.zeros((TRACKS, n_steps, N_PITCHES), dtype=bool)
    if len(notes) == 0:
        return roll
    notes = np.asarray(notes)
    track, onset, dur, pitch = (notes[:, i].astype(np.int64) for i in range(4))
    length = np.maximum(1, dur - 1)  # one step early: repeated notes stay apart
    lo = onset - start
    hi = lo + length
    p = pitch - LOWEST_PITCH
    keep = (hi > 0) & (lo < n_steps) & (p >= 0) & (p < N_PITCHES) & (track >= 0) & (track < TRACKS)
    for t, a, b, q in zip(track[keep], np.clip(lo[keep], 0, n_steps), np.clip(hi[keep], 0, n_steps), p[keep]):
        roll[t, a:b, q] = True
    return roll


def roll_to_notes(roll: np.ndarray) -> np.ndarray:
    """Note rows from a roll (bool or scores > 0.5), see the module notes."""
    roll = np.asarray(roll)
    if roll.dtype != bool:
        roll = roll > 0.5
    tracks, n_steps, _ = roll.shape
    padded = np.zeros((tracks, n_steps + 2, roll.shape[2]), dtype=np.int8)
    padded[:, 1:-1] = roll
    diff = np.diff(padded, axis=1)  # +1 at onsets, -1 after offsets
    rows = []
    for t in range(tracks):
        on_t, on_p = np.nonzero(diff[t] == 1)
        off_t, off_p = np.nonzero(diff[t] == -1)
        # pair onsets and offsets per pitch: sort both by (pitch, time)
        on_order = np.lexsort((on_t, on_p))
        off_order = np.lexsort((off_t, off_p))
        on_t, on_p = on_t[on_order], on_p[on_order]
        off_t = off_t[off_order]
        run = off_t - on_t
        dur = run + 1
        # cut short by the next onset of the same pitch, and by the roll's end
        same_next = np.zeros(len(on_t), dtype=bool)
        same_next[:-1] = on_p[1:] == on_p[:-1]
        next_on = np.where(same_next, np.roll(on_t, -1), n_steps)
        dur = np.minimum(dur, next_on - on_t)
        dur = np.maximum(dur, 1)
        if len(on_t):
            rows.append(np.stack([np.full(len(on_t), t), on_t, dur, on_p + LOWEST_PITCH], axis=1))
    if not rows:
        return empty_notes()
    notes = np.concatenate(rows).astype(np.int32)
    return notes[np.lexsort((notes[:, 3], notes[:, 1], notes[:, 0]))]


# -- note-state rolls ------------------------------------------------------
# A bool roll cannot tell a held note from two repeated ones, nor (once
# notes touch) where a sixteenth ends. A note-state roll can: int8
# (tracks, steps, pitches) with SILENT, HOLD (the note goes on sounding) or
# ONSET (a note starts here) in each cell. Every note covers its whole
# duration, so ``state > 0`` is what sounds and ``state == ONSET`` where
# notes start; the round trip note rows -> state -> note rows is exact.
SILENT, HOLD, ONSET = 0, 1, 2


def frames(roll: np.ndarray) -> np.ndarray:
    """Bool: which cells sound (state rolls, bool rolls or scores > 0.5)."""
    roll = np.asarray(roll)
    if roll.dtype == bool:
        return roll
    if roll.dtype.kind in "iu":
        return roll > 0
    return roll > 0.5


def onsets(roll: np.ndarray) -> np.ndarray:
    """Bool: where notes start. A state roll says so; for a plain bool roll
    every run of sounding steps counts as one note (repeats merge)."""
    roll = np.asarray(roll)
    if roll.dtype.kind in "iu" and roll.dtype != bool:
        return roll == ONSET
    sounding = frames(roll)
    before = np.zeros_like(sounding)
    before[..., 1:, :] = sounding[..., :-1, :]
    return sounding & ~before


def is_state_roll(roll: np.ndarray) -> bool:
    return np.asarray(roll).dtype == np.int8
