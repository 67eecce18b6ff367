"""Stopping a run that has gone wrong: losses that are no longer numbers.

The check stays on the device between log intervals (no host sync per
step): the first bad step is remembered in a tensor and read back only when
the loop reads losses anyway (every step on the CPU, at log steps and epoch
ends on an accelerator).
"""

from __future__ import annotations

import math

LOSS_NAMES = ("critic", "generator", "wasserstein", "gradient penalty")


class Diverged(Exception):
    """Training went numerically wrong at ``step``; ``str()`` says how."""

    def __init__(self, step: int, losses: list[float] | None = None):
        self.step = int(step)
        self.losses = list(losses or [])
        detail = ", ".join(f"{name} {value:.3g}" for name, value in zip(LOSS_NAMES, self.losses)
                           if not math.isfinite(value))
        super().__init__(f"diverged at step {self.step}" + (f" ({detail})" if detail else ""))


class LossGuard:
    """Remembers the first step whose losses were not finite."""

    def __init__(self, device):
        import torch

        self._first_bad = torch.full((), -1, dtype=torch.long, device=device)
        self._last = None

    def observe(self, stacked, step: int) -> None:
        """Record this step's losses (a tensor on the device; no sync)."""
        import torch

        bad = ~torch.isfinite(stacked).all()
        self._first_bad = torch.where(bad & (self._first_bad < 0),
                                      torch.full_like(self._first_bad, step), self._first_bad)
        self._last = stacked

    def first_bad_step(self) -> int:
        """-1 when every step so far was finite (reads the device)."""
        return int(self._first_bad)

    def check(self) -> None:
        """Raise ``Diverged`` when a step went bad (reads the device)."""
        bad = self.first_bad_step()
        if bad >= 0:
            raise Diverged(bad, self._last.tolist() if self._last is not None else None)
