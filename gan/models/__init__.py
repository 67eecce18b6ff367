"""The two GAN families: the accompaniment U-Net and MuseGAN.

``build_models(config, n_steps, window, monophonic)`` returns ``(generator,
critic)`` for the config's architecture, sized for the chosen data (steps
per piece = bars * 16, the pitch rows of ``window``). The generator owns
its facts (``pitch_window``, ``monophonic``, ``n_steps``: see ``facts()``),
which checkpoints save and ``gan.training.inference`` rebuilds it from.
Both generators write raw note maps for the voices they compose
(gan.models.notes turns them into notes), so the training loop, the critic
and the metrics never need to know which family they are handling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch stays out of ``import gan.models`` for type hints only
    import torch

    from gan.models.pitch_window import PitchWindow


def build_models(config, n_steps: int, window: "PitchWindow | int | None" = None,
                 monophonic: bool = False) -> tuple["torch.nn.Module", "torch.nn.Module"]:
    """``window``: the pitch rows the model sees (a ``PitchWindow``, or a
    number of rows for a window at the bottom of an equally wide roll)."""
    from gan.models.critic import Critic
    from gan.models.pitch_window import PitchWindow

    if n_steps % 16:
        raise ValueError(f"pieces must be whole 4/4 bars of 16 steps; got {n_steps} steps")
    if window is None:
        from gan.data.roll import N_PITCHES

        window = N_PITCHES
    if isinstance(window, int):
        window = PitchWindow(0, window, window)
    if config.architecture == "unet":
        from gan.models.unet import AccompanimentUNet

        gen = AccompanimentUNet(n_steps, window, monophonic, width=config.width,
                                latent_size=config.latent_size)
    elif config.architecture == "musegan":
        from gan.models.musegan import MuseGenerator

        gen = MuseGenerator(n_steps, window, monophonic, width=config.width,
                            latent_size=config.latent_size)
    else:
        raise ValueError(f"unknown architecture {config.architecture!r} (known: unet, musegan)")
    return gen, Critic(n_steps, window.size, width=config.width,
                       intervals=bool(getattr(config, "interval_critic", 1)))


def count_parameters(module) -> int:
    return sum(p.numel() for p in module.parameters())
