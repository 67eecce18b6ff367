"""gan.data.roll on hand-made rolls whose answers are known."""

from __future__ import annotations

import numpy as np

from gan.data.roll import (HOLD, LOWEST_PITCH, N_PITCHES, ONSET, SILENT, frames, notes_to_roll, onsets,
                           roll_to_notes)

P60 = 60 - LOWEST_PITCH


def _notes(*rows):
    return np.array(rows, dtype=np.int32).reshape(-1, 4)


def test_repeated_quarter_notes_are_two_onsets_and_fill_their_length():
    notes = _notes([0, 0, 4, 60], [0, 4, 4, 60])
    roll = notes_to_roll(notes, 8)
    assert roll.dtype == np.int8
    assert roll[0, :, P60].tolist() == [ONSET, HOLD, HOLD, HOLD, ONSET, HOLD, HOLD, HOLD]
    assert np.array_equal(roll_to_notes(roll), notes)


def test_sixteenths_stay_one_step_and_never_overlap():
    # BWV 104.6, bar 4, alto: 62 then 61 on consecutive sixteenths
    notes = _notes([1, 22, 1, 62], [1, 23, 1, 61], [1, 24, 4, 62])
    back = roll_to_notes(notes_to_roll(notes, 32))
    assert back.tolist() == notes.tolist()
    ends = back[:, 1] + back[:, 2]
    assert (ends[:-1] <= back[1:, 1]).all()  # nothing overlaps within the voice


def test_repeated_sixteenth_before_a_longer_note_stays_two_notes():
    notes = _notes([0, 0, 1, 61], [0, 1, 4, 61])
    assert roll_to_notes(notes_to_roll(notes, 8)).tolist() == notes.tolist()


def test_a_note_lasting_to_the_last_step_keeps_its_length():
    notes = _notes([3, 12, 4, 48])
    assert roll_to_notes(notes_to_roll(notes, 16)).tolist() == [[3, 12, 4, 48]]


def test_round_trip_of_random_monophonic_voices_is_exact():
    rng = np.random.default_rng(3)
    rows = []
    for track in range(4):
        t = int(rng.integers(0, 3))
        while t < 60:
            dur = int(rng.integers(1, 9))
            rows.append([track, t, min(dur, 64 - t), int(rng.integers(40, 80))])
            t += dur + int(rng.integers(0, 2))  # sometimes a rest
    notes = np.array(rows, dtype=np.int32)
    back = roll_to_notes(notes_to_roll(notes, 64))
    order = np.lexsort((notes[:, 3], notes[:, 1], notes[:, 0]))
    assert np.array_equal(back, notes[order])


def test_window_start_and_out_of_range_pitches():
    notes = _notes([1, 4, 8, 62], [2, 0, 4, LOWEST_PITCH - 1], [3, 0, 4, LOWEST_PITCH + N_PITCHES])
    roll = notes_to_roll(notes, 8, start=8)
    assert roll.shape == (4, 8, N_PITCHES)
    # the note began before the window: it enters held, and is still a note
    assert roll[1, :4, 62 - LOWEST_PITCH].tolist() == [HOLD] * 4 and not roll[1, 4:].any()
    assert not roll[2].any() and not roll[3].any()
    assert roll_to_notes(roll).tolist() == [[1, 0, 4, 62]]


def test_plain_bool_and_score_rolls_read_each_run_as_one_note():
    roll = np.zeros((4, 4, N_PITCHES), dtype=np.float32)
    roll[0, 0:3, 10] = 0.6
    roll[1, 0:3, 10] = 0.4
    assert roll_to_notes(roll).tolist() == [[0, 0, 3, LOWEST_PITCH + 10]]
    as_bool = roll > 0.5
    assert roll_to_notes(as_bool).tolist() == [[0, 0, 3, LOWEST_PITCH + 10]]


def test_frames_and_onsets_of_state_and_bool_rolls():
    state = notes_to_roll(_notes([0, 0, 2, 60], [0, 2, 2, 60]), 4)
    assert frames(state)[0, :, P60].tolist() == [True] * 4
    assert onsets(state)[0, :, P60].tolist() == [True, False, True, False]
    plain = frames(state)
    assert onsets(plain)[0, :, P60].tolist() == [True, False, False, False]  # repeats merge
    assert (state[0, :, :P60] == SILENT).all()
