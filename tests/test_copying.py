"""Copying measures: shares worked out by hand, runs of copied bars on
hand-made pieces and on real chorale segments."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from gan.data.locations import DATA_DIR
from gan.data.roll import notes_to_roll
from gan.evaluation.copying import TrainingBars, copied_share

BAR = 16


def roll(notes, bars=1):
    return notes_to_roll(np.array(notes), bars * BAR)


def test_copied_share_counts_same_voice_step_and_pitch():
    # Real: alto C4 for a whole bar (16 note-steps). Generated: alto C4 for the
    # first half (8 shared) and D4 for the second half (8 not shared), tenor E4
    # a whole bar where the real tenor is silent (16 not shared): 8 / 32.
    real = roll([(0, 0, 16, 72), (1, 0, 16, 60)])
    gen = roll([(0, 0, 16, 72), (1, 0, 8, 60), (1, 8, 8, 62), (2, 0, 16, 64)])
    share = copied_share(gen[None], real[None])
    assert share.tolist() == [8 / 32]
    # the melody (voice 0) is not counted; the same piece is a full copy
    assert copied_share(real[None], real[None]).tolist() == [1.0]
    # the same notes in another voice are not copied note-steps
    moved = roll([(0, 0, 16, 72), (2, 0, 16, 60)])
    assert copied_share(moved[None], real[None]).tolist() == [0.0]
    # silence writes nothing: undefined, not "no copying"
    silent = roll([(0, 0, 16, 72)])
    assert math.isnan(copied_share(silent[None], real[None])[0])


def test_copied_share_ignores_how_notes_are_struck():
    held = roll([(1, 0, 16, 60)])
    restruck = roll([(1, 0, 8, 60), (1, 8, 8, 60)])
    assert copied_share(restruck[None], held[None]).tolist() == [1.0]
    with pytest.raises(ValueError, match="same shape"):
        copied_share(held[None], np.zeros((1, 4, 32, 84), dtype=np.int8))


def _bars(pitches):
    """A piece of one whole note per bar in the alto (melody silent)."""
    return roll([(1, b * BAR, BAR, p) for b, p in enumerate(pitches)], bars=len(pitches))


def test_longest_run_follows_consecutive_bars_of_one_piece():
    # Two training pieces, cut in 2-bar segments: A = C D E F, B = C G A B.
    a, b = _bars([60, 62, 64, 65]), _bars([60, 67, 69, 71])
    segments = np.stack([a[:, :32], a[:, 32:], b[:, :32], b[:, 32:]])
    index = TrainingBars(segments, [("A", 0), ("A", 2), ("B", 0), ("B", 2)])
    assert len(index) == 8

    runs = index.longest_runs(np.stack([
        _bars([62, 64, 65, 69]),  # A bars 1-3 (across A's segments), then B bar 2
        _bars([60, 67, 64, 65]),  # C is in both; C G = B 0-1; E F = A 2-3 -> 2
        _bars([65, 64, 62, 60]),  # every bar copied, in reverse order -> runs of 1
        _bars([61, 63, 66, 68]),  # nothing copied
        np.zeros_like(a),  # silence is not copying
    ]))
    assert runs.longest_run.tolist() == [3, 2, 1, 0, 0]
    assert runs.source[0] == "A" and runs.source[3] is None
    assert runs.copied_bars.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert runs.longest_share(4).tolist() == [0.75, 0.5, 0.25, 0.0, 0.0]


def test_only_the_compared_voices_matter():
    a = _bars([60, 62])
    index = TrainingBars(a[None], [("A", 0)], voices=(1, 2, 3))
    with_melody = a.copy()
    with_melody[0, :, 40] = 1  # another melody over the same accompaniment
    assert index.longest_runs(with_melody[None]).longest_run.tolist() == [2]
    extra_voice = a.copy()
    extra_voice[3, :, 30] = 1  # same alto, but a bass that the original lacks
    assert index.longest_runs(extra_voice[None]).longest_run.tolist() == [0]
    with pytest.raises(ValueError, match="sources"):
        TrainingBars(a[None], [("A", 0), ("A", 2)])


@pytest.fixture(scope="module")
def chorale_index():
    if not (DATA_DIR / "chorale.npz").exists():
        pytest.skip("data/chorale.npz is not built yet (python data/build_dataset.py)")
    from gan.data.corpus import Corpus

    corpus = Corpus.load(["chorale"], include_imports=False)
    segments, sources = corpus.segments(4), corpus.segment_sources(4)
    return segments, sources, TrainingBars(segments, sources)


def test_real_copies_are_found_and_transposed_or_shuffled_ones_are_not(chorale_index):
    segments, sources, index = chorale_index
    rng = np.random.default_rng(0)
    picks = rng.choice(len(segments), size=64, replace=False)
    copies = segments[picks]
    runs = index.longest_runs(copies)
    assert (runs.longest_run == 4).all()
    assert runs.source == [sources[i][0].name for i in picks]

    transposed = np.roll(copies, 2, axis=-1)  # up a whole tone
    assert index.longest_runs(transposed).longest_run.max() <= 1
    shuffled = copies.copy()  # accompaniment voices from other pieces
    for t in (1, 2, 3):
        shuffled[:, t] = copies[rng.permutation(len(copies)), t]
    assert np.median(index.longest_runs(shuffled).longest_run) == 0
    reversed_bars = copies.reshape(64, 4, 4, BAR, 84)[:, :, ::-1].reshape(copies.shape)
    assert index.longest_runs(reversed_bars).longest_run.max() <= 2  # a repeated bar at most


def test_runs_cross_segment_boundaries_of_one_piece(chorale_index):
    segments, sources, index = chorale_index
    # two segments of one piece that follow each other: bars 2-3 of the first
    # and 0-1 of the second are four consecutive bars of that piece
    k = next(i for i in range(len(sources) - 1)
             if sources[i + 1][0] is sources[i][0] and sources[i + 1][1] == sources[i][1] + 4)
    joined = np.concatenate([segments[k][:, 2 * BAR:], segments[k + 1][:, :2 * BAR]], axis=1)
    assert index.longest_runs(joined[None]).longest_run.tolist() == [4]


def test_an_epoch_end_batch_is_checked_quickly(chorale_index):
    segments, _, index = chorale_index
    generated = segments[np.random.default_rng(1).choice(len(segments), 256)]
    start = time.perf_counter()
    index.longest_runs(generated)
    copied_share(generated, generated)
    assert time.perf_counter() - start < 1.0  # ~0.02 s on 2 cores
