"""An exponential moving average of the generator's weights.

GANs' weights wander from step to step; their average over the last few
hundred steps writes steadier music (as in ProGAN/StyleGAN). The average
model, not the one being trained, makes the epoch samples, the scores and
what Compose uses. It is updated on the device, with no host sync.
"""

from __future__ import annotations

import copy

import torch


class WeightAverage:
    def __init__(self, model: torch.nn.Module, decay: float):
        self.decay = float(decay)
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self._params = list(self.model.parameters())
        self._source_params = list(model.parameters())
        self._buffers = list(self.model.buffers())
        self._source_buffers = list(model.buffers())

    @torch.no_grad()
    def update(self) -> None:
        torch._foreach_lerp_(self._params, self._source_params, 1.0 - self.decay)
        for mine, theirs in zip(self._buffers, self._source_buffers):
            mine.copy_(theirs)  # BatchNorm's running statistics follow the model

    def state_dict(self) -> dict:
        return self.model.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state)
