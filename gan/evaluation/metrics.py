"""Music metrics of piano rolls, per piece and per voice (numpy only).

``piece_metrics(rolls)`` maps ``"<metric>/<voice>"`` to one value per piece
(NaN where a metric is undefined, e.g. the pitch range of a silent voice);
``summarize`` turns that into the means shown in the window, plus an overall
``"<metric>"`` (mean over voices). Rolls are note-state rolls (exact onsets,
see gan.data.roll) or plain bool rolls (each run of steps one note).
Definitions (a roll step is a 16th note):

- empty_bar_rate: fraction of bars in which the voice plays nothing
  (1.0 = silent; the hosted console had this inverted).
- pitch_classes_per_bar: distinct pitch classes used in a bar, mean over the
  voice's non-empty bars.
- qualified_note_rate: fraction of the voice's notes lasting at least two
  roll steps (an eighth or longer: 16th fragments do not count).
- polyphony: fraction of the voice's sounding steps with two or more pitches
  at once (0 for a single line, as chorale voices are).
- in_scale_ratio: fraction of the voice's note-steps inside the piece's
  best-fitting scale among 24 keys (12 major, 12 harmonic minor), the key
  being fitted on all voices together.
- pitch_range: highest minus lowest pitch the voice uses, in semitones.
- note_density: notes started per bar.
- tonal_distance: distance between the voice's and the melody's tonal
  centroids (Harte et al., 2006) per bar, mean over bars where both play;
  defined for the three voices under the melody.
"""

from __future__ import annotations

import numpy as np

from gan.data.roll import (
    HOLD,
    LOWEST_PITCH,
    STEPS_PER_BAR,
    VOICE_NAMES,
    frames,
    is_state_roll,
    onsets,
)
from gan.util.numbers import nan_div as _nan_div

METRICS = ("empty_bar_rate", "pitch_classes_per_bar", "qualified_note_rate", "polyphony",
           "in_scale_ratio", "pitch_range", "note_density", "tonal_distance")

_MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
_HARMONIC_MINOR = np.array([0, 2, 3, 5, 7, 8, 11])


def _scale_templates() -> np.ndarray:
    """(24, 12) 0/1 masks: 12 major then 12 harmonic minor keys."""
    out = np.zeros((24, 12))
    for tonic in range(12):
        out[tonic, (_MAJOR + tonic) % 12] = 1
        out[12 + tonic, (_HARMONIC_MINOR + tonic) % 12] = 1
    return out


def _tonal_matrix() -> np.ndarray:
    """(6, 12) tonal-centroid projection: circle of fifths, minor thirds, major thirds."""
    pcs = np.arange(12)
    rows = []
    for radius, angle in ((1.0, 7 * np.pi / 6), (1.0, 3 * np.pi / 2), (0.5, 2 * np.pi / 3)):
        rows += [radius * np.sin(pcs * angle), radius * np.cos(pcs * angle)]
    return np.array(rows)


SCALES = _scale_templates()
TONAL = _tonal_matrix()


def chroma_matrix(n_pitches: int, lowest_pitch: int = LOWEST_PITCH) -> np.ndarray:
    """(pitches, 12) one-hot map from pitch row to pitch class (row 0 = lowest_pitch)."""
    pcs = (np.arange(n_pitches) + lowest_pitch) % 12
    return np.eye(12)[pcs]


def piece_metrics(rolls: np.ndarray, lowest_pitch: int = LOWEST_PITCH) -> dict[str, np.ndarray]:
    """``"<metric>/<voice>"`` -> (n,) float array, for bool rolls (n, 4, steps, pitches)."""
    rolls = np.asarray(rolls)
    if rolls.ndim == 3:
        rolls = rolls[None]
    note_starts = onsets(rolls)
    # a note lasting into the next step: the next cell holds it (a state
    # roll) or, for a plain bool roll, simply sounds
    held_next = np.zeros(rolls.shape, dtype=bool)
    held_next[:, :, :-1] = (rolls[:, :, 1:] == HOLD) if is_state_roll(rolls) else frames(rolls[:, :, 1:])
    rolls = frames(rolls)
    n, tracks, steps, pitches = rolls.shape
    if steps % STEPS_PER_BAR:
        raise ValueError(f"rolls must be whole bars of {STEPS_PER_BAR} steps; got {steps} steps")
    bars = steps // STEPS_PER_BAR
    names = VOICE_NAMES[:tracks] if tracks <= len(VOICE_NAMES) else [f"track{i}" for i in range(tracks)]
    to_pc = chroma_matrix(pitches, lowest_pitch)
    by_bar = rolls.reshape(n, tracks, bars, STEPS_PER_BAR, pitches)

    # Shared intermediate arrays (cheap: everything is a sum over the roll).
    bar_pc_steps = by_bar.sum(3) @ to_pc  # (n, tracks, bars, 12) note-steps per pitch class
    bar_active = by_bar.any((3, 4))  # (n, tracks, bars)
    n_notes = note_starts.sum((2, 3))
    sounding = rolls.sum(3)  # (n, tracks, steps): pitches at each step
    pc_steps = bar_pc_steps.sum(2)  # (n, tracks, 12)
    key_fit = pc_steps.sum(1) @ SCALES.T  # (n, 24): the piece's note-steps in each key
    best_scale = SCALES[key_fit.argmax(1)]  # (n, 12)
    centroid = _nan_div(bar_pc_steps, bar_pc_steps.sum(3, keepdims=True)) @ TONAL.T  # (n, tracks, bars, 6)

    used = np.arange(pitches)
    lowest = np.where(rolls.any(2), used, pitches).min(2)  # (n, tracks)
    highest = np.where(rolls.any(2), used, -1).max(2)

    per_metric = {
        "empty_bar_rate": 1.0 - bar_active.mean(2),
        "pitch_classes_per_bar": _nan_div(((bar_pc_steps > 0).sum(3) * bar_active).sum(2),
                                          bar_active.sum(2)),
        "qualified_note_rate": _nan_div((note_starts & held_next).sum((2, 3)), n_notes),
        "polyphony": _nan_div((sounding >= 2).sum(2), (sounding >= 1).sum(2)),
        "in_scale_ratio": _nan_div((pc_steps * best_scale[:, None, :]).sum(2), pc_steps.sum(2)),
        "pitch_range": np.where(highest >= 0, highest - lowest, np.nan).astype(float),
        "note_density": n_notes / bars,
    }
    out: dict[str, np.ndarray] = {}
    for metric, values in per_metric.items():
        for t, voice in enumerate(names):
            out[f"{metric}/{voice}"] = np.asarray(values[:, t], dtype=float)
    for t in range(1, tracks):
        dist = np.linalg.norm(centroid[:, t] - centroid[:, 0], axis=-1)  # (n, bars), NaN if silent
        with np.errstate(invalid="ignore"):
            valid = ~np.isnan(dist)
            out[f"tonal_distance/{names[t]}"] = _nan_div(np.where(valid, dist, 0).sum(1), valid.sum(1))
    return out


def summarize(per_piece: dict[str, np.ndarray]) -> dict[str, float]:
    """Means over pieces (ignoring undefined values), plus ``"<metric>"`` =
    the mean over voices; NaN when nothing is defined."""
    out: dict[str, float] = {}
    groups: dict[str, list[float]] = {}
    for key, values in per_piece.items():
        values = np.asarray(values, dtype=float)
        finite = values[~np.isnan(values)]
        out[key] = float(finite.mean()) if finite.size else float("nan")
        if finite.size:
            groups.setdefault(key.split("/")[0], []).append(out[key])
    for metric in METRICS:
        vals = groups.get(metric)
        out[metric] = float(np.mean(vals)) if vals else float("nan")
    return out
