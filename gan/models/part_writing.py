"""Writing out the composer's notes without the parallels the genre avoids.

The composer gives, for every generated voice and step, how likely each
pitch is; ``notes.decide`` takes the likeliest. Trained with a penalty on
parallels (gan.models.voice_rules) it still wrote 8 to 20 times Bach's
parallel fifths and octaves (docs/bench/gan.md): a penalty on a soft
quantity moves probabilities, not every last decision. So, as a chorale
student would, the decoder checks each pair of voices as the piece goes
and, where two voices move in parallel fifths or octaves, gives one of them
the composer's next choice that breaks the parallel without making another
one, a repeated note, or a crossing or unison with its neighbours. An inner voice
gives way first, then the bass, then the top voice of a piece written
from noise (MuseGAN); a given melody never changes.
Where no such note exists the parallel stays.

Which intervals are avoided comes from the real music (``avoided``): a
genre whose pieces rarely move in parallel fifths or octaves (Bach's
chorales: 0.002 and 0.001 per bar per voice pair) has them avoided; one
whose pieces double lines in octaves all the time (string quartets: 0.18)
keeps them.

Repeated notes: the composer re-struck the pitch it held 1.6 times as
often as Bach (the bass 5 times), because a step's pitch probabilities
count the chance of holding on for the held pitch. A model trained with a
reconstruction term gives probabilities that mean something, so its
re-struck notes take the pitch likeliest given that a note starts
(gan.models.notes.decide), with a strength per voice (``restrike``) fitted
at every epoch end on the training melodies (``fit_restrike``) so that
each voice repeats its notes as often as the genre's real music does:
nearly the whole correction for chorale voices, a few per cent for string
quartets, whose voices repeat notes often. A critic-only model's maps are
not probabilities of anything, and there it hurt (docs/bench/gan.md).
Holding unsure re-strikes on instead helped one model and hurt another,
so the rhythm is left as the composer wrote it.

Only the writing-out changes: training, the critic and the rhythm are
untouched. docs/bench/gan.md has the measurements.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from gan.evaluation.voice_leading import FIFTH, MAX_REST_STEPS, OCTAVE

NAMES = {FIFTH: "parallel_fifths", OCTAVE: "parallel_octaves"}  # the voice-leading metrics
RARE = 0.01  # parallels per bar per voice pair below which a genre counts as avoiding them


@dataclass(frozen=True)
class PartWriting:
    """The rules a generator's notes are written out with (kept in its checkpoint)."""

    avoid: tuple[int, ...] = (FIFTH, OCTAVE)
    # per generated voice, how strongly a re-struck note takes the pitch
    # likeliest given its onset (gan.models.notes.decide; 0 to 1): empty for
    # models whose maps are not probabilities (no reconstruction term);
    # fitted at every epoch end (fit_restrike)
    restrike: tuple[float, ...] = ()

    @classmethod
    def for_music(cls, rolls: np.ndarray, restrike: tuple[float, ...] = ()) -> PartWriting:
        return cls(avoid=avoided(real_rates(rolls)), restrike=tuple(restrike))

    @classmethod
    def for_measured(cls, per_piece: dict[str, np.ndarray],
                     restrike: tuple[float, ...] = ()) -> PartWriting:
        """From the real music's voice-leading metrics, already measured
        (gan.evaluation.similarity.features, as the job's scorer holds them)."""
        return cls(avoid=avoided(rates_of(per_piece)), restrike=tuple(restrike))

    def to_dict(self) -> dict[str, Any]:
        return {"avoid": list(self.avoid), "restrike": list(self.restrike)}

    @classmethod
    def from_dict(cls, facts: dict[str, Any] | None) -> PartWriting | None:
        if not facts:
            return None
        # checkpoints written before restrike keep their notes as they were
        return cls(avoid=tuple(int(i) for i in facts.get("avoid", ())),
                   restrike=tuple(float(x) for x in facts.get("restrike", ())))

    def apply(self, pieces: np.ndarray, pitch_probs: np.ndarray, fixed: int) -> np.ndarray:
        """``pieces`` (n, voices, steps, pitches) note-state rolls decided
        from ``pitch_probs`` (n, voices - fixed, steps, pitches), the
        composer's probabilities of each pitch: rewritten by the rules."""
        scores = np.log(np.clip(pitch_probs, 1e-9, None))
        return avoid_parallels(pieces, scores, fixed, self.avoid)


def avoided(real_rates: dict[int, float]) -> tuple[int, ...]:
    """The intervals to avoid: those the real music writes in parallel
    less than ``RARE`` times per bar per voice pair."""
    return tuple(sorted(i for i in NAMES if real_rates.get(i, 1.0) < RARE))


def real_rates(rolls: np.ndarray) -> dict[int, float]:
    """Parallel fifths and octaves per bar per voice pair (keys FIFTH,
    OCTAVE) in note-state rolls (n, voices, steps, pitches), as
    gan.evaluation.voice_leading counts them."""
    from gan.evaluation.voice_leading import voice_leading_metrics

    return rates_of(voice_leading_metrics(rolls))


def rates_of(per_piece: dict[str, np.ndarray]) -> dict[int, float]:
    """``real_rates`` from the metrics per piece."""
    from gan.evaluation.voice_leading import metric_means

    means = metric_means(per_piece)
    # no two voices ever sounding together: none counted
    return {interval: 0.0 if np.isnan(means[metric]) else means[metric]
            for interval, metric in NAMES.items()}


def fit_restrike(probs, real_rates, steps: int = 8) -> tuple[float, ...]:
    """Per generated voice, the ``restrike`` strength at which its notes
    repeat their pitch as often as the real music's (``real_rates``: the
    mean repeated-note rate of each generated voice, gan.evaluation.
    voice_leading): 1 where even full strength leaves more repeats than the
    real music. ``probs``: the composer's ``NoteProbs`` for fixed inputs
    (the training melodies an epoch end scores). Bisection over [0, 1], all
    voices at once, to 1/2**steps; the parallels rewrite is left out (it
    changes few notes and never makes a repeat)."""
    from gan.evaluation.voice_leading import repeated_note_rate
    from gan.models import notes

    target = np.asarray(real_rates, dtype=float)

    def rates(strength: np.ndarray) -> np.ndarray:
        _, starts = notes.decide(probs, True, tuple(strength))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a voice never repeating anywhere: NaN
            return np.nanmean(repeated_note_rate(starts.cpu().numpy()), 0)

    lo, hi = np.zeros(len(target)), np.ones(len(target))
    full = rates(hi)
    for _ in range(steps):
        mid = (lo + hi) / 2
        too_few = rates(mid) < target  # too strong
        hi, lo = np.where(too_few, mid, hi), np.where(too_few, lo, mid)
    return tuple(float(x) for x in np.where(full >= target, 1.0, (lo + hi) / 2))


def real_repeats(per_piece: dict[str, np.ndarray], voices) -> list[float]:
    """The mean repeated-note rate of each voice in ``voices`` (indices,
    top = 0) in the real music's voice-leading metrics per piece: what
    ``fit_restrike`` aims at."""
    from gan.evaluation.voice_leading import voice_names

    names = voice_names(max(voices) + 1)
    return [float(np.nanmean(per_piece[f"repeated_note_rate/{names[v]}"])) for v in voices]


def pitch_lines(state: np.ndarray) -> np.ndarray:
    """(voices, steps) sounding pitch row, -1 for silence (monophonic voices)."""
    sounding = state > 0
    return np.where(sounding.any(-1), sounding.argmax(-1), -1)


def parallel_at(p: np.ndarray, a: int, b: int, t: int, intervals) -> bool:
    """Voices a (upper) and b, both sounding at step t, reach it by similar
    motion from their last sonority (a rest of at most MAX_REST_STEPS
    between) and stand an avoided interval class apart before and after:
    the parallels gan.evaluation.voice_leading counts, one step at a time
    (tests/test_part_writing.py checks that the two count alike)."""
    if p[a, t] < 0 or p[b, t] < 0:
        return False
    s = t - 1
    while s >= 0 and (p[a, s] < 0 or p[b, s] < 0):
        s -= 1
    if s < 0 or t - s - 1 > MAX_REST_STEPS:
        return False
    up, down = p[a, t] - p[a, s], p[b, t] - p[b, s]
    if up == 0 or np.sign(up) != np.sign(down):
        return False
    before, after = abs(p[a, s] - p[b, s]) % 12, abs(p[a, t] - p[b, t]) % 12
    return before == after and after in intervals  # a fifth into an octave is no parallel


def _fits(p: np.ndarray, v: int, start: int, end: int, q: int, intervals) -> bool:
    """Pitch q for voice v's note over steps start..end (inclusive) makes
    no parallel on the way in or out, no repeated note, and no crossing
    or unison with a neighbouring voice while it sounds."""
    voices, steps = p.shape
    if (start > 0 and p[v, start - 1] == q) or (end + 1 < steps and p[v, end + 1] == q):
        return False  # a repeated note
    span = slice(start, end + 1)
    above = p[v - 1, span] if v > 0 else np.full(end + 1 - start, -1)
    below = p[v + 1, span] if v + 1 < voices else np.full(end + 1 - start, -1)
    if ((above >= 0) & (q >= above)).any() or ((below >= 0) & (q <= below)).any():
        return False  # a crossing, or a unison with a neighbour (a voice lost to the ear)
    trial = p.copy()
    trial[v, start:end + 1] = q
    for t in range(start, min(steps, end + 2 + MAX_REST_STEPS)):
        for other in range(voices):
            if other != v and parallel_at(trial, min(v, other), max(v, other), t, intervals):
                return False
    return True


def _give_way(p, onsets, scores, fixed, a, b, t, intervals, choices) -> bool:
    voices = p.shape[0]
    # an inner voice first, then the bass, then the top voice; never a given
    # voice (the melody the accompaniment model was handed)
    order = sorted((v for v in (a, b) if v >= fixed),
                   key=lambda v: (2 if v == 0 else 1 if v == voices - 1 else 0, v))
    for v in order:
        end = t
        while end + 1 < p.shape[1] and p[v, end + 1] == p[v, t] and not onsets[v, end + 1]:
            end += 1
        ranked = np.argsort(-scores[v - fixed, t:end + 1].sum(0))
        for q in ranked[:choices]:
            if q != p[v, t] and _fits(p, v, t, end, int(q), intervals):
                p[v, t:end + 1] = q
                return True
    return False


def avoid_parallels(state: np.ndarray, scores: np.ndarray, fixed: int = 1,
                    intervals: tuple[int, ...] = (FIFTH, OCTAVE), choices: int = 6) -> np.ndarray:
    """A copy of ``state`` (n, voices, steps, pitches) note-state rolls of
    monophonic voices, top voice first, with parallels in ``intervals``
    rewritten where possible.

    ``scores`` (n, voices - fixed, steps, pitches): the composer's log
    probabilities for the generated voices (the first ``fixed`` voices are
    given and kept). Each replacement is one of the ``choices`` pitches the
    composer likes best over the whole note. Onsets (the rhythm) never
    change, only pitches.
    """
    if not intervals:
        return state
    out = state.copy()
    for i in range(len(out)):
        p = pitch_lines(out[i])
        onsets = (out[i] == 2).any(-1)
        changed = False
        voices, steps = p.shape
        for t in range(1, steps):
            for a, b in itertools.combinations(range(voices), 2):
                if parallel_at(p, a, b, t, intervals):
                    changed |= _give_way(p, onsets, scores[i], fixed, a, b, t, intervals, choices)
        if changed:
            rows = np.arange(out.shape[-1])
            sounding = (p[..., None] == rows) & (p[..., None] >= 0)
            out[i] = sounding.astype(np.int8) + (sounding & onsets[..., None]).astype(np.int8)
    return out
