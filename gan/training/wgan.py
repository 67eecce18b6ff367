"""One WGAN-GP update of the critic and of the generator.

Kept apart from the loop so the benchmark times exactly what training runs.
Everything stays on the device: the functions return loss tensors and never
call ``.item()`` (the loop reads them only at log intervals).

What the critic sees: a whole piece as sounding cells and note onsets for
each of the four voices (gan.models.critic). For the accompaniment model the
top voice is the real melody the generator was given, so the critic judges
the accompaniment *under its melody*. Generated voices reach it as the hard
notes the saved samples will have (straight-through, gan.models.notes).

Optional parts, each a config setting (docs/bench/gan.md has their
measured effect): a pix2pix-style reconstruction term for the accompaniment
model (``reconstruction_weight``); transposition of every batch
(``transpose``, gan.training.augment); an exponential moving average of the
generator's weights (``ema_decay``, gan.training.ema); a penalty on the
parallel fifths and octaves the composer writes (``parallel_penalty``,
gan.models.voice_rules).

Three things avoid work without changing the maths: the fake batch for a
critic update is made without building its graph (``no_grad``), the critic
scores real and fake pieces in one batched forward pass, and during the
generator update the critic's weights are frozen so no gradient is computed
for them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from gan.models import notes
from gan.models.voice_rules import parallels_per_bar


@dataclass
class Batch:
    frames: torch.Tensor  # (n, 4, steps, pitches) floats in {0, 1}: real sounding cells
    onsets: torch.Tensor  # (n, 4, steps, pitches): real note starts
    z: torch.Tensor

    def piece(self) -> torch.Tensor:
        return torch.cat([self.frames, self.onsets], 1)


def _plain(module):
    """The model inside a DistributedDataParallel wrapper (or the model)."""
    from gan.training.distributed import unwrap

    return unwrap(module)


class Trainer:
    """``generator``/``critic`` may be DistributedDataParallel wrappers: the
    passes whose gradients update that model go through the wrapper (so the
    gradients are averaged over ranks); the others use the plain model.
    ``data``: note-state rolls (int8, gan.data.roll) on the device."""

    def __init__(self, generator, critic, opt_g, opt_d, *, gp_weight: float,
                 data: torch.Tensor, rng: torch.Generator, batch_size: int,
                 autocast_dtype: torch.dtype | None = None, reconstruction_weight: float = 0.0,
                 parallel_penalty: float = 0.0, shift_bounds: torch.Tensor | None = None, average=None):
        self.G, self.D = generator, critic
        self.opt_g, self.opt_d = opt_g, opt_d
        self.gp_weight = float(gp_weight)
        self.reconstruction_weight = float(reconstruction_weight)
        self.parallel_penalty = float(parallel_penalty)
        # a tensor, so a captured CUDA graph sees it change (set_reconstruction_scale)
        self.reconstruction_scale = torch.ones((), device=data.device)
        self.data = data
        self.rng = rng
        self.batch_size = batch_size
        self.device = data.device
        self.G_plain, self.D_plain = _plain(generator), _plain(critic)
        self.conditional = self.G_plain.conditional
        # The generated voices as a device tensor: indexing with a Python list
        # would copy an index from the CPU at every step, which a CUDA graph
        # cannot capture (measured on an H100: the capture failed for quick).
        self.voice_index = torch.tensor(list(getattr(self.G_plain, "voices", ())), dtype=torch.long,
                                        device=data.device)
        self.monophonic = self.G_plain.monophonic
        self.latent_shape = tuple(self.G_plain.latent_shape())
        self.autocast_dtype = autocast_dtype
        self.shift_bounds = shift_bounds  # (N, 2) allowed transpositions, or None
        self.average = average  # gan.training.ema.WeightAverage, or None

    def set_reconstruction_scale(self, scale: float) -> None:
        """Scale the reconstruction term (1 = full weight), in place."""
        self.reconstruction_scale.fill_(float(scale))

    def _autocast(self):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype)

    def batch(self) -> Batch:
        n = self.data.shape[0]
        idx = torch.randint(n, (self.batch_size,), device=self.device, generator=self.rng)
        state = self.data[idx]
        if self.shift_bounds is not None:
            from gan.training.augment import transpose_batch

            lo, hi = self.shift_bounds[idx, 0], self.shift_bounds[idx, 1]
            u = torch.rand(self.batch_size, device=self.device, generator=self.rng)
            shifts = lo + torch.floor(u * (hi - lo + 1)).long().clamp(max=hi - lo)
            state = transpose_batch(state, shifts)
        frames, starts = notes.from_state(state)
        z = torch.randn((self.batch_size, *self.latent_shape), device=self.device, generator=self.rng)
        return Batch(frames, starts, z)

    def fake(self, b: Batch, generator=None) -> tuple[torch.Tensor, notes.NoteProbs]:
        """(the generated piece as the critic sees it (n, 8, T, P), its note
        probabilities). For the accompaniment model the top voice is the real
        melody of ``b``."""
        G = self.G if generator is None else generator
        maps = G(b.frames[:, 0], b.onsets[:, 0], b.z) if self.conditional else G(b.z)
        probs = notes.probabilities(maps, self.monophonic)
        frames, starts = notes.straight_through(probs, self.monophonic)
        if self.conditional:
            frames = torch.cat([b.frames[:, :1], frames], 1)
            starts = torch.cat([b.onsets[:, :1], starts], 1)
        return torch.cat([frames, starts], 1), probs

    def critic_step(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """-> (critic loss, Wasserstein estimate, gradient penalty), detached."""
        b = self.batch()
        real = b.piece()
        n = real.shape[0]
        with torch.no_grad(), self._autocast():
            fake = self.fake(b, self.G_plain)[0].float()
        alpha = torch.rand((n, 1, 1, 1), device=self.device, generator=self.rng)
        interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        with self._autocast():
            scores = self.D(torch.cat([real, fake])).float()
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
                fake, probs = self.fake(b)
                adversarial = -self.D_plain(fake).float().mean()
            loss = adversarial
            reconstruction = torch.zeros((), device=self.device)
            if self.conditional and self.reconstruction_weight > 0:
                reconstruction = self.reconstruction_weight * self.reconstruction_scale * notes.reconstruction_loss(
                    probs, b.frames.index_select(1, self.voice_index),
                    b.onsets.index_select(1, self.voice_index), self.monophonic)
                loss = loss + reconstruction
            if self.parallel_penalty > 0:
                voices = fake.shape[1] // 2  # sounding cells first, then onsets
                loss = loss + self.parallel_penalty * parallels_per_bar(fake[:, :voices]).mean()
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_g.step()
        finally:
            self.D_plain.requires_grad_(True)
        if self.average is not None:
            self.average.update()
        # the two parts the charts show beside the whole (a device tensor: no sync)
        self.generator_parts = torch.stack([adversarial.detach(), reconstruction.detach()])
        return loss.detach()
