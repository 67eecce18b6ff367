"""The similarity index: how close generated pieces are to the training set.

For each feature (a metric of one voice or voice pair: gan.evaluation.metrics
and the voice-leading metrics of gan.evaluation.voice_leading) we estimate its
distribution over the generated pieces and over the real pieces with a
Gaussian kernel density on a shared grid, and take the overlapping area
(integral of the pointwise minimum: 1 = same distribution, 0 = disjoint).
An undefined value (e.g. the pitch range of a silent voice) is its own
outcome with its own probability mass, so silence scores 0 against music
that is rarely silent. The index is the mean overlap over the features.

The ceiling is the same index between two disjoint sets of real pieces
(held-out real vs the rest): the best a generator can expect with this many
samples.
"""

from __future__ import annotations

import numpy as np

from gan.evaluation import voice_leading
from gan.evaluation.metrics import METRICS, piece_metrics

# Smallest kernel width per metric, in the metric's own unit: below the
# metric's resolution a distribution of near-constant values (polyphony of
# chorale voices is always 0) would get a spike that any tiny change misses.
MIN_BANDWIDTH = {
    "empty_bar_rate": 0.05, "pitch_classes_per_bar": 0.2, "qualified_note_rate": 0.03,
    "polyphony": 0.02, "in_scale_ratio": 0.02, "pitch_range": 1.0, "note_density": 0.3,
    "tonal_distance": 0.03,
    **voice_leading.MIN_BANDWIDTH,
}
GRID_POINTS = 256


def overlap(generated: np.ndarray, reference: np.ndarray, min_bandwidth: float) -> float:
    """Overlapping area of two 1-D samples' distributions, in [0, 1]."""
    gen = np.asarray(generated, dtype=float)
    ref = np.asarray(reference, dtype=float)
    if gen.size == 0 or ref.size == 0:
        raise ValueError("overlap needs at least one value on each side")
    gen_nan, ref_nan = np.isnan(gen), np.isnan(ref)
    area = min(gen_nan.mean(), ref_nan.mean())  # both undefined: that mass overlaps
    gen, ref = gen[~gen_nan], ref[~ref_nan]
    if gen.size == 0 or ref.size == 0:
        return float(area)
    # Scott's rule on the real values at the smaller sample size, so both
    # sides are smoothed alike and small generated sets are not penalised.
    bandwidth = max(min_bandwidth, 1.06 * ref.std() * min(gen.size, ref.size) ** -0.2)
    lo = min(gen.min(), ref.min()) - 4 * bandwidth
    hi = max(gen.max(), ref.max()) + 4 * bandwidth
    grid = np.linspace(lo, hi, GRID_POINTS)
    step = grid[1] - grid[0]

    def density(values: np.ndarray, mass: float) -> np.ndarray:
        d = np.exp(-0.5 * ((grid[:, None] - values[None, :]) / bandwidth) ** 2).sum(1)
        return d / (d.sum() * step) * mass

    p = density(gen, 1.0 - gen_nan.mean())
    q = density(ref, 1.0 - ref_nan.mean())
    return float(area + np.minimum(p, q).sum() * step)


# Voice-leading metrics that measure what a music metric already does (for
# single-line voices): counted once in the index.
_SAME_AS_METRICS = ("onsets_per_bar", "voice_range")  # note_density, pitch_range


def features(rolls: np.ndarray) -> dict[str, np.ndarray]:
    """Every feature of every piece: the music metrics, the voice-leading
    metrics and their totals over voice pairs (``"parallel_fifths/all"``,
    for charts), ``"<metric>/<voice or pair>"`` -> (n,) values."""
    leading = voice_leading.voice_leading_metrics(rolls)
    return {**piece_metrics(rolls), **leading, **voice_leading.pair_totals(leading)}


def feature_keys(architecture: str, voices: tuple[str, ...]) -> list[str]:
    """Features the index averages: every metric of every voice the model
    writes, and every voice-leading metric that involves one.

    The accompaniment model copies the melody, so the melody's own metrics
    would always match; only the three voices it writes (and their pairs,
    with each other and with the melody) are scored.
    """
    scored = voices[1:] if architecture == "unet" else voices
    keys = []
    for metric in METRICS:
        for voice in scored:
            if metric == "tonal_distance" and voice == voices[0]:
                continue  # distance of the melody to itself
            keys.append(f"{metric}/{voice}")
    keys += [k for k in voice_leading.feature_keys(architecture, len(voices))
             if k.split("/")[0] not in _SAME_AS_METRICS]
    return keys


def similarity_index(generated: dict[str, np.ndarray], reference: dict[str, np.ndarray],
                     keys: list[str] | None = None) -> tuple[float, dict[str, float]]:
    """(index, overlap per feature) between two ``piece_metrics`` results."""
    keys = list(keys) if keys is not None else [k for k in reference if k in generated]
    per_feature = {k: overlap(generated[k], reference[k], MIN_BANDWIDTH[k.split("/")[0]]) for k in keys}
    index = float(np.mean(list(per_feature.values()))) if per_feature else float("nan")
    return index, per_feature


def rolls_similarity(generated_rolls: np.ndarray, reference_rolls: np.ndarray,
                     architecture: str = "unet") -> float:
    """Convenience: the index between two sets of rolls."""
    from gan.data.roll import VOICE_NAMES

    gen = features(generated_rolls)
    ref = features(reference_rolls)
    return similarity_index(gen, ref, feature_keys(architecture, VOICE_NAMES))[0]


def subset(features: dict[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[index] for k, v in features.items()}


def ceiling(features: dict[str, np.ndarray], n_samples: int, keys: list[str],
            seed: int = 0) -> float:
    """Index of ``n_samples`` held-out real pieces against the other real pieces."""
    n = len(next(iter(features.values())))
    if n < 2:
        return float("nan")
    held = min(n_samples, n // 2)
    order = np.random.default_rng(seed).permutation(n)
    return similarity_index(subset(features, order[:held]), subset(features, order[held:]), keys)[0]
