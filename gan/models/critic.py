"""WGAN-GP critic shared by both families.

It sees the whole four-voice piece (the melody is voice 0, so for the
accompaniment model it sees the piece together with its melody) as an
8-channel image (time x pitch): which cells sound, and where notes start,
for each voice. No batch norm: the gradient penalty is
defined per sample, and batch statistics would couple the samples.
"""

from __future__ import annotations

import torch
from torch import nn

from gan.models.layers import padded_pitches


class Critic(nn.Module):
    def __init__(self, n_steps: int, n_pitches: int, width: int = 16, tracks: int = 4, planes: int = 2):
        super().__init__()
        self.n_pitches = n_pitches
        self.padded = padded_pitches(n_pitches)
        w = width
        chans = [tracks * planes, w, 2 * w, 4 * w, 8 * w]
        layers: list[nn.Module] = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            # 4x4 stride-2 convolutions halve time and pitch at each level
            layers += [nn.Conv2d(cin, cout, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(8 * w * (n_steps // 16) * (self.padded // 16), 1)

    def forward(self, piece: torch.Tensor) -> torch.Tensor:
        """piece: (n, 8, steps, pitches) floats in [0, 1] (4 voices' sounding
        cells, then their onsets) -> (n,) scores."""
        pad = self.padded - self.n_pitches
        x = nn.functional.pad(piece * 2.0 - 1.0, (0, pad))  # centred input
        return self.head(self.features(x).flatten(1)).squeeze(1)
