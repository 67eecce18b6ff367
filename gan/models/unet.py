"""Accompaniment U-Net: melody in, the three other voices out.

The melody (which steps sound, where notes start, and a channel holding
each row's pitch height, since convolutions cannot tell high from low by
themselves) goes through four stride-2 encoder levels; the latent noise is
tiled over the bottleneck and mixed in by a 1x1 convolution; the decoder
mirrors the encoder with skip connections from each encoder level, so the
accompaniment lines up with the melody note for note. The output is three
note maps (gan.models.notes) for each of the three voices under the melody.

At width 64, 4 bars and 84 pitches it has about 8.6 M parameters (the
hosted console's lab model has 8.3 M); its critic has 2.8 M.
"""

from __future__ import annotations

import torch
from torch import nn

from gan.models.generator import Generator
from gan.models.layers import padded_pitches
from gan.models.notes import MAPS
from gan.models.pitch_window import PitchWindow


def _down(cin: int, cout: int, norm: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 4, stride=2, padding=1, bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU())


class AccompanimentUNet(Generator):
    conditional = True
    voices = (1, 2, 3)

    def __init__(self, n_steps: int, window: PitchWindow, monophonic: bool, width: int = 16,
                 latent_size: int = 32):
        super().__init__(n_steps, window, monophonic, latent_size)
        self.padded = padded_pitches(self.n_pitches)
        w = width
        self.register_buffer("pitch_height", torch.linspace(-1.0, 1.0, self.padded), persistent=False)
        self.enc1 = _down(3, w, norm=False)
        self.enc2 = _down(w, 2 * w)
        self.enc3 = _down(2 * w, 4 * w)
        self.enc4 = _down(4 * w, 8 * w)
        self.mix = nn.Sequential(nn.Conv2d(8 * w + latent_size, 8 * w, 1, bias=False),
                                 nn.BatchNorm2d(8 * w), nn.ReLU())
        self.dec4 = _up(16 * w, 4 * w)  # bottleneck + enc4 skip
        self.dec3 = _up(8 * w, 2 * w)
        self.dec2 = _up(4 * w, w)
        self.dec1 = nn.ConvTranspose2d(2 * w, len(self.voices) * MAPS, 4, stride=2, padding=1)

    def forward(self, melody: torch.Tensor, melody_onsets: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """melody, melody_onsets (n, steps, pitches) in {0, 1}, z (n, latent)
        -> note maps (n, 3 voices, MAPS, steps, pitches)."""
        pad = self.padded - self.n_pitches
        x = torch.stack([melody * 2.0 - 1.0, melody_onsets * 2.0 - 1.0], 1)
        x = nn.functional.pad(x, (0, pad))
        height = self.pitch_height.view(1, 1, 1, -1).expand(x.shape[0], 1, x.shape[2], -1)
        x = torch.cat([x, height.to(x.dtype)], 1)
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        e4 = self.enc4(e3)
        noise = z[:, :, None, None].expand(-1, -1, e4.shape[2], e4.shape[3])
        b = self.mix(torch.cat([e4, noise.to(e4.dtype)], 1))
        d4 = self.dec4(torch.cat([b, e4], 1))
        d3 = self.dec3(torch.cat([d4, e3], 1))
        d2 = self.dec2(torch.cat([d3, e2], 1))
        out = self.dec1(torch.cat([d2, e1], 1))[..., : self.n_pitches]
        return out.view(out.shape[0], len(self.voices), MAPS, out.shape[2], self.n_pitches)
