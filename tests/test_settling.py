"""When a score has settled, and its best epoch, on synthetic series."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gan.evaluation.settling import best_epoch, fit_trend, settling, t_critical


def noise(n, seed, scale=0.01):
    return scale * np.random.default_rng(seed).standard_normal(n)


def test_fit_trend_recovers_a_known_line():
    trend = fit_trend(np.arange(10), 0.5 + 0.02 * np.arange(10))
    assert trend.slope == pytest.approx(0.02) and trend.noise == pytest.approx(0.0, abs=1e-12)
    noisy = fit_trend(np.arange(200), 0.1 * np.arange(200) + noise(200, 0, scale=1.0))
    assert noisy.slope == pytest.approx(0.1, abs=4 * noisy.slope_se)
    assert noisy.noise == pytest.approx(1.0, abs=0.15)
    assert t_critical(6) == 1.943 and t_critical(11) == 1.812 and t_critical(500) == 1.645


def test_a_rising_score_has_not_settled():
    result = settling(np.linspace(0.4, 0.9, 30) + noise(30, 1))
    assert not result.settled and result.since_epoch is None
    assert result.slope == pytest.approx(0.5 / 29, rel=0.3)


def test_a_flat_noisy_score_has_settled_in_most_runs():
    outcomes = [settling(0.9 + noise(30, seed)) for seed in range(200)]
    share = np.mean([r.settled for r in outcomes])
    assert share > 0.75  # ~0.89 by construction (see the module notes)
    noises = [r.noise for r in outcomes]
    assert np.median(noises) == pytest.approx(0.01, rel=0.2)


def test_a_steady_decline_is_not_settled():
    falling = [settling(0.9 - 0.01 * np.arange(30) + noise(30, seed)).settled for seed in range(50)]
    assert not any(falling)


def test_rising_then_flat_settles_since_the_plateau():
    sinces = []
    for seed in range(50):
        scores = np.concatenate([np.linspace(0.3, 0.9, 20), 0.9 + noise(20, seed)])
        result = settling(scores)
        if result.settled:
            sinces.append(result.since_epoch)
    assert len(sinces) > 35
    assert 17 <= np.median(sinces) <= 22  # the plateau starts at epoch 20
    assert min(sinces) >= 16  # never back into the climb


def test_too_few_epochs_are_not_settled_and_epochs_can_be_given():
    short = settling([0.5, 0.6, 0.61])
    assert not short.settled and math.isnan(short.slope) and short.best_epoch == 3
    flat = settling([0.8] * 12, epochs=range(100, 112))
    assert flat.settled and flat.since_epoch == 100 and flat.slope == 0.0
    with pytest.raises(ValueError, match="epochs"):
        settling([0.1, 0.2], epochs=[1])


def test_best_epoch_ignores_a_single_lucky_epoch():
    scores = [0.5, 0.6, 0.7, 0.95, 0.7, 0.8, 0.85, 0.86, 0.85, 0.84]
    assert best_epoch(range(1, 11), scores) == (8, 0.86)
    assert settling(scores).best_epoch == 8
    # with no smoothing the spike wins
    assert best_epoch(range(1, 11), scores, smooth=1) == (4, 0.95)


def test_best_epoch_skips_unmeasured_epochs_and_prefers_the_later_of_equals():
    assert best_epoch([1, 2, 3, 4, 5], [np.nan, 0.5, np.nan, 0.7, 0.7]) == (5, 0.7)
    epoch, score = best_epoch([1, 2], [np.nan, np.nan])
    assert epoch is None and math.isnan(score)
