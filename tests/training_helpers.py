"""A small trainer trained a few steps, for tests that compare one loss term on and off."""

from __future__ import annotations

import contextlib

import torch


@contextlib.contextmanager
def one_torch_thread():
    """The order of a convolution's sums follows the thread count, and a GAN
    amplifies the rounding: comparisons run on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def trained_trainer(cfg, data, state: torch.Tensor, steps: int, **terms):
    """A ``Trainer`` for the smoke-sized models, ``steps`` critic+generator
    updates from seed 0 at learning rate 1e-2; ``terms``: its loss weights."""
    from gan.models import build_models
    from gan.training.wgan import Trainer

    torch.manual_seed(0)
    G, D = build_models(cfg, data.shape[2], data.shape[3], monophonic=True)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-2, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-2, betas=(0.5, 0.9))
    trainer = Trainer(G, D, opt_g, opt_d, gp_weight=10.0, data=state,
                      rng=torch.Generator().manual_seed(0), batch_size=8, **terms)
    for _ in range(steps):
        trainer.critic_step()
        trainer.generator_step()
    return trainer
