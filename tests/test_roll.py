"""gan.data.roll on hand-made rolls whose answers are known."""

from __future__ import annotations

import numpy as np

from gan.data.roll import LOWEST_PITCH, N_PITCHES, notes_to_roll, roll_to_notes


def test_repeated_quarter_notes_stay_apart():
    notes = np.array([[0, 0, 4, 60], [0, 4, 4, 60]], dtype=np.int32)
    roll = notes_to_roll(notes, 8)
    row = roll[0, :, 60 - LOWEST_PITCH]
    assert row.tolist() == [True] * 3 + [False] + [True] * 3 + [False]  # 111 0 111 0
    assert np.array_equal(roll_to_notes(roll), notes)


def test_round_trip_of_notes_longer_than_a_step():
    rng = np.random.default_rng(3)
    rows = []
    for track in range(4):
        t = 0
        while t < 60:
            dur = int(rng.integers(2, 9))
            rows.append([track, t, min(dur, 64 - t), int(rng.integers(40, 80))])
            t += dur
    notes = np.array(rows, dtype=np.int32)
    back = roll_to_notes(notes_to_roll(notes, 64))
    order = np.lexsort((notes[:, 3], notes[:, 1], notes[:, 0]))
    assert np.array_equal(back, notes[order])


def test_repeated_sixteenths_merge_known_limit():
    # a one-step note has no step to give up: this is the roll's one blind spot
    notes = np.array([[0, 0, 1, 60], [0, 1, 1, 60]], dtype=np.int32)
    back = roll_to_notes(notes_to_roll(notes, 4))
    assert back.tolist() == [[0, 0, 3, 60]]


def test_window_start_and_out_of_range_pitches():
    notes = np.array([[1, 4, 8, 62], [2, 0, 4, LOWEST_PITCH - 1], [3, 0, 4, LOWEST_PITCH + N_PITCHES]],
                     dtype=np.int32)
    roll = notes_to_roll(notes, 8, start=8)
    assert roll.shape == (4, 8, N_PITCHES)
    assert roll[1, :3, 62 - LOWEST_PITCH].all() and not roll[1, 3:].any()
    assert not roll[2].any() and not roll[3].any()
    back = roll_to_notes(roll)
    assert back.tolist() == [[1, 0, 4, 62]]  # the sustained part starts the window


def test_scores_threshold():
    roll = np.zeros((4, 4, N_PITCHES), dtype=np.float32)
    roll[0, 0:3, 10] = 0.6
    roll[1, 0:3, 10] = 0.4
    back = roll_to_notes(roll)
    assert back.tolist() == [[0, 0, 4, LOWEST_PITCH + 10]]
