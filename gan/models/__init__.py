"""The two GAN families: the accompaniment U-Net and MuseGAN.

``build_models(config, n_steps, n_pitches)`` returns ``(generator, critic)``
for the config's architecture, sized for the chosen data (steps per piece =
bars * 16, number of pitch rows). Both generators output per-note
probabilities in [0, 1] for all four voices, so the training loop, the
critic and the metrics never need to know which family they are handling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch stays out of ``import gan.models`` for type hints only
    import torch


def build_models(config, n_steps: int, n_pitches: int) -> tuple["torch.nn.Module", "torch.nn.Module"]:
    from gan.models.critic import Critic

    if n_steps % 16:
        raise ValueError(f"pieces must be whole 4/4 bars of 16 steps; got {n_steps} steps")
    if config.architecture == "unet":
        from gan.models.unet import AccompanimentUNet

        gen = AccompanimentUNet(n_steps, n_pitches, width=config.width, latent_size=config.latent_size)
    elif config.architecture == "musegan":
        from gan.models.musegan import MuseGenerator

        gen = MuseGenerator(n_steps // 16, n_pitches, width=config.width, latent_size=config.latent_size)
    else:
        raise ValueError(f"unknown architecture {config.architecture!r} (known: unet, musegan)")
    return gen, Critic(n_steps, n_pitches, width=config.width)


def count_parameters(module) -> int:
    return sum(p.numel() for p in module.parameters())
