"""Stopping a run that has gone wrong: losses that are no longer numbers, or
numbers far beyond anything a healthy WGAN-GP run shows.

Healthy runs measured on the chorales (every step read; smoke, quick and
lab, U-Net and MuseGAN, with and without the reconstruction term; issue 15,
bench/faults/healthy_losses.py, docs/bench/faults.md): |critic loss| <= 13.5,
|Wasserstein estimate| <= 16.2, gradient penalty (unweighted) <= 0.98,
|generator loss| <= 64 with the reconstruction term at weight 100 (it grows
with that weight: at the largest allowed weight, 10,000, about 6,400).
Runs that "completed" while broken reached critic losses of 4.6e13 to
4.2e19. The limits sit four orders of magnitude above the healthy figures
and far below the broken ones: 1e6 for the three losses, 1e4 for the
penalty (a gradient norm near 100 where a healthy critic keeps it near 1).

The check stays on the device between log intervals (no host sync per
step): the first bad step and its losses are remembered in tensors and read
back only when the loop reads losses anyway (every step on the CPU, at log
steps and epoch ends on an accelerator).
"""

from __future__ import annotations

import math

LOSS_NAMES = ("critic", "generator", "wasserstein", "gradient penalty")
LOSS_LIMITS = (1e6, 1e6, 1e6, 1e4)


def _beyond(value: float, limit: float) -> bool:
    return not math.isfinite(value) or abs(value) > limit


class Diverged(Exception):
    """Training went numerically wrong at ``step``; ``str()`` says how,
    with every loss of that step."""

    def __init__(self, step: int, losses: list[float] | None = None):
        self.step = int(step)
        self.losses = list(losses or [])
        named = list(zip(LOSS_NAMES, self.losses, LOSS_LIMITS))
        bad = [f"{name} {value:.3g}" + ("" if not math.isfinite(value) else
                                       f" (beyond ±{limit:.0e})")
               for name, value, limit in named if _beyond(value, limit)]
        rest = [f"{name} {value:.3g}" for name, value, limit in named
                if not _beyond(value, limit)]
        detail = "; ".join(part for part in (", ".join(bad), ", ".join(rest)) if part)
        super().__init__(f"diverged at step {self.step}" + (f": {detail}" if detail else ""))


class LossGuard:
    """Remembers the first step whose losses were not finite or beyond
    ``LOSS_LIMITS``, and that step's losses."""

    def __init__(self, device):
        import torch

        self._first_bad = torch.full((), -1, dtype=torch.long, device=device)
        self._limits = torch.tensor(LOSS_LIMITS, dtype=torch.float32, device=device)
        self._bad_losses = torch.zeros(len(LOSS_LIMITS), dtype=torch.float32, device=device)

    def observe(self, stacked, step: int) -> None:
        """Record this step's losses (a tensor on the device; no sync)."""
        import torch

        losses = stacked.detach().float()[:len(LOSS_LIMITS)]  # not the generator's parts
        healthy = torch.isfinite(losses) & (losses.abs() <= self._limits[:len(losses)])
        first_now = ~healthy.all() & (self._first_bad < 0)
        self._first_bad = torch.where(first_now, torch.full_like(self._first_bad, step),
                                      self._first_bad)
        self._bad_losses[:len(losses)] = torch.where(first_now, losses,
                                                     self._bad_losses[:len(losses)])

    def first_bad_step(self) -> int:
        """-1 when every step so far was healthy (reads the device)."""
        return int(self._first_bad)

    def check(self) -> None:
        """Raise ``Diverged`` when a step went bad (reads the device)."""
        bad = self.first_bad_step()
        if bad >= 0:
            raise Diverged(bad, self._bad_losses.tolist())
