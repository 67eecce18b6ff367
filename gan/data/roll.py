"""The piano-roll format every part of Polyphony agrees on.

A roll is an array ``(tracks=4, time_steps, pitches)``: four voices
ordered high -> low (the top one is the melody), 4 steps per beat, 16 per 4/4
bar, pitches ``LOWEST_PITCH .. LOWEST_PITCH + N_PITCHES - 1`` (MIDI numbers).

Notes are stored exactly as integer rows ``(track, start, duration, pitch)``
(steps and MIDI numbers). As a roll they become a *note-state* roll (int8:
SILENT, HOLD or ONSET per cell, see below), because a plain on/off roll
merges repeated notes and cannot say where a sixteenth ends. The round trip
note rows -> ``notes_to_roll`` -> ``roll_to_notes`` is exact for notes that
do not overlap on the same pitch of the same track.
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

# -- note-state rolls ------------------------------------------------------
# A bool roll cannot tell a held note from two repeated ones, nor (once
# notes touch) where a sixteenth ends. A note-state roll can: int8
# (tracks, steps, pitches) with SILENT, HOLD (the note goes on sounding) or
# ONSET (a note starts here) in each cell. Every note covers its whole
# duration, so ``state > 0`` is what sounds and ``state == ONSET`` where
# notes start; the round trip note rows -> state -> note rows is exact.
SILENT, HOLD, ONSET = 0, 1, 2


def empty_notes() -> np.ndarray:
    return np.zeros((0, 4), dtype=np.int32)


def notes_to_roll(notes: np.ndarray, n_steps: int, start: int = 0) -> np.ndarray:
    """Rasterise note rows into a note-state roll covering ``[start, start+n_steps)``.

    Every note fills its whole duration (HOLD) and marks its first step
    (ONSET), so a sixteenth is one step, a held note is one note and a
    repeated note is two. A note that began before ``start`` enters the
    window as HOLD. Notes outside the pitch range are dropped (callers
    transpose first).
    """
    roll = np.zeros((TRACKS, n_steps, N_PITCHES), dtype=np.int8)
    if len(notes) == 0:
        return roll
    notes = np.asarray(notes)
    track, onset, dur, pitch = (notes[:, i].astype(np.int64) for i in range(4))
    lo = onset - start
    hi = lo + np.maximum(1, dur)
    p = pitch - LOWEST_PITCH
    keep = (hi > 0) & (lo < n_steps) & (p >= 0) & (p < N_PITCHES) & (track >= 0) & (track < TRACKS)
    track, lo, hi, p = track[keep], lo[keep], hi[keep], p[keep]
    for t, a, b, q in zip(track, np.clip(lo, 0, n_steps), np.clip(hi, 0, n_steps), p):
        roll[t, a:b, q] = HOLD
    inside = lo >= 0  # onsets last, so a note that starts where another ends keeps its start
    roll[track[inside], lo[inside], p[inside]] = ONSET
    return roll


def roll_to_notes(roll: np.ndarray) -> np.ndarray:
    """Exact note rows from a note-state roll: a note starts at an ONSET (or
    at a HOLD after silence) and lasts while HOLD follows. A plain bool roll
    (or scores > 0.5) has no onsets: each run of sounding steps is one note."""
    roll = np.asarray(roll)
    sounding = frames(roll)
    starts = onsets(roll) & sounding
    # a HOLD with nothing before it (a roll cut from a longer piece) starts a note too
    before = np.zeros_like(sounding)
    before[:, 1:] = sounding[:, :-1]
    starts |= sounding & ~before
    tracks, n_steps, _ = roll.shape
    rows = []
    for t in range(tracks):
        on_t, on_p = np.nonzero(starts[t])
        if not len(on_t):
            continue
        # a note ends at the first step (after its start) that is silent or a new start
        ends_here = ~sounding[t] | starts[t]  # (steps, pitches)
        end_mark = np.vstack([ends_here[1:], np.ones((1, roll.shape[2]), dtype=bool)])
        # next end at or after each step, per pitch: reverse cumulative minimum of indices
        idx = np.where(end_mark, np.arange(n_steps)[:, None], n_steps)
        next_end = np.minimum.accumulate(idx[::-1], axis=0)[::-1]
        dur = next_end[on_t, on_p] - on_t + 1
        rows.append(np.stack([np.full(len(on_t), t), on_t, dur, on_p + LOWEST_PITCH], axis=1))
    if not rows:
        return empty_notes()
    notes = np.concatenate(rows).astype(np.int32)
    return notes[np.lexsort((notes[:, 3], notes[:, 1], notes[:, 0]))]




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
