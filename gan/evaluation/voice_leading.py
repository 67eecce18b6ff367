"""Voice-leading metrics: what makes four voices sound like a chorale.

``voice_leading_metrics(rolls)`` maps ``"<metric>/<voice>"`` (one voice) or
``"<metric>/<upper>-<lower>"`` (a voice pair, upper voice first) to one
value per piece, NaN where undefined, like ``gan.evaluation.metrics``; each
metric has a smallest kernel width in ``MIN_BANDWIDTH`` so the similarity
index (``gan.evaluation.similarity``) can score it.

Rolls are ``(n, 4, steps, pitches)`` of either kind (note-state or bool,
read through ``gan.data.roll.frames`` / ``onsets``), voices high -> low,
whole 4/4 bars of 16 steps.

A voice's *line* at a step is the pitch it sounds there: its highest sounding
pitch, or its lowest for the bottom voice (the rule the corpus conversion uses
for chords inside a part); a silent voice has no line.

- parallel_fifths, parallel_octaves (per pair, per bar): consecutive
  perfect fifths / octaves. For a pair of voices take the steps where both
  sound; each change of either line there is a new *sonority*, compared with
  the sonority just before it (a rest of up to ``MAX_REST_STEPS`` steps in
  either voice between them is bridged; a longer one starts afresh). A
  parallel is a move where both lines change pitch in the same direction and
  both sonorities form the same perfect interval class: ``|upper - lower|``
  mod 12 equal to 7 (fifth, twelfth, ...) or to 0 (unison, octave, ...).
  Repeated or held notes are not motion; contrary and hidden (direct)
  fifths/octaves are not counted. Counted per bar of the piece; NaN when
  the two voices never sound together (silence breaks no rule, yet it is no
  chorale either: an undefined value is its own outcome in the index).
- voice_crossings (per adjacent pair, per bar): how many times the lower
  voice's line goes strictly above the upper voice's (a crossing starts at a
  step where both sound, the lower is above, and at the previous step where
  both sounded it was not, or there was none). Unisons are not crossings.
  NaN when the two voices never sound together.
- voices_sounding (``"voices_sounding/all"``): mean over steps of the number
  of voices sounding (4.0 = all voices sound throughout).
- onsets_per_bar (per voice): notes started per bar (state rolls know
  repeated notes; bool rolls count runs).
- voice_range (per voice): highest minus lowest sounding pitch, semitones;
  NaN for a silent voice.
- repeated_note_rate (per voice): share of the voice's notes (after its
  first) whose pitch equals its previous note's pitch; NaN with fewer than
  two notes. A note's pitch is the line rule applied to the onsets at its
  step.
"""

from __future__ import annotations

import numpy as np

from gan.data.roll import STEPS_PER_BAR, STEPS_PER_BEAT, VOICE_NAMES, frames, onsets
from gan.util.numbers import nan_div as _nan_div

METRICS = ("parallel_fifths", "parallel_octaves", "voice_crossings", "voices_sounding",
           "onsets_per_bar", "voice_range", "repeated_note_rate")

# Smallest kernel width per metric for gan.evaluation.similarity.overlap, in the
# metric's own unit (per-bar counts of a 4-bar piece move in steps of 0.25).
MIN_BANDWIDTH = {
    "parallel_fifths": 0.1, "parallel_octaves": 0.1, "voice_crossings": 0.1,
    "voices_sounding": 0.05, "onsets_per_bar": 0.3, "voice_range": 1.0,
    "repeated_note_rate": 0.03,
}

MAX_REST_STEPS = STEPS_PER_BEAT  # a rest up to a beat long does not break a pair's motion
FIFTH, OCTAVE = 7, 0  # interval classes, semitones mod 12


def voice_names(tracks: int) -> list[str]:
    return list(VOICE_NAMES[:tracks]) if tracks <= len(VOICE_NAMES) else [f"track{i}" for i in range(tracks)]


def voice_pairs(tracks: int) -> list[tuple[int, int]]:
    """Every (upper, lower) pair of voices, upper first."""
    return [(u, l) for u in range(tracks) for l in range(u + 1, tracks)]


def _line(cells: np.ndarray) -> np.ndarray:
    """(n, tracks, steps) pitch row of each voice's line, -1 where silent.

    ``cells`` is bool (n, tracks, steps, pitches); the top voices take their
    highest pitch, the bottom voice its lowest."""
    pitches = cells.shape[-1]
    highest = pitches - 1 - np.argmax(cells[..., ::-1], axis=-1)
    lowest = np.argmax(cells, axis=-1)
    line = highest.copy()
    line[:, -1] = lowest[:, -1]
    return np.where(cells.any(-1), line, -1)


def _previous_index(present: np.ndarray) -> np.ndarray:
    """For each step, the index of the last earlier step where ``present``
    (along the last axis), or -1."""
    steps = present.shape[-1]
    idx = np.where(present, np.arange(steps), -1)
    last = np.maximum.accumulate(idx, axis=-1)
    prev = np.full_like(last, -1)
    prev[..., 1:] = last[..., :-1]
    return prev


def _pair_moves(upper: np.ndarray, lower: np.ndarray):
    """Per step where both lines sound: the pair's previous sonority.

    Returns (prev_upper, prev_lower, has_prev) over (n, steps):
    ``has_prev`` is False where there is no earlier sonority or the rest in
    between is longer than MAX_REST_STEPS."""
    both = (upper >= 0) & (lower >= 0)
    prev = _previous_index(both)
    steps = np.arange(both.shape[-1])
    has_prev = both & (prev >= 0) & (steps - prev - 1 <= MAX_REST_STEPS)
    safe = np.maximum(prev, 0)
    prev_upper = np.take_along_axis(upper, safe, axis=-1)
    prev_lower = np.take_along_axis(lower, safe, axis=-1)
    return prev_upper, prev_lower, has_prev


def parallel_steps(upper: np.ndarray, lower: np.ndarray) -> dict[int, np.ndarray]:
    """interval class -> bool (..., steps): where a parallel move into that
    class arrives, for two lines (pitch rows, -1 where silent)."""
    prev_upper, prev_lower, has_prev = _pair_moves(upper, lower)
    move_upper = upper - prev_upper
    move_lower = lower - prev_lower
    similar = has_prev & (move_upper != 0) & (np.sign(move_upper) == np.sign(move_lower))
    before = np.abs(prev_upper - prev_lower) % 12
    after = np.abs(upper - lower) % 12
    return {cls: similar & (before == cls) & (after == cls) for cls in (FIFTH, OCTAVE)}


def _parallels(upper: np.ndarray, lower: np.ndarray) -> dict[int, np.ndarray]:
    """interval class -> (n,) number of parallel moves into that class."""
    return {cls: steps.sum(-1) for cls, steps in parallel_steps(upper, lower).items()}


def _crossings(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """(n,) number of times the lower line goes above the upper line."""
    both = (upper >= 0) & (lower >= 0)
    crossed = both & (lower > upper)
    prev = _previous_index(both)
    was_crossed = np.take_along_axis(crossed, np.maximum(prev, 0), axis=-1) & (prev >= 0)
    return (crossed & ~was_crossed).sum(-1)


def _note_moves(note_starts: np.ndarray):
    """(n, tracks, steps): each note's move from the note before it, in
    semitones, and where a note follows another (its step), from note
    starts (n, tracks, steps, pitches)."""
    pitch = _line(note_starts)  # (n, tracks, steps), -1 where no note starts
    started = pitch >= 0
    prev = _previous_index(started)
    prev_pitch = np.take_along_axis(pitch, np.maximum(prev, 0), axis=-1)
    return pitch - prev_pitch, started & (prev >= 0)


def repeated_note_rate(note_starts: np.ndarray) -> np.ndarray:
    """(n, tracks) share of notes repeating the previous note's pitch, from
    note starts (n, tracks, steps, pitches); NaN with fewer than two notes."""
    move, follows = _note_moves(note_starts)
    return _nan_div((follows & (move == 0)).sum(-1), follows.sum(-1))


def octave_leap_rate(note_starts: np.ndarray) -> np.ndarray:
    """(n, tracks) share of notes an octave above or below the previous
    note, as ``repeated_note_rate``: not one of the index's metrics; what
    gan.models.part_writing.fit_octaves fits re-struck notes to."""
    move, follows = _note_moves(note_starts)
    return _nan_div((follows & (np.abs(move) == 12)).sum(-1), follows.sum(-1))


def voice_leading_metrics(rolls: np.ndarray) -> dict[str, np.ndarray]:
    """Keys ``"<metric>/<voice>"``, ``"<metric>/<upper>-<lower>"`` and
    ``"voices_sounding/all"`` -> (n,) float arrays; see the module notes."""
    rolls = np.asarray(rolls)
    if rolls.ndim == 3:
        rolls = rolls[None]
    if rolls.ndim != 4:
        raise ValueError(f"rolls must be (n, tracks, steps, pitches); got shape {rolls.shape}")
    _, tracks, steps, _ = rolls.shape
    if steps == 0 or steps % STEPS_PER_BAR:
        raise ValueError(f"rolls must be whole bars of {STEPS_PER_BAR} steps; got {steps} steps")
    bars = steps // STEPS_PER_BAR
    names = voice_names(tracks)
    cells = frames(rolls)
    starts = onsets(rolls)
    line = _line(cells)
    sounding = line >= 0  # (n, tracks, steps)

    out: dict[str, np.ndarray] = {}
    def per_bar(counts: np.ndarray, u: int, l: int) -> np.ndarray:
        together = (sounding[:, u] & sounding[:, l]).any(-1)
        return np.where(together, counts / bars, np.nan)

    for u, l in voice_pairs(tracks):
        found = _parallels(line[:, u], line[:, l])
        pair = f"{names[u]}-{names[l]}"
        out[f"parallel_fifths/{pair}"] = per_bar(found[FIFTH], u, l)
        out[f"parallel_octaves/{pair}"] = per_bar(found[OCTAVE], u, l)
    for u in range(tracks - 1):
        crossings = _crossings(line[:, u], line[:, u + 1])
        out[f"voice_crossings/{names[u]}-{names[u + 1]}"] = per_bar(crossings, u, u + 1)
    out["voices_sounding/all"] = sounding.sum(1).mean(-1)

    pitch_rows = np.arange(cells.shape[-1])
    used = cells.any(2)  # (n, tracks, pitches)
    highest = np.where(used, pitch_rows, -1).max(-1)
    lowest = np.where(used, pitch_rows, cells.shape[-1]).min(-1)
    per_voice = {
        "onsets_per_bar": starts.sum((2, 3)) / bars,
        "voice_range": np.where(highest >= 0, highest - lowest, np.nan),
        "repeated_note_rate": repeated_note_rate(starts),
    }
    for metric, values in per_voice.items():
        for t, voice in enumerate(names):
            out[f"{metric}/{voice}"] = np.asarray(values[:, t], dtype=float)
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}


def metric_of(key: str) -> str:
    """``"parallel_fifths/soprano-alto"`` -> ``"parallel_fifths"``."""
    return key.split("/", 1)[0]


PAIR_METRICS = ("parallel_fifths", "parallel_octaves", "voice_crossings")


def metric_means(per_piece: dict[str, np.ndarray]) -> dict[str, float]:
    """Each metric of ``METRICS``: its mean over pieces for every voice or
    pair, then the mean of those (undefined ones left out; NaN when none
    is defined). The pair totals of ``pair_totals`` are not counted."""
    out = {}
    for metric in METRICS:
        means = [float(np.nanmean(v)) for k, v in per_piece.items()
                 if metric_of(k) == metric and np.isfinite(v).any()
                 and not (metric in PAIR_METRICS and k.endswith("/all"))]
        out[metric] = float(np.mean(means)) if means else float("nan")
    return out


def pair_totals(per_piece: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``"<metric>/all"``: the per-pair metrics summed over the pairs that
    sound together (e.g. all parallel fifths per bar), one line per metric
    for a chart; NaN where no pair does."""
    out = {}
    for metric in PAIR_METRICS:
        parts = np.array([v for k, v in per_piece.items() if metric_of(k) == metric])
        if len(parts):
            defined = ~np.isnan(parts)
            out[f"{metric}/all"] = np.where(defined.any(0), np.where(defined, parts, 0).sum(0), np.nan)
    return out


def feature_keys(architecture: str, tracks: int = 4) -> list[str]:
    """The keys worth scoring for a model: the accompaniment model ("unet")
    is given the melody, so the melody's own onsets, range and repeats are
    left out; pairs with the melody stay (the model writes the other voice)."""
    names = voice_names(tracks)
    keys = list(voice_leading_metrics(np.zeros((1, tracks, STEPS_PER_BAR, 1), dtype=bool)))
    if architecture == "unet":
        keys = [k for k in keys if k.split("/", 1)[1] != names[0]]
    return keys
