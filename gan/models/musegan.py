"""MuseGAN (hybrid model): four voices from noise.

Each piece starts from four kinds of latent vectors (Dong et al., 2018):
one shared by all voices and bars (style), one shared by all voices but
unrolled over bars by the shared temporal generator (the piece's time
structure), one per voice (its character) and one per voice unrolled over
bars by the per-track temporal generators (its own time structure). For
every bar, a bar generator per voice turns the four vectors into one bar of
piano roll; bars are concatenated in time.
"""

from __future__ import annotations

import torch
from torch import nn

from gan.models.generator import Generator
from gan.models.notes import MAPS
from gan.models.pitch_window import PitchWindow


TRACKS = 4


class TemporalGenerator(nn.Module):
    """latent -> one latent vector per bar (transposed 1-D convolutions)."""

    def __init__(self, n_bars: int, latent_size: int, width: int):
        super().__init__()
        self.n_bars = n_bars
        self.net = nn.Sequential(nn.Linear(latent_size, width * n_bars), nn.BatchNorm1d(width * n_bars), nn.ReLU())
        self.out = nn.Conv1d(width, latent_size, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.net(z).view(z.shape[0], -1, self.n_bars)
        return self.out(h).transpose(1, 2)  # (n, bars, latent)


class BarGenerator(nn.Module):
    """Four latent vectors -> one bar (MAPS x 16 steps x pitches) of one voice."""

    def __init__(self, latent_size: int, n_pitches: int, width: int):
        super().__init__()
        self.n_pitches = n_pitches
        self.octaves = -(-n_pitches // 12)
        w = width
        self.w = w
        self.project = nn.Sequential(nn.Linear(4 * latent_size, 4 * w * 2 * self.octaves),
                                     nn.BatchNorm1d(4 * w * 2 * self.octaves), nn.ReLU())

        def up_time(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(nn.ConvTranspose2d(cin, cout, (2, 1), stride=(2, 1), bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU())

        # (2 steps, octaves) -> (16 steps, octaves) -> (16 steps, 12 * octaves)
        self.time = nn.Sequential(up_time(4 * w, 2 * w), up_time(2 * w, 2 * w), up_time(2 * w, w))
        self.pitch = nn.ConvTranspose2d(w, MAPS, (1, 12), stride=(1, 12))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        x = self.project(h).view(h.shape[0], 4 * self.w, 2, self.octaves)
        return self.pitch(self.time(x))[..., : self.n_pitches]  # logits (m, MAPS, 16, pitches)


class MuseGenerator(Generator):
    def __init__(self, n_steps: int, window: PitchWindow, monophonic: bool, width: int = 16,
                 latent_size: int = 32):
        super().__init__(n_steps, window, monophonic, latent_size)
        self.n_bars, n_pitches = n_steps // 16, self.n_pitches
        n_bars = self.n_bars
        self.shared_temporal = TemporalGenerator(n_bars, latent_size, width)
        self.track_temporal = nn.ModuleList(TemporalGenerator(n_bars, latent_size, width) for _ in range(TRACKS))
        self.bars = nn.ModuleList(BarGenerator(latent_size, n_pitches, width) for _ in range(TRACKS))

    def latent_shape(self) -> tuple[int, ...]:
        # [style, shared temporal, 4 x track character, 4 x track temporal]
        return (2 + 2 * TRACKS, self.latent_size)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z (n, 10, latent) -> note maps (n, 4 voices, MAPS, bars * 16, pitches)."""
        n, bars, L = z.shape[0], self.n_bars, self.latent_size
        style = z[:, 0, None, :].expand(n, bars, L)
        shared_time = self.shared_temporal(z[:, 1])
        voices = []
        for t in range(TRACKS):
            character = z[:, 2 + t, None, :].expand(n, bars, L)
            own_time = self.track_temporal[t](z[:, 2 + TRACKS + t])
            h = torch.cat([style, shared_time, character, own_time], 2).reshape(n * bars, 4 * L)
            bar_maps = self.bars[t](h).view(n, bars, MAPS, 16, self.n_pitches)
            voices.append(bar_maps.permute(0, 2, 1, 3, 4).reshape(n, MAPS, bars * 16, self.n_pitches))
        return torch.stack(voices, 1)
