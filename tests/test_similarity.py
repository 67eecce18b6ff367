"""The similarity index: overlap maths, and its order on real chorales."""

from __future__ import annotations

import numpy as np
import pytest

from gan.data.locations import DATA_DIR
from gan.data.roll import VOICE_NAMES
from gan.evaluation.similarity import ceiling, feature_keys, features, overlap, similarity_index


def test_overlap_of_a_sample_with_itself_is_one():
    x = np.random.default_rng(0).normal(size=200)
    assert overlap(x, x, 0.1) == pytest.approx(1.0, abs=1e-9)


def test_overlap_of_far_apart_samples_is_zero():
    rng = np.random.default_rng(0)
    assert overlap(rng.normal(size=100), rng.normal(size=100) + 50, 0.1) < 1e-6


def test_overlap_of_two_gaussians_matches_the_closed_form():
    # N(0,1) vs N(1,1) overlap = 2 * Phi(-1/2) = 0.617
    rng = np.random.default_rng(1)
    got = overlap(rng.normal(size=4000), rng.normal(size=4000) + 1.0, 0.01)
    assert got == pytest.approx(0.617, abs=0.03)


def test_undefined_values_are_their_own_outcome():
    nan = np.full(10, np.nan)
    assert overlap(nan, nan, 0.1) == 1.0  # both always undefined (both silent)
    assert overlap(nan, np.zeros(10), 0.1) == 0.0
    half = np.array([np.nan] * 5 + [0.0] * 5)
    assert overlap(half, np.zeros(10), 0.1) == pytest.approx(0.5, abs=1e-6)


def test_feature_keys_score_only_generated_voices():
    unet = feature_keys("unet", VOICE_NAMES)
    muse = feature_keys("musegan", VOICE_NAMES)
    assert not any(k.endswith("/soprano") for k in unet)
    assert "pitch_range/soprano" in muse and "tonal_distance/soprano" not in muse
    # voice leading: 6 pairs x 2 parallels, 3 adjacent crossings, voices sounding,
    # repeated notes per written voice (onsets and range are already counted)
    assert len(unet) == 8 * 3 + 12 + 3 + 1 + 3 and len(muse) == 7 * 4 + 3 + 12 + 3 + 1 + 4
    assert "parallel_fifths/soprano-alto" in unet and "repeated_note_rate/soprano" not in unet
    assert not any(k.startswith(("onsets_per_bar", "voice_range")) for k in unet + muse)


@pytest.fixture(scope="module")
def chorales():
    if not (DATA_DIR / "chorale.npz").exists():
        pytest.skip("data/chorale.npz is not built yet (python data/build_dataset.py)")
    from gan.data.corpus import Corpus

    return Corpus.load(["chorale"], include_imports=False).segments(4)


def test_index_orders_real_chorales_above_corruptions(chorales):
    rng = np.random.default_rng(0)
    order = rng.permutation(len(chorales))
    held, rest = chorales[order[:64]], chorales[order[64:]]
    reference = features(rest)
    keys = feature_keys("unet", VOICE_NAMES)

    def index(rolls):
        value = similarity_index(features(rolls), reference, keys)[0]
        assert 0.0 <= value <= 1.0
        return value

    wrong_melody = held.copy()  # the real accompaniment under another piece's melody
    wrong_melody[:, 0] = held[np.roll(np.arange(len(held)), 1), 0]
    octaves = held.copy()  # every voice the melody an octave (or two) lower
    for t, down in ((1, 12), (2, 12), (3, 24)):
        octaves[:, t] = np.roll(held[:, 0], -down, axis=-1)
    random_notes = rng.random(held.shape) < (held > 0).mean()
    scores = {
        "held-out": index(held),
        "wrong melody": index(wrong_melody),
        "octave-copied melody": index(octaves),
        "random notes": index(random_notes),
        "silence": index(np.zeros_like(held)),
    }
    values = list(scores.values())
    assert values == sorted(values, reverse=True) and len(set(values)) == 5, scores
    assert scores["held-out"] > 0.9 and scores["silence"] < 0.01, scores
    # parallel octaves everywhere: the voice-leading features must see it
    assert scores["held-out"] - scores["octave-copied melody"] > 0.2, scores
    assert scores["held-out"] - scores["random notes"] > 0.5, scores

    top = ceiling(features(chorales), 64, keys)
    assert top == pytest.approx(scores["held-out"], abs=0.05)
