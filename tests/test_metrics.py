"""Each music metric on a hand-made roll whose answer is worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gan.evaluation.metrics import METRICS, piece_metrics, summarize
from gan.data.roll import notes_to_roll

C5, D5, E5, F5 = 72, 74, 76, 77
C4, E4, G4, A4 = 60, 64, 67, 69
C3, FS2 = 48, 42


def hand_made() -> np.ndarray:
    """Two bars. Soprano: C D E F quarters in bar 1, bar 2 silent.
    Alto: C4+E4 whole-note chord, then four 16ths G A G A. Tenor: silent.
    Bass: C3 whole note, then an F#2 eighth."""
    notes = [(0, 0, 4, C5), (0, 4, 4, D5), (0, 8, 4, E5), (0, 12, 4, F5),
             (1, 0, 16, C4), (1, 0, 16, E4),
             (1, 16, 1, G4), (1, 17, 1, A4), (1, 18, 1, G4), (1, 19, 1, A4),
             (3, 0, 16, C3), (3, 16, 2, FS2)]
    return notes_to_roll(np.array(notes), 32)[None]


@pytest.fixture(scope="module")
def m():
    return {k: v[0] for k, v in piece_metrics(hand_made()).items()}


def test_empty_bar_rate_counts_silent_bars_not_full_ones(m):
    assert m["empty_bar_rate/soprano"] == 0.5
    assert m["empty_bar_rate/alto"] == 0.0
    assert m["empty_bar_rate/tenor"] == 1.0  # a silent voice is all empty bars


def test_pitch_classes_per_bar(m):
    assert m["pitch_classes_per_bar/soprano"] == 4.0  # only the non-empty bar counts
    assert m["pitch_classes_per_bar/alto"] == 2.0  # {C, E} then {G, A}
    assert m["pitch_classes_per_bar/bass"] == 1.0
    assert math.isnan(m["pitch_classes_per_bar/tenor"])


def test_chroma_folds_octaves_onto_pitch_classes():
    # C1 + C2 is one pitch class; C1 + C#1 is two (a wrong reshape gets this wrong)
    octaves = notes_to_roll(np.array([(0, 0, 4, 24), (0, 0, 4, 36)]), 16)[None]
    semitone = notes_to_roll(np.array([(0, 0, 4, 24), (0, 0, 4, 25)]), 16)[None]
    tritones = notes_to_roll(np.array([(0, 0, 4, 30), (0, 0, 4, 36), (0, 0, 4, 102)]), 16)[None]
    assert piece_metrics(octaves)["pitch_classes_per_bar/soprano"][0] == 1
    assert piece_metrics(semitone)["pitch_classes_per_bar/soprano"][0] == 2
    assert piece_metrics(tritones)["pitch_classes_per_bar/soprano"][0] == 2  # F#1, C2, F#7


def test_qualified_note_rate(m):
    assert m["qualified_note_rate/soprano"] == 1.0  # quarters
    assert m["qualified_note_rate/alto"] == pytest.approx(2 / 6)  # two whole notes, four 16ths
    assert m["qualified_note_rate/bass"] == 1.0  # a whole note and an eighth: both last 2+ steps


def test_a_repeated_sixteenth_is_a_short_note_and_a_held_note_is_not():
    roll = notes_to_roll(np.array([(0, 0, 1, 60), (0, 1, 4, 60), (0, 5, 1, 62)]), 16)[None]
    out = piece_metrics(roll)
    assert out["note_density/soprano"][0] == 3.0
    assert out["qualified_note_rate/soprano"][0] == pytest.approx(1 / 3)


def test_polyphony(m):
    assert m["polyphony/soprano"] == 0.0
    assert m["polyphony/alto"] == pytest.approx(16 / 20)  # chord steps / sounding steps


def test_in_scale_ratio_uses_the_best_fitting_key(m):
    assert m["in_scale_ratio/soprano"] == 1.0
    assert m["in_scale_ratio/alto"] == 1.0
    assert m["in_scale_ratio/bass"] == pytest.approx(16 / 18)  # the F# is outside C major


def test_in_scale_ratio_finds_a_minor_key():
    # A harmonic minor: A B C D E F G#; the G# rules out C major
    pcs = [69, 71, 72, 74, 76, 77, 80]
    roll = notes_to_roll(np.array([(0, 4 * i, 4, p) for i, p in enumerate(pcs)]), 32)[None]
    assert piece_metrics(roll)["in_scale_ratio/soprano"][0] == 1.0


def test_pitch_range_and_note_density(m):
    assert m["pitch_range/soprano"] == F5 - C5
    assert m["pitch_range/alto"] == A4 - C4
    assert m["pitch_range/bass"] == C3 - FS2
    assert math.isnan(m["pitch_range/tenor"])
    assert m["note_density/soprano"] == 2.0  # 4 notes in 2 bars
    assert m["note_density/alto"] == 3.0
    assert m["note_density/tenor"] == 0.0


def test_repeated_notes_count_as_separate_notes():
    roll = notes_to_roll(np.array([(0, 0, 4, 60), (0, 4, 4, 60)]), 16)[None]
    assert piece_metrics(roll)["note_density/soprano"][0] == 2.0


def test_tonal_distance_to_melody():
    # soprano C, alto C (same chroma: 0), tenor G, bass silent
    roll = notes_to_roll(np.array([(0, 0, 16, 72), (1, 0, 16, 60), (2, 0, 16, 55)]), 16)[None]
    out = piece_metrics(roll)
    assert out["tonal_distance/alto"][0] == pytest.approx(0.0, abs=1e-12)
    # Worked by hand from Harte et al.'s centroid: C = (0, 1, 0, 1, 0, .5),
    # G = (.5, sqrt(3)/2, 1, 0, sqrt(3)/4, -.25)
    assert out["tonal_distance/tenor"][0] == pytest.approx(1.7372, abs=1e-4)
    assert math.isnan(out["tonal_distance/bass"][0])
    assert "tonal_distance/soprano" not in out


def test_summarize_means_over_pieces_and_voices():
    rolls = np.concatenate([hand_made(), np.zeros_like(hand_made())])
    s = summarize(piece_metrics(rolls))
    assert s["empty_bar_rate/soprano"] == pytest.approx((0.5 + 1.0) / 2)
    assert s["pitch_range/soprano"] == 5.0  # the silent piece's NaN is left out
    assert set(METRICS) <= set(s)
    assert s["note_density"] == pytest.approx(np.mean([1.0, 1.5, 0.0, 0.5]))


def test_refuses_rolls_that_are_not_whole_bars():
    with pytest.raises(ValueError, match="whole bars"):
        piece_metrics(np.zeros((1, 4, 20, 84), dtype=bool))
