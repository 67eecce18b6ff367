"""One WGAN-GP update of the critic and of the generator.

Kept apart from the loop so the benchmark times exactly what training runs.
Everything stays on the device: the functions return loss tensors and never
call ``.item()`` (the loop reads them only at log intervals).

The accompaniment model may add a pix2pix-style reconstruction term to its
loss (``reconstruction_weight``): the cross-entropy between its voices and
the real voices under the same melody. With the critic alone the ``quick``
preset plateaued at a similarity index of about 0.6 on 2 CPU cores; with the
term at 100 it passed 0.85 in minutes (docs/bench/gan.md). The generator
loss the loop reports is the whole loss, term included.

The critic sees binarised generator output (straight-through estimator, see
``fake``). Compared with a textbook loop, three things avoid work without
changing the maths: the fake batch for a critic update is made without
building its graph (``no_grad``), the critic scores real and fake pieces in
one batched forward pass, and during the generator update the critic's
weights are frozen so no gradient is computed for them. On a 2-core CPU
these together measured only about as fast as the textbook loop (1.01x);
the real CPU gain comes from training on the data's pitch rows
(gan.models.pitch_window, 1.8x). See docs/bench/gan.md.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from gan.models.layers import binarize


@dataclass
class Batch:
    real: torch.Tensor  # (n, 4, steps, pitches) floats in {0, 1}
    z: torch.Tensor


def _plain(module):
    """The model inside a DistributedDataParallel wrapper (or the model)."""
    from gan.training.distributed import unwrap

    return unwrap(module)


class Trainer:
    """``generator``/``critic`` may be DistributedDataParallel wrappers: the
    passes whose gradients update that model go through the wrapper (so the
    gradients are averaged over ranks); the others use the plain model."""

    def __init__(self, generator, critic, opt_g, opt_d, *, gp_weight: float,
                 data: torch.Tensor, rng: torch.Generator, batch_size: int,
                 autocast_dtype: torch.dtype | None = None, reconstruction_weight: float = 0.0):
        self.G, self.D = generator, critic
        self.reconstruction_weight = float(reconstruction_weight)
        self.opt_g, self.opt_d = opt_g, opt_d
        self.gp_weight = float(gp_weight)
        self.data = data  # bool (N, 4, steps, pitches) on the device
        self.rng = rng
        self.batch_size = batch_size
        self.device = data.device
        plain_g = _plain(generator)
        self.G_plain, self.D_plain = plain_g, _plain(critic)
        self.conditional = getattr(plain_g, "conditional", False)
        self.latent_shape = tuple(plain_g.latent_shape()) if hasattr(plain_g, "latent_shape") \
            else (plain_g.latent_size,)
        self.autocast_dtype = autocast_dtype
        self.monophonic = bool(getattr(plain_g, "monophonic", False))

    def _autocast(self):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype)

    def batch(self) -> Batch:
        n = self.data.shape[0]
        idx = torch.randint(n, (self.batch_size,), device=self.device, generator=self.rng)
        real = self.data[idx].float()
        z = torch.randn((self.batch_size, *self.latent_shape), device=self.device, generator=self.rng)
        return Batch(real, z)

    def fake(self, b: Batch, generator=None) -> torch.Tensor:
        return self.fake_and_probs(b, generator)[0]

    def fake_and_probs(self, b: Batch, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
        G = self.G if generator is None else generator
        probs = G(b.real[:, 0], b.z) if self.conditional else G(b.z)
        # Straight-through binarisation (as in BinaryMuseGAN): the critic sees
        # the same on/off notes the saved samples will have, while gradients
        # flow through the probabilities. Without it the critic only has to
        # spot "soft" rolls, and the generator can sit below the 0.5 note
        # threshold (silent samples) for hundreds of steps.
        hard = binarize(probs, 0.5, self.monophonic).to(probs.dtype)
        return hard + probs - probs.detach(), probs

    @staticmethod
    def reconstruction(probs: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """Mean binary cross-entropy of the generated voices against the real
        voices that go with the same melody (outside autocast: BCE is not
        autocast-safe)."""
        return torch.nn.functional.binary_cross_entropy(probs[:, 1:].float(), real[:, 1:])

    def critic_step(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """-> (critic loss, Wasserstein estimate, gradient penalty), detached."""
        b = self.batch()
        n = b.real.shape[0]
        with torch.no_grad(), self._autocast():
            fake = self.fake(b, self.G_plain).float()
        alpha = torch.rand((n, 1, 1, 1), device=self.device, generator=self.rng)
        interp = (alpha * b.real + (1 - alpha) * fake).requires_grad_(True)
        with self._autocast():
            scores = self.D(torch.cat([b.real, fake])).float()
            # The interpolated batch gets its own pass: inside one batched pass
            # the gradient penalty's double backward would run over all three
            # batches (measured: slower than the textbook loop).
            d_interp = self.D(interp).float()
        d_real, d_fake = scores[:n], scores[n:]
        grad, = torch.autograd.grad(d_interp.sum(), interp, create_graph=True)
        penalty = ((grad.flatten(1).norm(dim=1) - 1.0) ** 2).mean()
        wasserstein = d_real.mean() - d_fake.mean()
        loss = -wasserstein + self.gp_weight * penalty
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return loss.detach(), wasserstein.detach(), penalty.detach()

    def generator_step(self) -> torch.Tensor:
        b = self.batch()
        # The frozen critic runs unwrapped: it gets no gradients to average.
        self.D_plain.requires_grad_(False)
        try:
            with self._autocast():
                fake, probs = self.fake_and_probs(b)
                loss = -self.D_plain(fake).float().mean()
            if self.conditional and self.reconstruction_weight > 0:
                loss = loss + self.reconstruction_weight * self.reconstruction(probs, b.real)
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_g.step()
        finally:
            self.D_plain.requires_grad_(True)
        return loss.detach()
