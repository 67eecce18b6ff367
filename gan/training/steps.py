"""How one training iteration runs: ``critic_updates`` critic steps, then
one generator step, returning the losses as one tensor on the device (the
four of ``LOSSES`` and the generator loss's two parts).

``make_runner`` picks the way: the eager loop, or on an NVIDIA GPU a CUDA
graph replay of the same iteration (gan.training.cuda_graph), so the loop
in ``gan.training.loop`` never changes with the way iterations are executed.
"""

from __future__ import annotations

from collections.abc import Callable

from gan.config import TrainConfig


class Cancelled(Exception):
    """``should_stop`` answered yes between two updates."""


class EagerIterations:
    """Plain Python: each update is its own series of kernel launches."""

    name = "eager"

    def __init__(self, trainer, critic_updates: int):
        self.trainer = trainer
        self.critic_updates = int(critic_updates)

    def __call__(self, should_stop: Callable[[], bool]):
        """-> tensor ``[critic loss, generator loss, Wasserstein, penalty,
        adversarial part, reconstruction part]``."""
        import torch

        for _ in range(self.critic_updates):
            if should_stop():
                raise Cancelled
            d_loss, wass, gp = self.trainer.critic_step()
        if should_stop():
            raise Cancelled
        g_loss = self.trainer.generator_step()
        return torch.cat([torch.stack([d_loss, g_loss, wass, gp]), self.trainer.generator_parts])


def make_runner(trainer, config: TrainConfig, device, notice: Callable[[str, str], None]):
    """The iteration runner for this device. ``notice(sentence, level)``
    puts a sentence in the job's events (``info``, or ``warning`` for why
    a faster path was not used).

    On CUDA the whole iteration becomes one CUDA graph
    (gan.training.cuda_graph) unless ``config.cuda_graph`` is 0 or the run
    cannot use one (said through ``notice``); elsewhere it runs eagerly.
    """
    eager = EagerIterations(trainer, config.critic_updates)
    if getattr(device, "type", str(device)) != "cuda":
        return eager
    from gan.training.cuda_graph import GraphIterations, refusal

    why_not = refusal(config, device)
    if why_not:
        notice(why_not, "info" if not config.cuda_graph else "warning")
        return eager
    return GraphIterations(eager, device, notice)
