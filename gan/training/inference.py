"""A trained generator back from its checkpoint, and pieces from it."""

from __future__ import annotations

import os

import numpy as np

from gan.config import TrainConfig
from gan.models.pitch_window import PitchWindow
from gan.training.checkpoint import load_checkpoint


def load_generator(path: str | os.PathLike, device: str = "cpu"):
    """(generator in eval mode, TrainConfig) from a checkpoint, for composing."""
    from gan.models import build_models
    from gan.training.device import resolve_device

    ckpt = load_checkpoint(path)
    config = TrainConfig.from_dict(ckpt["config"])
    window = PitchWindow(int(ckpt["pitch_offset"]), int(ckpt["n_pitches"]), int(ckpt["full_pitches"]))
    G, _ = build_models(config, int(ckpt["n_steps"]), window, bool(ckpt.get("monophonic", False)))
    # the weight average writes the steadier music, when the run kept one
    G.load_state_dict(ckpt.get("generator_average") or ckpt["generator"])
    from gan.models.part_writing import PartWriting

    G.part_writing = PartWriting.from_dict(ckpt.get("part_writing"))
    return G.to(resolve_device(device)).eval(), config


def generate(path_or_model, *, melody: np.ndarray | None = None, n: int | None = None,
             seed: int = 0, device: str = "cpu") -> np.ndarray:
    """Note-state rolls (n, 4, steps, pitches) from a checkpoint path or a loaded
    generator: the U-Net accompanies ``melody`` (n, steps, pitches); MuseGAN
    writes ``n`` pieces. The same seed gives the same pieces."""
    from gan.training import sampling

    model = path_or_model
    if isinstance(path_or_model, (str, os.PathLike)):
        model, _ = load_generator(path_or_model, device=device)
    return sampling.generate(model, n=n, melody=melody, seed=seed)
