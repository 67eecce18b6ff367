"""WGAN-GP critic shared by both families.

It sees the whole four-voice piece (the melody is voice 0, so for the
accompaniment model it sees the piece together with its melody) as an
8-channel image (time x pitch): which cells sound, and where notes start,
for each voice. No batch norm: the gradient penalty is defined per sample,
and batch statistics would couple the samples.

A second, small part listens *between* the voices (``IntervalView``). The
image convolutions see four pitch rows at a time, so a fifth (7 rows) or an
octave (12) between two voices is invisible to their first layer and
blurred in the later ones: measured, their samples had 25-60 times Bach's
parallel fifths and octaves. The interval view gives the critic, for every
pair of voices and every step, the interval class between them (a circular
correlation of their pitch classes) and each voice's height and onsets, and
runs 1-D convolutions over time, where "a fifth, then a fifth, both voices
moving the same way" is a pattern of two consecutive steps.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from gan.models.layers import padded_pitches


class IntervalView(nn.Module):
    """Voice pairs' interval classes, voice heights and onsets over time -> a score."""

    def __init__(self, n_steps: int, n_pitches: int, width: int, tracks: int = 4):
        super().__init__()
        self.pairs = list(itertools.combinations(range(tracks), 2))
        rows = torch.arange(n_pitches)
        # pitch class of each row (up to a constant: only differences matter)
        self.register_buffer("chroma", nn.functional.one_hot(rows % 12, 12).float(), persistent=False)
        self.register_buffer("height", (rows.float() / max(1, n_pitches - 1)), persistent=False)
        upper, lower = zip(*self.pairs)
        self.register_buffer("upper", torch.tensor(upper), persistent=False)
        self.register_buffer("lower", torch.tensor(lower), persistent=False)
        # circulant[y, x * 12 + k] = 1 where x - k = y (mod 12): ``lower @ circulant``
        # lays out, for each upper pitch class x and interval class k, whether the
        # lower voice sounds x - k
        pcs = torch.arange(12)
        y = (pcs[:, None] - pcs[None, :]) % 12  # [x, k]
        self.register_buffer("circulant", nn.functional.one_hot(y.flatten(), 12).float().T.contiguous(),
                             persistent=False)
        channels = 12 * len(self.pairs) + 2 * tracks
        w = max(2, width)
        self.net = nn.Sequential(
            nn.Conv1d(channels, 2 * w, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv1d(2 * w, 2 * w, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv1d(2 * w, 4 * w, 4, stride=2, padding=1), nn.LeakyReLU(0.2))
        self.head = nn.Linear(4 * w * (n_steps // 4), 1)

    def features(self, frames: torch.Tensor, onsets: torch.Tensor) -> torch.Tensor:
        """What the view hears, before it is scored: (n, channels, steps / 4)."""
        chroma = frames @ self.chroma  # (n, tracks, T, 12)
        lower = (chroma[:, self.lower] @ self.circulant).unflatten(-1, (12, 12))  # (n, pairs, T, x, k)
        intervals = (chroma[:, self.upper].unsqueeze(-2) @ lower).squeeze(-2)  # (n, pairs, T, k)
        intervals = intervals.permute(0, 1, 3, 2).flatten(1, 2)  # (n, pairs * 12, T)
        height = frames @ self.height  # (n, tracks, T): row of the sounding note, 0 when silent
        x = torch.cat([intervals, height, onsets.amax(-1)], 1)
        return self.net(x * 2.0 - 1.0)

    def forward(self, frames: torch.Tensor, onsets: torch.Tensor) -> torch.Tensor:
        """frames, onsets (n, tracks, steps, pitches) in [0, 1] -> (n,) scores."""
        return self.head(self.features(frames, onsets).flatten(1)).squeeze(1)


class Critic(nn.Module):
    def __init__(self, n_steps: int, n_pitches: int, width: int = 16, tracks: int = 4, planes: int = 2,
                 intervals: bool = True):
        super().__init__()
        self.n_pitches, self.tracks = n_pitches, tracks
        self.padded = padded_pitches(n_pitches)
        w = width
        chans = [tracks * planes, w, 2 * w, 4 * w, 8 * w]
        layers: list[nn.Module] = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            # 4x4 stride-2 convolutions halve time and pitch at each level
            layers += [nn.Conv2d(cin, cout, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(8 * w * (n_steps // 16) * (self.padded // 16), 1)
        self.intervals = IntervalView(n_steps, n_pitches, w, tracks) if intervals else None

    def forward(self, piece: torch.Tensor) -> torch.Tensor:
        """piece: (n, 8, steps, pitches) floats in [0, 1] (4 voices' sounding
        cells, then their onsets) -> (n,) scores."""
        pad = self.padded - self.n_pitches
        x = nn.functional.pad(piece * 2.0 - 1.0, (0, pad))  # centred input
        score = self.head(self.features(x).flatten(1)).squeeze(1)
        if self.intervals is not None:
            score = score + self.intervals(piece[:, :self.tracks], piece[:, self.tracks:])
        return score
