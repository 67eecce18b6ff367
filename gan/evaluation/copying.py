"""How much of the generated music is copied from the training set.

Two measures, both on note-steps: a *note-step* is one sounding cell of a
roll (voice, step, pitch), read through ``gan.data.roll.frames`` so
note-state and bool rolls alike; onsets are not compared, so a held note
and the same pitch re-struck count as the same note-steps.

- ``copied_share(generated, real)``: for pieces written under the melody of
  a real piece (the accompaniment model), the share of each generated
  piece's note-steps in the written voices that the real piece has too,
  same voice, same step, same pitch. 1.0 = the real accompaniment (or part
  of it and nothing else), 0.0 = nothing in common; NaN for a piece whose
  written voices are silent.
- ``TrainingBars``: an index of every bar of the training pieces, keyed by
  the exact content of the written voices in that bar (packed bits, hashed
  by a dict: one lookup per generated bar, no pairwise comparison).
  ``longest_runs(generated)`` answers, per generated piece, the longest run
  of consecutive generated bars that are consecutive bars of one training
  piece, exactly (same voices, steps and pitches; transposed copies do not
  count). Bars whose written voices are silent are not indexed and never
  match: silence is not copying.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gan.data.roll import STEPS_PER_BAR, frames

ACCOMPANIMENT = (1, 2, 3)  # the voices the accompaniment model writes (0 is the melody)


def _cells(rolls: np.ndarray, voices: Sequence[int]) -> np.ndarray:
    rolls = np.asarray(rolls)
    if rolls.ndim == 3:
        rolls = rolls[None]
    if rolls.ndim != 4:
        raise ValueError(f"rolls must be (n, tracks, steps, pitches); got shape {rolls.shape}")
    if max(voices) >= rolls.shape[1] or min(voices) < 0:
        raise ValueError(f"voices {tuple(voices)} do not exist in rolls of {rolls.shape[1]} tracks")
    return frames(rolls)[:, list(voices)]


def copied_share(generated: np.ndarray, real: np.ndarray,
                 voices: Sequence[int] = ACCOMPANIMENT) -> np.ndarray:
    """(n,) share of each generated piece's note-steps (in ``voices``) that
    the real piece at the same index sounds too; see the module notes."""
    gen = _cells(generated, voices)
    ref = _cells(real, voices)
    if gen.shape != ref.shape:
        raise ValueError(f"generated {gen.shape} and real {ref.shape} pieces must have the same shape")
    both = (gen & ref).sum((1, 2, 3)).astype(float)
    written = gen.sum((1, 2, 3)).astype(float)
    out = np.full(len(gen), np.nan)
    np.divide(both, written, out=out, where=written > 0)
    return out


def _bar_keys(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Packed bytes of every bar: (n, bars, nbytes) uint8, and (n, bars) bool
    "something sounds in this bar"."""
    n, voices, steps, pitches = cells.shape
    if steps == 0 or steps % STEPS_PER_BAR:
        raise ValueError(f"rolls must be whole bars of {STEPS_PER_BAR} steps; got {steps} steps")
    bars = steps // STEPS_PER_BAR
    by_bar = cells.reshape(n, voices, bars, STEPS_PER_BAR, pitches).transpose(0, 2, 1, 3, 4)
    by_bar = by_bar.reshape(n, bars, -1)
    return np.packbits(by_bar, axis=-1), by_bar.any(-1)


@dataclass
class CopiedRuns:
    """Per generated piece: the longest copied run and where it comes from."""

    longest_run: np.ndarray  # (n,) int: bars in the longest run (0 = no bar copied)
    source: list[str | None]  # name of the training piece of that run (None if 0)
    copied_bars: np.ndarray  # (n,) float: share of the piece's bars found anywhere in training

    def longest_share(self, bars_per_piece: int) -> np.ndarray:
        """Longest run as a share of the piece's length (1.0 = all of it)."""
        return self.longest_run / float(bars_per_piece)


class TrainingBars:
    """Index of the training set's bars, for ``longest_runs``.

    ``segments`` are training rolls (n, tracks, steps, pitches) and
    ``sources`` their ``(piece, first bar)`` (``Corpus.segment_sources``);
    a piece is a name (str or int) or an object with a ``name`` told apart
    by identity (a ``Piece``: two pieces may share a name). Overlapping
    windows of one piece index each of its bars once.
    ``voices`` are the voices compared: those the model writes.
    """

    def __init__(self, segments: np.ndarray, sources: Sequence[tuple[Any, int]],
                 voices: Sequence[int] = ACCOMPANIMENT):
        self.voices = tuple(int(v) for v in voices)
        cells = _cells(segments, self.voices)
        if len(sources) != len(cells):
            raise ValueError(f"{len(cells)} segments but {len(sources)} sources")
        self.pitches = cells.shape[-1]
        keys, sounding = _bar_keys(cells)
        piece_ids: dict[Any, int] = {}
        self.names: list[str] = []
        self._where: dict[bytes, list[tuple[int, int]]] = {}
        seen: set[tuple[int, int]] = set()
        for row, (piece, first_bar) in enumerate(sources):
            identity = piece if isinstance(piece, (str, int)) else id(piece)
            pid = piece_ids.get(identity)
            if pid is None:
                pid = piece_ids[identity] = len(self.names)
                self.names.append(str(getattr(piece, "name", piece)))
            for b in np.flatnonzero(sounding[row]):
                place = (pid, int(first_bar) + int(b))
                if place not in seen:
                    seen.add(place)
                    self._where.setdefault(keys[row, b].tobytes(), []).append(place)
        self.n_bars = len(seen)

    @classmethod
    def from_corpus(cls, corpus, bars_per_sample: int, voices: Sequence[int] = ACCOMPANIMENT,
                    balance: bool = True) -> TrainingBars:
        return cls(corpus.segments(bars_per_sample, balance),
                   corpus.segment_sources(bars_per_sample, balance), voices)

    def __len__(self) -> int:
        return self.n_bars

    def longest_runs(self, generated: np.ndarray) -> CopiedRuns:
        """Per generated piece, the longest run of bars copied from one
        training piece in order; see the module notes."""
        cells = _cells(generated, self.voices)
        if cells.shape[-1] != self.pitches:
            raise ValueError(f"generated rolls have {cells.shape[-1]} pitches, the index {self.pitches}")
        keys, sounding = _bar_keys(cells)
        n, bars = sounding.shape
        longest = np.zeros(n, dtype=np.int64)
        copied = np.zeros(n)
        source: list[str | None] = [None] * n
        for i in range(n):
            runs: dict[tuple[int, int], int] = {}  # (piece, bar) -> run ending at that bar
            found = 0
            for b in range(bars):
                places = self._where.get(keys[i, b].tobytes(), []) if sounding[i, b] else []
                found += bool(places)
                runs = {(pid, bar): runs.get((pid, bar - 1), 0) + 1 for pid, bar in places}
                for (pid, _), length in runs.items():
                    if length > longest[i]:
                        longest[i], source[i] = length, self.names[pid]
            copied[i] = found / bars
        return CopiedRuns(longest, source, copied)
