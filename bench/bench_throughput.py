"""Throughput: Polyphony's WGAN-GP training iteration vs a plain eager loop.

Both train the same models (gan.models at the chosen preset, ``lab`` by
default: width 64, batch 64, 5 critic updates) on the same data (the built-in
chorales), in the same process, timed in alternating rounds so that load
from other processes hits both alike. One iteration = ``critic_updates``
critic updates + one generator update.

- ``eager``: the textbook loop written below (fake batch built with graph
  then detached, separate critic passes for real / fake / interpolated,
  critic gradients computed during the generator update, ``.item()`` every
  update) on the full 84 pitch rows.
- ``polyphony``: gan.training.wgan.Trainer, what gan.training.loop runs, on the same 84 rows.
- ``polyphony+window``: the same on the pitch rows the data uses (what
  gan.training.loop actually does: chorales use 46 rows -> a 48-row window).

    .venv/bin/python bench/bench_throughput.py --preset lab --rounds 3
    .venv/bin/python bench/bench_throughput.py --preset lab --device cuda --rounds 10
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402


class EagerLoop:
    """The plain PyTorch WGAN-GP loop a tutorial would write."""

    def __init__(self, G, D, data, batch_size, critic_updates, gp_weight, lr, betas, seed):
        self.G, self.D, self.data = G, D, data
        self.bs, self.k, self.gp_weight = batch_size, critic_updates, gp_weight
        self.opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
        self.gen = torch.Generator(device=data.device).manual_seed(seed)
        self.history: list[tuple[float, float]] = []

    def _batch(self):
        idx = torch.randint(len(self.data), (self.bs,), device=self.data.device, generator=self.gen)
        real = self.data[idx].float()
        z = torch.randn(self.bs, self.G.latent_size, device=self.data.device, generator=self.gen)
        return real, z

    def iteration(self) -> None:
        for _ in range(self.k):
            real, z = self._batch()
            fake = self.G(real[:, 0], z)
            d_real = self.D(real)
            d_fake = self.D(fake.detach())
            alpha = torch.rand(self.bs, 1, 1, 1, device=real.device, generator=self.gen)
            interp = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
            grad = torch.autograd.grad(self.D(interp).sum(), interp, create_graph=True)[0]
            gp = ((grad.view(self.bs, -1).norm(2, dim=1) - 1) ** 2).mean()
            d_loss = d_fake.mean() - d_real.mean() + self.gp_weight * gp
            self.opt_d.zero_grad()
            d_loss.backward()
            self.opt_d.step()
            d_value = d_loss.item()
        real, z = self._batch()
        g_loss = -self.D(self.G(real[:, 0], z)).mean()
        self.opt_g.zero_grad()
        g_loss.backward()
        self.opt_g.step()
        self.history.append((d_value, g_loss.item()))


class PolyphonyLoop:
    def __init__(self, G, D, data, batch_size, critic_updates, gp_weight, lr, betas, seed, autocast):
        from gan.training.wgan import Trainer

        self.k = critic_updates
        opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
        opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
        self.trainer = Trainer(G, D, opt_g, opt_d, gp_weight=gp_weight, data=data,
                               rng=torch.Generator(device=data.device).manual_seed(seed),
                               batch_size=batch_size, autocast_dtype=autocast)

    def iteration(self) -> None:
        for _ in range(self.k):
            self.trainer.critic_step()
        self.trainer.generator_step()


def sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="lab")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (after one warm-up)")
    parser.add_argument("--iters", type=int, default=1, help="iterations per loop per round")
    parser.add_argument("--batch-size", type=int, default=0, help="override the preset's batch size")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    from gan.config import preset
    from gan.data.corpus import Corpus
    from gan.training.device import cpu_threads, device_label, resolve_device
    from gan.models import build_models
    from gan.models.pitch_window import PitchWindow

    torch.set_num_threads(args.threads or cpu_threads())
    device = resolve_device(args.device)
    cfg = preset(args.preset, "unet")
    if args.batch_size:
        cfg = cfg.with_overrides({"batch_size": args.batch_size})
    full = Corpus.load(["chorale"], include_imports=False).segments(cfg.bars_per_sample)
    window = PitchWindow.fit(full)
    autocast = torch.bfloat16 if device.type == "cuda" and torch.cuda.is_bf16_supported() else None
    common = dict(batch_size=cfg.batch_size, critic_updates=cfg.critic_updates, gp_weight=cfg.gp_weight,
                  lr=cfg.generator_lr, betas=(cfg.beta1, cfg.beta2), seed=cfg.seed)

    def models(pitches):
        torch.manual_seed(cfg.seed)
        G, D = build_models(cfg, full.shape[2], pitches)
        return G.to(device), D.to(device)

    data_full = torch.as_tensor(full, device=device)
    data_window = torch.as_tensor(window.crop(full), device=device)
    loops = {
        "eager": EagerLoop(*models(full.shape[3]), data_full, **common),
        "polyphony": PolyphonyLoop(*models(full.shape[3]), data_full, autocast=autocast, **common),
        "polyphony+window": PolyphonyLoop(*models(window.size), data_window, autocast=autocast, **common),
    }
    monophonic = bool((full.sum(-1) <= 1).all())  # as gan.training.loop decides
    for name in ("polyphony", "polyphony+window"):
        loops[name].trainer.monophonic = monophonic
    times: dict[str, list[float]] = {name: [] for name in loops}
    for loop in loops.values():  # warm-up: allocator, kernels, lazy imports
        loop.iteration()
    for round_ in range(1, args.rounds + 1):
        for name, loop in loops.items():
            sync(device)
            t = time.perf_counter()
            for _ in range(args.iters):
                loop.iteration()
            sync(device)
            times[name].append((time.perf_counter() - t) / args.iters)
        print(f"round {round_}: " + ", ".join(f"{n} {times[n][-1]:.3f}s" for n in loops), flush=True)
    median = {n: statistics.median(v) for n, v in times.items()}
    result = {
        "preset": args.preset, "device": device_label(device), "threads": torch.get_num_threads(),
        "batch_size": cfg.batch_size, "critic_updates": cfg.critic_updates, "width": cfg.width,
        "pitch_rows": {"full": full.shape[3], "window": window.size},
        "seconds_per_iteration_median": median, "all": times,
        "speedup_vs_eager": {n: median["eager"] / median[n] for n in loops},
        "machine": f"{platform.machine()}, {cpu_threads()} cores", "load_average": os.getloadavg(),
        "torch": torch.__version__,
    }
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
