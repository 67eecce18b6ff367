"""Writing notes out like the genre (gan.models.part_writing), on hand-made
four-voice pieces with known parallels."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gan.evaluation.voice_leading import voice_leading_metrics
from gan.models.part_writing import FIFTH, OCTAVE, UNDO_ALL, PartWriting, avoided
from gan.models.rewriting import (
    avoid_crossings,
    avoid_parallels,
    parallel_at,
    pitch_lines,
)

ROWS = 48


def piece(*voices) -> np.ndarray:
    """Note-state roll (4, steps, ROWS) from each voice's [(row, steps), ...]."""
    steps = sum(d for _, d in voices[0])
    roll = np.zeros((len(voices), steps, ROWS), dtype=np.int8)
    for v, notes in enumerate(voices):
        t = 0
        for row, length in notes:
            roll[v, t:t + length, row] = 1
            roll[v, t, row] = 2
            t += length
    return roll


def scores_for(roll: np.ndarray, fixed: int = 1, second: dict | None = None) -> np.ndarray:
    """Log probabilities that like the written notes best and, where
    ``second`` says (voice -> row), that row next; everything else less."""
    n_voices, steps, _ = roll.shape
    scores = np.full((n_voices - fixed, steps, ROWS), -20.0)
    for v in range(fixed, n_voices):
        pitch = (roll[v] > 0).argmax(-1)
        scores[v - fixed, np.arange(steps), pitch] = -0.1
        if second and v in second:
            scores[v - fixed, :, second[v]] = -2.0
    return scores


def parallels(roll: np.ndarray, kind: str) -> float:
    metrics = voice_leading_metrics(roll[None])
    return float(sum(np.nansum(v) for k, v in metrics.items() if k.startswith(f"parallel_{kind}/")))


# soprano, alto, tenor, bass: alto and tenor move up a step in parallel fifths
SOPRANO = [(40, 8), (40, 8)]
ALTO = [(35, 8), (37, 8)]
TENOR = [(28, 8), (30, 8)]
BASS = [(16, 8), (21, 8)]


def test_an_inner_voice_gives_way_to_break_parallel_fifths():
    roll = piece(SOPRANO, ALTO, TENOR, BASS)
    assert parallels(roll, "fifths") > 0
    out = avoid_parallels(roll[None], scores_for(roll, second={1: 33, 2: 32})[None])[0]
    assert parallels(out, "fifths") == 0 and parallels(out, "octaves") == 0
    assert np.array_equal(out[0], roll[0]) and np.array_equal(out[3], roll[3])  # melody, bass kept
    # the alto (the upper inner voice) took the composer's second choice for its second note
    assert (out[1, 8:] > 0).argmax(-1).tolist() == [33] * 8
    assert np.array_equal(out[2], roll[2])
    assert np.array_equal((out == 2).any(-1), (roll == 2).any(-1))  # the rhythm is untouched


def test_the_melody_never_changes_the_bass_gives_way():
    # melody and bass in parallel octaves (two octaves apart), inner voices still
    roll = piece([(40, 8), (42, 8)], [(36, 16)], [(31, 16)], [(16, 8), (18, 8)])
    assert parallels(roll, "octaves") > 0
    out = avoid_parallels(roll[None], scores_for(roll, second={3: 14})[None])[0]
    assert parallels(out, "octaves") == 0
    assert np.array_equal(out[0], roll[0])
    assert (out[3, 8:] > 0).argmax(-1).tolist() == [14] * 8


def test_a_parallel_stays_when_the_composer_offers_no_other_note():
    roll = piece(SOPRANO, ALTO, TENOR, BASS)
    out = avoid_parallels(roll[None], scores_for(roll)[None], choices=1)[0]
    assert np.array_equal(out, roll)


def test_only_the_intervals_asked_for_are_rewritten():
    roll = piece(SOPRANO, ALTO, TENOR, BASS)
    out = avoid_parallels(roll[None], scores_for(roll, second={1: 33})[None], intervals=(OCTAVE,))[0]
    assert np.array_equal(out, roll)


def test_no_replacement_makes_a_repeated_note_or_a_crossing():
    roll = piece(SOPRANO, ALTO, TENOR, BASS)
    # the alto's only alternatives: its own previous pitch (a repeat), or above the soprano
    scores = scores_for(roll)
    scores[0, :, 35] = -1.0
    scores[0, :, 44] = -1.5
    scores[1, :, 26] = -3.0  # the tenor may go down instead
    out = avoid_parallels(roll[None], scores[None])[0]
    assert parallels(out, "fifths") == 0
    assert np.array_equal(out[1], roll[1])  # the alto kept its note
    assert (out[2, 8:] > 0).argmax(-1).tolist() == [26] * 8


def test_genres_avoid_what_their_real_music_avoids():
    assert avoided({FIFTH: 0.002, OCTAVE: 0.001}) == (OCTAVE, FIFTH)  # chorales
    assert avoided({FIFTH: 0.004, OCTAVE: 0.18}) == (FIFTH,)  # quartets double in octaves


def test_rules_survive_a_checkpoint_and_can_be_switched_off(tmp_path):
    from gan.config import preset
    from gan.training.inference import load_generator
    from gan.training.loop import train
    from tests.test_train import synthetic_segments

    data = synthetic_segments()
    assert PartWriting.from_dict(PartWriting((FIFTH,)).to_dict()) == PartWriting((FIFTH,))
    assert PartWriting.from_dict(None) is None
    both = PartWriting((FIFTH,), restrike=(1.0, 0.25, 0.5), onset_shift=(-0.5, 0.0, 1.25),
                       uncross=(0.0, 3.5, UNDO_ALL), octave=(0.0, 0.5, 1.0))
    assert PartWriting.from_dict(both.to_dict()) == both
    # before 2026-12-08 a pair was uncrossed wholly or not at all
    assert PartWriting.from_dict({"avoid": [FIFTH], "uncross": [False, True, False]}).uncross == \
        (0.0, UNDO_ALL, 0.0)
    assert PartWriting.from_dict({"avoid": [FIFTH]}) == PartWriting((FIFTH,))  # an older checkpoint
    cfg = dataclasses.replace(preset("smoke", "unet"), epochs=1, reconstruction_weight=3.0)
    result = train(cfg, data, lambda e: None, run_dir=tmp_path / "on")
    assert result.status == "completed", result.reason
    model, _ = load_generator(tmp_path / "on" / "checkpoints" / "latest.pt")
    # strengths fitted per voice
    assert model.part_writing.avoid == PartWriting.for_music(data).avoid
    assert len(model.part_writing.restrike) == 3
    assert all(0.0 <= x <= 1.0 for x in model.part_writing.restrike)
    assert len(model.part_writing.onset_shift) == 3
    assert all(-6.0 <= x <= 6.0 for x in model.part_writing.onset_shift)
    assert len(model.part_writing.octave) == 3
    assert all(0.0 <= x <= 1.0 for x in model.part_writing.octave)
    critic_only = dataclasses.replace(cfg, reconstruction_weight=0.0)
    result = train(critic_only, data, lambda e: None, run_dir=tmp_path / "critic_only")
    assert result.status == "completed", result.reason
    model, _ = load_generator(tmp_path / "critic_only" / "checkpoints" / "latest.pt")
    # the critic alone: the same rules, fitted to its own maps
    rules = model.part_writing
    assert dataclasses.replace(rules, restrike=(), onset_shift=(), uncross=(), octave=()) == \
        PartWriting.for_music(data)
    assert len(rules.restrike) == len(rules.onset_shift) == len(rules.uncross) == len(rules.octave) == 3
    result = train(dataclasses.replace(cfg, part_writing=0), data, lambda e: None, run_dir=tmp_path / "off")
    assert result.status == "completed", result.reason
    model, _ = load_generator(tmp_path / "off" / "checkpoints" / "latest.pt")
    assert model.part_writing is None


def random_pieces(seed: int, n: int = 48, steps: int = 32) -> np.ndarray:
    """Random lines, each voice in its own band, notes of 2, 4 or 8 steps."""
    rng = np.random.default_rng(seed)
    bands = [(32, 46), (22, 34), (12, 24), (0, 14)]
    rolls = np.zeros((n, 4, steps, ROWS), dtype=np.int8)
    for i in range(n):
        for v, (lo, hi) in enumerate(bands):
            t = 0
            while t < steps:
                length = int(rng.choice([2, 4, 8]))
                row = int(rng.integers(lo, hi))
                rolls[i, v, t:t + length, row] = 1
                rolls[i, v, t, row] = 2
                t += length
    return rolls


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_pieces_lose_their_avoided_parallels_and_keep_their_rhythm(seed):
    """Random lines and random composer scores: no piece gains a parallel,
    the pieces together lose some, the melody is kept and onsets never move."""
    rolls = random_pieces(seed)
    rng = np.random.default_rng(seed)
    scores = np.log(rng.dirichlet(np.ones(ROWS), size=(len(rolls), 3, rolls.shape[2])))
    out = avoid_parallels(rolls, scores, choices=ROWS)
    before, after = per_piece_parallels(rolls), per_piece_parallels(out)
    assert (after <= before).all() and after.sum() < before.sum()
    assert np.array_equal((out == 2).any(-1), (rolls == 2).any(-1))
    assert np.array_equal(out[:, 0], rolls[:, 0])


@pytest.mark.parametrize("intervals,kinds", [((FIFTH,), ("fifths",)), ((OCTAVE,), ("octaves",)),
                                             ((FIFTH, OCTAVE), ("fifths", "octaves"))])
def test_the_step_by_step_check_counts_what_the_metric_counts(intervals, kinds):
    """The rewriting finds parallels one step at a time; the metric counts
    them for whole pieces (gan.evaluation.voice_leading). The two must agree,
    or the rules rewrite what is no parallel (as a fifth moving into an
    octave once was) or miss what the metric counts."""
    rolls = random_pieces(3, n=64)
    bars = rolls.shape[2] // 16
    for roll in rolls:
        p = pitch_lines(roll)
        found = sum(parallel_at(p, a, b, t, intervals)
                    for a in range(4) for b in range(a + 1, 4) for t in range(1, p.shape[1]))
        assert found == round(sum(parallels(roll, kind) for kind in kinds) * bars)


def per_piece_parallels(rolls: np.ndarray) -> np.ndarray:
    metrics = voice_leading_metrics(rolls)
    return sum(np.nan_to_num(v) for k, v in metrics.items() if k.startswith("parallel_"))


def test_a_fifth_moving_into_an_octave_is_left_alone():
    """Soprano 40 -> 38 over bass 21 -> 14: a fifth (19 semitones) into a
    double octave, in similar motion, is not a parallel: seen rewritten
    at the cadence of a generated chorale before this was fixed."""
    roll = piece([(40, 8), (38, 8)], [(37, 8), (33, 8)], [(31, 8), (30, 8)], [(21, 8), (14, 8)])
    assert parallels(roll, "fifths") == 0 and parallels(roll, "octaves") == 0
    out = avoid_parallels(roll[None], scores_for(roll, second={3: 26})[None])[0]
    assert np.array_equal(out, roll)


def test_a_replacement_never_doubles_a_neighbour_in_unison():
    """The alto's second choice would sound in unison with the tenor's next
    note while it holds: refused (seen in a generated chorale's rolls), so
    the tenor's own second choice breaks the fifths instead."""
    roll = piece(SOPRANO, [(35, 8), (37, 8)], [(28, 8), (30, 4), (33, 4)], BASS)
    scores = scores_for(roll, second={1: 33, 2: 26})
    out = avoid_parallels(roll[None], scores[None])[0]
    assert parallels(out, "fifths") == 0
    assert np.array_equal(out[1], roll[1])
    assert (out[2, 8:12] > 0).argmax(-1).tolist() == [26] * 4


def test_with_no_given_melody_the_top_voice_gives_way_last():
    """MuseGAN writes all four voices: soprano and alto in parallel octaves,
    both free to change, and the alto does."""
    roll = piece([(40, 8), (42, 8)], [(28, 8), (30, 8)], [(22, 16)], [(10, 16)])
    assert parallels(roll, "octaves") > 0
    out = avoid_parallels(roll[None], scores_for(roll, fixed=0, second={0: 43, 1: 31})[None], fixed=0)[0]
    assert parallels(out, "octaves") == 0
    assert np.array_equal(out[0], roll[0]) and (out[1, 8:] > 0).argmax(-1).tolist() == [31] * 8


def test_restrike_strengths_make_the_voices_repeat_as_often_as_asked():
    """Random note probabilities: fitted strengths bring each voice's
    repeated-note rate to the rate asked for, within the bisection's
    resolution; a rate that even full strength cannot reach gives 1, one
    above the plain choice's gives 0."""
    import torch

    from gan.evaluation.voice_leading import repeated_note_rate
    from gan.models import notes
    from gan.models.part_writing import fit_restrike

    torch.manual_seed(0)
    n, v, T, P = 64, 3, 32, 7
    choice = torch.softmax(torch.randn(n, v, T, P + 1) * 1.5, -1)
    choice[..., 0] *= 0.1  # few rests
    choice = choice / choice.sum(-1, keepdim=True)
    probs = notes.NoteProbs(choice[..., 1:], torch.rand(n, v, T, 1), choice[..., 0], choice, choice)

    def rates(strengths):
        return np.nanmean(repeated_note_rate(notes.decide(probs, True, strengths)[1].numpy()), 0)

    plain, full = rates((0.0,) * v), rates((1.0,) * v)
    assert (full < plain - 0.05).all()  # the correction matters here
    middle = (plain + full) / 2
    fitted = fit_restrike(probs, [middle[0], full[1] / 2, plain[2] + 0.1], steps=10)
    assert 0.0 < fitted[0] < 1.0 and abs(rates(fitted)[0] - middle[0]) < 0.03
    assert fitted[1] == 1.0  # fewer repeats than even the full correction leaves
    assert fitted[2] < 0.01  # more repeats than the plain choice makes


def test_octave_strengths_make_the_voices_leap_octaves_as_often_as_asked():
    """Random note probabilities with a second likely pitch an octave above
    the first: fitted octave strengths bring each voice's octave-leap rate
    down to the rate asked for; a rate the plain re-strike already stays
    under gives 0."""
    import torch

    from gan.evaluation.voice_leading import octave_leap_rate
    from gan.models import notes
    from gan.models.part_writing import fit_octaves

    torch.manual_seed(1)
    n, v, T, P = 64, 3, 32, 20
    low = torch.softmax(torch.randn(n, v, T, 8) * 1.5, -1)
    frames = torch.zeros(n, v, T, P)
    frames[..., :8] = 0.52 * low
    frames[..., 12:20] = 0.48 * low  # every pitch's octave is a likely second choice
    rest = torch.full((n, v, T), 0.02)
    probs = notes.NoteProbs(frames, torch.rand(n, v, T, 1), rest, frames, frames)
    restrike = (1.0,) * v

    def rates(octave):
        _, starts = notes.decide(probs, True, restrike, (), octave)
        return np.nanmean(octave_leap_rate(starts.numpy()), 0)

    none, full = rates((0.0,) * v), rates((1.0,) * v)
    assert (full < none - 0.05).all()  # the strength matters here
    middle = (none + full) / 2
    fitted = fit_octaves(probs, [middle[0], middle[1], none[2] + 0.02], restrike, steps=10)
    assert 0.0 < fitted[0] < 1.0 and abs(rates(fitted)[0] - middle[0]) < 0.03
    assert abs(rates(fitted)[1] - middle[1]) < 0.03
    assert fitted[2] == 0.0  # fewer octave leaps than asked for already


def test_onset_shifts_make_the_voices_strike_as_many_notes_as_asked():
    """Random note probabilities: fitted shifts bring each voice's notes per
    bar to the rate asked for; a rate no shift reaches keeps the bound."""
    import torch

    from gan.models import notes
    from gan.models.part_writing import fit_onsets

    torch.manual_seed(1)
    n, v, T, P = 64, 3, 32, 7
    choice = torch.softmax(torch.randn(n, v, T, P + 1), -1)
    choice[..., 0] *= 0.05  # few rests
    choice = choice / choice.sum(-1, keepdim=True)
    onsets = torch.sigmoid(torch.randn(n, v, T, 1) * 2 - 1)
    probs = notes.NoteProbs(choice[..., 1:], onsets, choice[..., 0], choice, torch.logit(onsets))

    def per_bar(shift):
        return notes.decide(probs, True, onset_shift=shift)[1].sum((-1, -2)).double().mean(0).numpy() / 2

    plain = per_bar((0.0,) * v)
    asked = [plain[0] * 1.3, plain[1] * 0.7, 100.0]
    fitted = fit_onsets(probs, asked)
    got = per_bar(fitted)
    assert fitted[0] < 0 < fitted[1]  # more notes: a lower bar; fewer: a higher one
    assert abs(got[0] - asked[0]) < 0.05 * asked[0] and abs(got[1] - asked[1]) < 0.05 * asked[1]
    assert fitted[2] == pytest.approx(-6.0, abs=0.01)  # more notes than steps: the bound


def test_a_crossing_is_uncrossed_for_the_whole_note_that_gives_way():
    """The tenor's second note (30, from step 8) rises above the alto's 28,
    held for all 16 steps. The alto, an inner voice, gives way first: its
    whole note moves to the composer's next choice that is above the tenor
    throughout (33), not to a likelier one under it (29), and not only for
    the crossed half. Onsets never move; the melody is kept."""
    roll = piece([(40, 16)], [(28, 16)], [(24, 8), (30, 8)], [(12, 16)])
    scores = scores_for(roll)
    scores[0, :, 33] = -1.0
    scores[0, :, 29] = -0.5
    out = avoid_crossings(roll[None], scores[None], 1, (FIFTH, OCTAVE), (0.0, np.inf, 0.0))[0]
    lines = pitch_lines(out)
    assert lines[1].tolist() == [33] * 16
    assert lines[2].tolist() == [24] * 8 + [30] * 8
    assert np.array_equal((out == 2).any(-1), (roll == 2).any(-1))
    assert np.array_equal(out[0], roll[0])
    # pairs not asked for keep their crossings
    assert np.array_equal(avoid_crossings(roll[None], scores[None], 1, (FIFTH,), (np.inf, 0.0, np.inf))[0],
                          roll)
    # the alto's move costs it 14.4 of log probability (16 x -0.1 -> 16 x -1.0),
    # any of the tenor's far more: a margin under that keeps the crossing
    assert np.array_equal(avoid_crossings(roll[None], scores[None], 1, (FIFTH,), (0.0, 14.0, 0.0))[0], roll)
    assert pitch_lines(avoid_crossings(roll[None], scores[None], 1, (FIFTH,), (0.0, 14.5, 0.0))[0])[1, 0] == 33


def test_uncross_margins_bring_a_pair_to_the_genres_crossings_keeping_the_surest():
    """16 one-bar pieces, each with the tenor crossing above the alto once
    (the case above), where moving the alto costs 1, 2, ... 16 of log
    probability. Asked for half as many crossings, the fitted margin undoes
    the cheapest half and keeps the crossings the composer is surest of; a
    pair crossing no more than asked keeps all of them (margin 0); one
    asked for none, all."""
    from gan.evaluation.voice_leading import voice_leading_metrics
    from gan.models.part_writing import fit_uncross, neighbour_crossings

    roll = piece([(40, 16)], [(28, 16)], [(24, 8), (30, 8)], [(12, 16)])
    pieces = np.stack([roll] * 16)
    scores = np.stack([scores_for(roll)] * 16)
    for i in range(16):
        scores[i, 0, :, 33] = (-1.6 - (i + 1)) / 16  # the alto's way out costs i + 1 over the note
    probs = np.exp(scores)
    generated = neighbour_crossings(voice_leading_metrics(pieces))
    assert generated.tolist() == [0.0, 1.0, 0.0]

    margins = fit_uncross(pieces, probs, 1, (FIFTH, OCTAVE), generated, np.array([0.0, 0.5, 0.0]))
    assert margins[0] == margins[2] == 0.0 and 7.0 <= margins[1] <= 9.0
    out = avoid_crossings(pieces, scores, 1, (FIFTH, OCTAVE), margins)
    moved = [pitch_lines(x)[1, 0] == 33 for x in out]
    assert moved == [i + 1 <= margins[1] for i in range(16)]  # the cheapest ones
    assert sum(moved) == 8  # half: the least margin found to get there
    assert fit_uncross(pieces, probs, 1, (FIFTH,), generated, generated) == (0.0, 0.0, 0.0)
    everything = fit_uncross(pieces, probs, 1, (FIFTH,), generated, np.zeros(3))
    assert everything[1] >= 16.0


def test_a_note_that_gives_way_neither_repeats_nor_leaps_an_octave_from_its_neighbours():
    """The bass's second note (21, after 16) may not take its own pitch, 16
    again, 28 (an octave above the 16 before it) or 30 (in unison with the
    tenor); 19 and 18 it may. Giving way by octave leaps made the
    critic-alone `lab` inner voices leap octaves more often still."""
    from gan.models.rewriting import _candidates

    lines = pitch_lines(piece(SOPRANO, ALTO, TENOR, BASS))
    assert _candidates(lines, 3, 8, 15, [28, 21, 30, 16, 19, 4, 18]) == [19, 18]
