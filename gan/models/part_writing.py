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
count the chance of holding on for the held pitch. So re-struck notes
take the pitch likeliest given that a note starts
(gan.models.notes.decide), with a strength per voice (``restrike``) fitted
at every epoch end on the training melodies (``fit_restrike``) so that
each voice repeats its notes as often as the genre's real music does:
nearly the whole correction for chorale voices under a reconstruction
term, a few per cent for string quartets, whose voices repeat notes
often, and for the critic-alone `lab` model, whose onsets sit near even
odds (so the holding share is large). Before onsets were fitted, the same
correction hurt `lab`; after, it helped at every epoch tried
(docs/bench/gan.md).

Octaves: with re-struck notes' pitches given their onsets, the `quick`
bass leapt to the octave of the note before half as often again as Bach's
(0.27 octave leaps per bar against 0.19; 0.20 without the correction): where
the held pitch loses its holding share, the same pitch an octave away is
often the composer's next choice. So that share comes off the held pitch's
octaves too, at a strength per voice (``octave``) fitted at every epoch
end (``fit_octaves``) so that each voice leaps octaves as often as the
genre's real music.

Rhythm: a note starts where the composer's onset is likelier than not,
and at even odds the composer struck fewer notes than the genre (`quick`:
4.0 per bar against Bach's 4.5 to 4.8; the critic-alone `lab` model 2.6 to
3.8), most of all in the lower voices. So each voice's onsets are shifted
by one logit (``onset_shift``, gan.models.notes.decide), fitted at every
epoch end on the training melodies (``fit_onsets``) so that each voice
strikes as many notes per bar as the genre's real music. Where the shift
lands a new note inside what was one long note, the two halves take each
their own likeliest pitch.

Crossings: the critic-alone `lab` model crossed neighbouring voices 3 to
10 times as often as Bach. A neighbouring pair that crosses more often on
the training melodies than in the real music has its crossings rewritten
like a parallel, a voice taking the composer's next choice that crosses
nothing and makes no parallel (gan.models.rewriting.avoid_crossings), but
only where that choice costs at most a margin of the composer's liking
(log probability over the note): the margin (``uncross``, per pair) is
fitted at every epoch end (``fit_uncross``) so that the pair crosses
about as often as the genre, keeping the crossings the composer is surest
of. (Until 2026-12-08 a pair crossing more than 1.5 times as often as the
genre had every crossing undone: one `quick` training's tenor and bass
then crossed a fifth as often as Bach's.) A pair that crosses as often as
the genre, or less, keeps its crossings.

Only the writing-out changes: training and the critic are untouched.
docs/bench/gan.md has the measurements.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from gan.data.roll import STEPS_PER_BAR, VOICE_NAMES
from gan.evaluation.voice_leading import FIFTH, OCTAVE
from gan.models.rewriting import avoid_crossings, avoid_parallels

NAMES = {FIFTH: "parallel_fifths", OCTAVE: "parallel_octaves"}  # the voice-leading metrics
RARE = 0.01  # parallels per bar per voice pair below which a genre counts as avoiding them
UNDO_ALL = 1e6  # an ``uncross`` margin no note's cost reaches: every crossing that can be undone is
MAX_MARGIN = 32.0  # the fitted margins' range, log probability over a note


@dataclass(frozen=True)
class PartWriting:
    """The rules a generator's notes are written out with (kept in its checkpoint)."""

    avoid: tuple[int, ...] = (FIFTH, OCTAVE)
    # per generated voice, how strongly a re-struck note takes the pitch
    # likeliest given its onset (gan.models.notes.decide; 0 to 1): empty for
    # none (checkpoints from before); fitted at every epoch end (fit_restrike)
    restrike: tuple[float, ...] = ()
    # per generated voice, the logit taken off its onsets before deciding
    # (gan.models.notes.decide): empty for none; fitted at every epoch end
    # (fit_onsets)
    onset_shift: tuple[float, ...] = ()
    # per neighbouring voice pair (soprano-alto, alto-tenor, tenor-bass), the
    # most of the composer's liking (log probability over a note) a note may
    # lose to undo a crossing: 0 keeps them; empty for none; fitted at every
    # epoch end (fit_uncross)
    uncross: tuple[float, ...] = ()
    # per generated voice, how strongly a re-struck note avoids merely
    # leaping to its held pitch's octave (gan.models.notes.decide; 0 to 1):
    # empty for none; fitted at every epoch end (fit_octaves)
    octave: tuple[float, ...] = ()

    @classmethod
    def for_music(cls, rolls: np.ndarray) -> PartWriting:
        """From real note-state rolls, nothing fitted (``to_fit``)."""
        return cls(avoid=avoided(real_rates(rolls)))

    @classmethod
    def for_measured(cls, per_piece: dict[str, np.ndarray]) -> PartWriting:
        """From the real music's voice-leading metrics, already measured
        (gan.evaluation.similarity.features, as the job's scorer holds them),
        nothing fitted (``to_fit``)."""
        return cls(avoid=avoided(rates_of(per_piece)))

    def to_fit(self, voices: int) -> PartWriting:
        """These rules with every fitted rule switched on for ``voices``
        generated voices, as fitting starts: no onset shift, full re-strike
        strength, no octave strength, no pair uncrossed (``fit_onsets``,
        ``fit_restrike``, ``fit_octaves``, ``fit_uncross`` fit them at each
        epoch end)."""
        return dataclasses.replace(self, restrike=(1.0,) * voices, onset_shift=(0.0,) * voices,
                                   uncross=(0.0,) * (len(VOICE_NAMES) - 1), octave=(0.0,) * voices)

    def to_dict(self) -> dict[str, Any]:
        return {"avoid": list(self.avoid), "restrike": list(self.restrike),
                "onset_shift": list(self.onset_shift), "uncross": list(self.uncross),
                "octave": list(self.octave)}

    @classmethod
    def from_dict(cls, facts: dict[str, Any] | None) -> PartWriting | None:
        if not facts:
            return None
        # checkpoints written before a rule keep their notes as they were
        return cls(avoid=tuple(int(i) for i in facts.get("avoid", ())),
                   restrike=tuple(float(x) for x in facts.get("restrike", ())),
                   onset_shift=tuple(float(x) for x in facts.get("onset_shift", ())),
                   # before 2026-12-08 a pair was uncrossed wholly or not at all
                   uncross=tuple(UNDO_ALL if x is True else float(x) for x in facts.get("uncross", ())),
                   octave=tuple(float(x) for x in facts.get("octave", ())))

    def decide(self, probs, monophonic: bool):
        """(sounding, onsets) decided from ``probs`` (gan.models.notes.NoteProbs)
        with these rules' onset shifts, re-strike and octave strengths
        (single-line voices only); parallels and excess crossings are
        rewritten afterwards (``apply``)."""
        from gan.models import notes

        if not monophonic:
            return notes.decide(probs, monophonic)
        return notes.decide(probs, monophonic, self.restrike, self.onset_shift, self.octave)

    def apply(self, pieces: np.ndarray, pitch_probs: np.ndarray, fixed: int) -> np.ndarray:
        """``pieces`` (n, voices, steps, pitches) note-state rolls decided
        from ``pitch_probs`` (n, voices - fixed, steps, pitches), the
        composer's probabilities of each pitch: rewritten by the rules."""
        scores = log_scores(pitch_probs)
        pieces = avoid_parallels(pieces, scores, fixed, self.avoid)
        return self.uncrossed(pieces, scores, fixed)

    def uncrossed(self, pieces: np.ndarray, scores: np.ndarray, fixed: int) -> np.ndarray:
        """``apply``'s last part: ``pieces`` with parallels already rewritten,
        their crossings undone as far as ``uncross`` says (``scores``: the
        composer's ``log_scores``)."""
        return avoid_crossings(pieces, scores, fixed, self.avoid, self.uncross)


def log_scores(pitch_probs: np.ndarray) -> np.ndarray:
    """The composer's log probabilities, as the rewriting ranks pitches by them."""
    return np.log(np.clip(pitch_probs, 1e-9, None))


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


def _bisect(go_up, low: float, high: float, voices: int, steps: int, upper: bool = False) -> np.ndarray:
    """Per voice, a value in [low, high] found by bisection to
    (high - low) / 2**steps, all voices at once: ``go_up(values)`` says for
    each voice whether its value must be larger. The last bracket's middle,
    or with ``upper`` its upper end (the least value found not to need
    going up, or ``high``)."""
    lo, hi = np.full(voices, float(low)), np.full(voices, float(high))
    for _ in range(steps):
        mid = (lo + hi) / 2
        up = go_up(mid)
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    return hi if upper else (lo + hi) / 2


def _per_voice(rate, starts) -> np.ndarray:
    """Mean of a per-voice note measure (gan.evaluation.voice_leading) over
    pieces, from decided note starts (a tensor)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a voice with one note or none: NaN
        return np.nanmean(rate(starts.cpu().numpy()), 0)


def fit_restrike(probs, real_rates, onset_shift=(), steps: int = 8) -> tuple[float, ...]:
    """Per generated voice, the ``restrike`` strength at which its notes
    repeat their pitch as often as the real music's (``real_rates``: the
    mean repeated-note rate of each generated voice, gan.evaluation.
    voice_leading): 1 where even full strength leaves more repeats than the
    real music. ``probs``: the composer's ``NoteProbs`` for fixed inputs
    (the training melodies an epoch end scores), its notes decided with
    ``onset_shift`` (fitted first: more notes, more repeats). Bisection
    over [0, 1], all voices at once, to 1/2**steps; the parallels rewrite
    is left out (it changes few notes and never makes a repeat)."""
    from gan.evaluation.voice_leading import repeated_note_rate
    from gan.models import notes

    target = np.asarray(real_rates, dtype=float)

    def rates(strength: np.ndarray) -> np.ndarray:
        return _per_voice(repeated_note_rate, notes.decide(probs, True, tuple(strength), onset_shift)[1])

    full = rates(np.ones(len(target)))
    fitted = _bisect(lambda mid: ~(rates(mid) < target), 0.0, 1.0, len(target), steps)  # too many
    return tuple(float(x) for x in np.where(full >= target, 1.0, fitted))


def fit_octaves(probs, real_rates, restrike, onset_shift=(), steps: int = 8) -> tuple[float, ...]:
    """Per generated voice, the ``octave`` strength at which its notes leap
    to the octave of the note before as often as the real music's
    (``real_rates``: each generated voice's mean octave-leap rate,
    gan.evaluation.voice_leading.octave_leap_rate): 0 where the voice leaps
    octaves no more often than the real music without it. Decided with
    ``restrike`` and ``onset_shift`` (fitted first); bisection over [0, 1]
    as ``fit_restrike``."""
    from gan.evaluation.voice_leading import octave_leap_rate
    from gan.models import notes

    target = np.asarray(real_rates, dtype=float)

    def rates(strength: np.ndarray) -> np.ndarray:
        _, starts = notes.decide(probs, True, restrike, onset_shift, tuple(strength))
        return _per_voice(octave_leap_rate, starts)

    none = rates(np.zeros(len(target)))
    fitted = _bisect(lambda mid: rates(mid) > target, 0.0, 1.0, len(target), steps)
    return tuple(float(x) for x in np.where(none <= target, 0.0, fitted))


def fit_onsets(probs, real_onsets, restrike=(), steps: int = 12) -> tuple[float, ...]:
    """Per generated voice, the ``onset_shift`` (a logit in [-6, 6]) at which
    it strikes as many notes per bar as the real music (``real_onsets``:
    the mean onsets per bar of each generated voice). ``probs``: the
    composer's ``NoteProbs`` for fixed inputs, as in ``fit_restrike``;
    bisection, all voices at once, to 12 / 2**steps. A note that starts
    after a rest starts whatever the shift, so a voice may stay above the
    target at +6 (or below at -6, where its onsets are all but certain
    holds): the bound is kept then."""
    from gan.models import notes

    target = np.asarray(real_onsets, dtype=float)
    bars = probs.frames.shape[-2] / STEPS_PER_BAR

    def rates(shift: np.ndarray) -> np.ndarray:
        _, starts = notes.decide(probs, True, restrike, tuple(shift))
        return starts.sum((-1, -2)).double().mean(0).cpu().numpy() / bars

    fitted = _bisect(lambda mid: rates(mid) > target, -6.0, 6.0, len(target), steps)  # shift further
    return tuple(float(x) for x in fitted)


def real_means(per_piece: dict[str, np.ndarray], metric: str, voices) -> list[float]:
    """The mean of a per-voice voice-leading ``metric`` ("repeated_note_rate",
    "onsets_per_bar") for each voice in ``voices`` (indices, top = 0) in
    the real music's metrics per piece: what ``fit_restrike`` and
    ``fit_onsets`` aim at."""
    from gan.evaluation.voice_leading import voice_names

    names = voice_names(max(voices) + 1)
    return [float(np.nanmean(per_piece[f"{metric}/{names[v]}"])) for v in voices]


def neighbour_crossings(per_piece: dict[str, np.ndarray], voices: int = 4) -> np.ndarray:
    """Mean crossings per bar of each neighbouring voice pair, top pair
    first, in voice-leading metrics per piece (0 where the pair never
    sounds together)."""
    from gan.evaluation.voice_leading import voice_names

    names = voice_names(voices)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a pair never together: NaN
        means = [np.nanmean(per_piece[f"voice_crossings/{names[u]}-{names[u + 1]}"])
                 for u in range(voices - 1)]
    return np.nan_to_num(np.asarray(means, dtype=float))


def fit_uncross(pieces: np.ndarray, pitch_probs: np.ndarray, fixed: int, avoid: tuple[int, ...],
                generated: np.ndarray, real: np.ndarray, steps: int = 6) -> tuple[float, ...]:
    """Per neighbouring pair, the ``uncross`` margin at which it crosses
    about as often as the real music (``real``, ``generated``: each pair's
    crossings per bar, ``neighbour_crossings``, of the real music and of
    ``pieces``): 0 for a pair crossing no more than the real music,
    ``UNDO_ALL`` for one that still crosses more with every crossing undone
    that can be. ``pieces``: note-state rolls in the model's pitch rows,
    written out with the parallels avoided and no crossing undone, from
    ``pitch_probs`` (the composer's, as ``PartWriting.apply`` takes them).
    Bisection over [0, MAX_MARGIN], the fitted pairs at once."""
    from gan.evaluation.voice_leading import voice_leading_metrics

    scores = log_scores(pitch_probs)
    over = np.asarray(generated) > np.asarray(real)
    if not over.any():
        return (0.0,) * len(over)

    def rates(margins: np.ndarray) -> np.ndarray:
        undone = avoid_crossings(pieces, scores, fixed, avoid, tuple(margins))
        return neighbour_crossings(voice_leading_metrics(undone), len(over) + 1)

    every = np.where(over, UNDO_ALL, 0.0)
    fit = over & ~(rates(every) > real)  # the others cross too often even with all undone
    if not fit.any():  # the usual case for an untrained model: no bisection needed
        return tuple(float(x) for x in every)
    # the least margin found to bring the pair down to the genre's crossings
    fitted = _bisect(lambda mid: rates(np.where(fit, mid, every)) > real, 0.0, MAX_MARGIN, len(over),
                     steps, upper=True)
    return tuple(float(x) for x in np.where(fit, fitted, every))
