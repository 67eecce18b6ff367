"""Parallel fifths and octaves as a number the composer can learn from.

The critic can hear intervals (gan.models.critic.IntervalView), yet a
critic alone left 20-60 times more parallel perfect fifths and octaves
than Bach writes (docs/bench/gan.md): they are rare events the adversarial
signal barely weighs. This counts them directly on the notes the composer
wrote, so they can be a term of its loss (config ``parallel_penalty``).

For two voices and two neighbouring steps, a parallel is both voices moving
by the same nonzero interval ``d`` (up to an octave either way) while they
stand a perfect fifth or an octave apart (interval class 7 or 0). For
one-hot notes the count below is exactly that number; on straight-through
notes (gan.models.notes) its value is the hard count and its gradient says
which pitch probabilities would remove each parallel. Moves across a rest
are not counted (the evaluation metric bridges short rests: this is a
slightly narrower rule, which is enough for a training signal).
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F

from gan.evaluation.voice_leading import FIFTH, OCTAVE

MAX_MOVE = 12  # semitones; a parallel by a larger leap is rare and still a leap


def parallels_per_bar(frames: torch.Tensor, steps_per_bar: int = 16) -> torch.Tensor:
    """(n,) parallel fifths plus octaves per bar, summed over voice pairs.

    ``frames``: (n, voices, steps, pitches) sounding notes in [0, 1], one
    pitch at most per voice and step (monophonic lines); rows are semitones.
    """
    n, voices, steps, pitches = frames.shape
    now, nxt = frames[:, :, :-1], F.pad(frames[:, :, 1:], (MAX_MOVE, MAX_MOVE))
    moves = [d for d in range(-MAX_MOVE, MAX_MOVE + 1) if d != 0]
    # joint[..., d, a]: pitch a now and a + d next (n, voices, steps - 1, moves, pitches)
    joint = torch.stack([now * nxt[..., MAX_MOVE + d: MAX_MOVE + d + pitches] for d in moves], -2)
    rows = torch.arange(pitches, device=frames.device)
    chroma = F.one_hot(rows % 12, 12).to(frames.dtype)  # only differences of classes matter
    by_class = joint @ chroma  # (n, voices, steps - 1, moves, 12): pitch class now
    total = frames.new_zeros(n)
    for upper, lower in itertools.combinations(range(voices), 2):
        u, lo = by_class[:, upper], by_class[:, lower]
        for interval in (FIFTH, OCTAVE):
            # upper class x over lower class x - interval, the same move d for both
            total = total + (u * torch.roll(lo, interval, -1)).sum((1, 2, 3))
    return total / (steps / steps_per_bar)
