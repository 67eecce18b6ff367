"""Judging a generator at an epoch end, the same way every epoch.

Fixed inputs: the same latents every epoch and, for the accompaniment
model, the same melodies, both from training pieces and (when the run has
an evaluation split) from pieces it never trains on. Everything is scored
against the real training music in one pass of features (music metrics and
voice leading, gan.evaluation.similarity):

- the similarity index on unseen melodies (the honest one, shown as *the*
  index when there is a split) and on training melodies;
- copying: the share of note-steps identical to the real accompaniment of
  the same training melody, and the longest run of bars copied in order from
  one training piece; beside it the same share on the unseen melodies,
  whose real accompaniment the model never saw: what it matches by
  composing well, so the difference between the two is what it memorised;
- genre fidelity, when the caller gives a judge (a function from rolls to
  the share labelled as the job's genre).

They travel in ``EpochReport.metrics`` under ``index/...``, ``copying/...``
and ``genre_fidelity``, next to the means of every feature.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from gan.config import TrainConfig
from gan.data.roll import VOICE_NAMES
from gan.evaluation.metrics import summarize
from gan.evaluation.similarity import ceiling, feature_keys, features, similarity_index, subset

GenreJudge = Callable[[np.ndarray], float]

INDEX_TRAINING, INDEX_UNSEEN = "index/training_melodies", "index/unseen_melodies"
COPIED_SHARE, COPIED_RUN = "copying/note_steps", "copying/longest_bars"
UNSEEN_SHARE = "copying/unseen_note_steps"  # the same share on unseen melodies: no copying possible
GENRE_FIDELITY = "genre_fidelity"


@dataclass
class Judgement:
    samples: np.ndarray  # what the listener hears: from training melodies (or noise)
    metrics: dict[str, float]
    similarity: float  # on unseen melodies when there are some, else training melodies


@dataclass
class Probe:
    """A generator's note probabilities for the evaluator's fixed inputs, on
    the CPU (gan.training.sampling.note_probabilities): training melodies
    (or latents), and unseen melodies when there are some."""

    melody_state: Any
    probs: Any
    unseen_state: Any = None
    unseen_probs: Any = None


class EpochEvaluator:
    """Holds what every epoch end compares against: the real music's
    features, the ceiling, the fixed latents and melodies."""

    def __init__(self, G, data: np.ndarray, config: TrainConfig, *,
                 eval_data: np.ndarray | None = None, sources: Sequence[tuple[Any, int]] | None = None,
                 judge: GenreJudge | None = None):
        from gan.training.sampling import fixed_latents, fixed_melody_indices

        self.config, self.judge_genre = config, judge
        self.conditional = bool(G.conditional)
        self.keys = feature_keys(config.architecture, VOICE_NAMES)
        self.reference = features(data)
        self.reference_summary = summarize(self.reference)
        n = config.metric_samples
        self.latents = fixed_latents(G, n, config.seed)
        self.real = self.melodies = self.unseen = self.unseen_real = None
        if eval_data is not None and len(eval_data) == 0:
            eval_data = None
        if self.conditional:
            self.real = data[fixed_melody_indices(len(data), n, config.seed)]
            self.melodies = self.real[:, 0]
            if eval_data is not None:
                self.unseen_real = eval_data[fixed_melody_indices(len(eval_data), n, config.seed + 1)]
                self.unseen = self.unseen_real[:, 0]
        if eval_data is not None:
            # real music the model never saw, scored like the samples: the ceiling
            held = fixed_melody_indices(len(eval_data), min(n, len(eval_data)), config.seed + 2)
            self.ceiling = similarity_index(features(eval_data[held]), self.reference, self.keys)[0]
        else:
            self.ceiling = ceiling(self.reference, n, self.keys, seed=config.seed)
        # what the part-writing rules are fitted to (gan.models.part_writing)
        from gan.data.roll import onsets
        from gan.evaluation.voice_leading import octave_leap_rate
        from gan.models.part_writing import neighbour_crossings, real_means

        self.real_crossings = neighbour_crossings(self.reference)
        self.real_onsets = real_means(self.reference, "onsets_per_bar", G.voices)
        self.real_repeats = real_means(self.reference, "repeated_note_rate", G.voices)
        octaves = octave_leap_rate(onsets(data))  # not a feature of the index
        self.real_octaves = [float(np.nanmean(octaves[:, v])) for v in G.voices]
        self.bars = None
        if sources is not None and len(sources) == len(data):
            from gan.evaluation.copying import TrainingBars

            self.bars = TrainingBars(data, sources, G.voices)

    def evaluate(self, G) -> Judgement:
        """Judge G on the fixed inputs (fitting its part-writing rules first:
        ``fit_rules``)."""
        return self.judge(G, self.probe(G))

    def probe(self, G) -> Probe:
        """G's note probabilities for the fixed inputs: the only part of
        judging that runs G (on its device); ``judge`` does the rest on the
        CPU, and may do it while G trains on."""
        from gan.training.sampling import note_probabilities

        state, probs = note_probabilities(G, n=len(self.latents), melody=self.melodies,
                                          latents=self.latents)
        probe = Probe(state, probs)
        if self.unseen is not None:
            probe.unseen_state, probe.unseen_probs = note_probabilities(G, melody=self.unseen,
                                                                        latents=self.latents)
        return probe

    def judge(self, G, probe: Probe) -> Judgement:
        """The judgement of G's ``probe``: G (or its
        gan.training.sampling.NoteWriter) gets its part-writing rules fitted
        (``fit_rules``); its weights are not used."""
        from gan.training.sampling import pieces_from

        samples, per_piece = self.fit_rules(G, probe)
        metrics = summarize(per_piece)
        index = similarity_index(per_piece, self.reference, self.keys)[0]
        metrics[INDEX_TRAINING] = index
        similarity = index
        if self.unseen is not None:
            unseen = pieces_from(G, probe.unseen_probs, probe.unseen_state)
            similarity = metrics[INDEX_UNSEEN] = similarity_index(features(unseen), self.reference,
                                                                  self.keys)[0]
        if self.real is not None:
            from gan.evaluation.copying import copied_share

            metrics[COPIED_SHARE] = float(np.nanmean(copied_share(samples, self.real, G.voices)))
            if self.unseen is not None:
                metrics[UNSEEN_SHARE] = float(np.nanmean(copied_share(unseen, self.unseen_real,
                                                                      G.voices)))
        if self.bars is not None:
            metrics[COPIED_RUN] = float(np.mean(self.bars.longest_runs(samples).longest_run))
        if self.judge_genre is not None:
            metrics[GENRE_FIDELITY] = float(self.judge_genre(samples))
        return Judgement(samples, metrics, float(similarity))

    def fit_rules(self, G, probe: Probe | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """G's pieces for the training melodies (MuseGAN: the fixed latents)
        and their features, written out by G's part-writing rules once these
        are fitted on those pieces (G's rules change): onset shifts so that
        each voice strikes as many notes per bar as the real music, re-strike
        strengths so that it repeats them as often, octave strengths so that
        it leaps octaves as often, and margins up to which the neighbouring
        pairs that cross more often than the real ones are uncrossed, so
        that they cross about as often (gan.models.part_writing.fit_onsets,
        fit_restrike, fit_octaves, fit_uncross). ``probe``: G's (``probe``), when already taken."""
        from gan.models import part_writing as pw
        from gan.training.sampling import pieces_from

        probe = probe if probe is not None else self.probe(G)
        melody_state, probs = probe.melody_state, probe.probs
        rules = getattr(G, "part_writing", None)
        if rules is None:
            samples = pieces_from(G, probs, melody_state)
            return samples, features(samples)
        if rules.onset_shift:
            rules = dataclasses.replace(rules, onset_shift=pw.fit_onsets(probs, self.real_onsets))
        if rules.restrike:
            rules = dataclasses.replace(rules, restrike=pw.fit_restrike(probs, self.real_repeats,
                                                                        rules.onset_shift))
        if rules.octave and rules.restrike:
            rules = dataclasses.replace(rules, octave=pw.fit_octaves(
                probs, self.real_octaves, rules.restrike, rules.onset_shift))
        G.part_writing = dataclasses.replace(rules, uncross=(0.0,) * len(rules.uncross))
        samples = pieces_from(G, probs, melody_state)
        per_piece = features(samples)
        if rules.uncross:
            # the pieces so far, in the model's rows: decided, parallels rewritten
            written, pitch_probs = G.pitch_window.crop(samples), probs.frames.numpy()
            fixed = int(G.conditional)
            margins = pw.fit_uncross(written, pitch_probs, fixed, rules.avoid,
                                     pw.neighbour_crossings(per_piece), self.real_crossings)
            G.part_writing = rules = dataclasses.replace(rules, uncross=margins)
            if any(margins):
                samples = G.pitch_window.expand(rules.uncrossed(written, pw.log_scores(pitch_probs), fixed))
                per_piece = features(samples)
        return samples, per_piece


def index_noise(evaluator: EpochEvaluator, per_piece: dict[str, np.ndarray], draws: int = 20,
                seed: int = 0) -> float:
    """Standard deviation of the index over bootstrap resamples of the
    generated pieces: how much of an epoch-to-epoch change is luck."""
    rng = np.random.default_rng(seed)
    n = len(next(iter(per_piece.values())))
    values = [similarity_index(subset(per_piece, rng.integers(0, n, n)), evaluator.reference,
                               evaluator.keys)[0] for _ in range(draws)]
    return float(np.std(values))
