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
- ``polyphony+window+graph`` (CUDA only, unless ``--no-graph``): the same
  iteration replayed as one CUDA graph (gan.training.cuda_graph, what the
  loop runs on an NVIDIA GPU); its warm-up and capture happen in the
  untimed first round, and its notice (graph used, or why not) is printed.

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

import torch


class EagerLoop:
    """The plain PyTorch WGAN-GP loop a tutorial would write, on the same
    models, batches and note decoding as gan.training.wgan.Trainer."""

    def __init__(self, G, D, data, batch_size, critic_updates, gp_weight, lr, betas, seed):
        from gan.training.wgan import Trainer

        self.G, self.D = G, D
        self.k, self.gp_weight = critic_updates, gp_weight
        self.opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
        # Only for its batches (random pieces, noise) and its note decoding.
        self.source = Trainer(G, D, self.opt_g, self.opt_d, gp_weight=gp_weight, data=data,
                              rng=torch.Generator(device=data.device).manual_seed(seed),
                              batch_size=batch_size)
        self.history: list[tuple[float, float]] = []

    def iteration(self) -> None:
        for _ in range(self.k):
            b = self.source.batch()
            real = b.piece()
            n = real.shape[0]
            fake = self.source.fake(b)[0]  # with its graph, detached below
            d_real = self.D(real)
            d_fake = self.D(fake.detach())
            alpha = torch.rand(n, 1, 1, 1, device=real.device, generator=self.source.rng)
            interp = (alpha * real + (1 - alpha) * fake.detach()).requires_grad_(True)
            grad = torch.autograd.grad(self.D(interp).sum(), interp, create_graph=True)[0]
            gp = ((grad.view(n, -1).norm(2, dim=1) - 1) ** 2).mean()
            d_loss = d_fake.mean() - d_real.mean() + self.gp_weight * gp
            self.opt_d.zero_grad()
            d_loss.backward()
            self.opt_d.step()
            d_value = d_loss.item()
        g_loss = -self.D(self.source.fake(self.source.batch())[0]).mean()
        self.opt_g.zero_grad()
        g_loss.backward()
        self.opt_g.step()
        self.history.append((d_value, g_loss.item()))


class PolyphonyLoop:
    def __init__(self, G, D, data, batch_size, critic_updates, gp_weight, lr, betas, seed, autocast,
                 graph: bool = False):
        from gan.training.steps import EagerIterations
        from gan.training.wgan import Trainer

        opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas, capturable=graph)
        opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas, capturable=graph)
        self.trainer = Trainer(G, D, opt_g, opt_d, gp_weight=gp_weight, data=data,
                               rng=torch.Generator(device=data.device).manual_seed(seed),
                               batch_size=batch_size, autocast_dtype=autocast)
        self.runner = EagerIterations(self.trainer, critic_updates)
        self.notices: list[str] = []
        if graph:
            from gan.training.cuda_graph import GraphIterations

            self.runner = GraphIterations(self.runner, data.device,
                                          lambda text, level="info": self.notices.append(text))

    def iteration(self) -> None:
        self.runner(lambda: False)


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
    parser.add_argument("--no-graph", action="store_true", help="on CUDA, leave out the CUDA-graph loop")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    from gan.config import preset
    from gan.data.corpus import Corpus
    from gan.data.roll import frames
    from gan.models import build_models
    from gan.models.pitch_window import PitchWindow
    from gan.training.device import cpu_threads, device_label, resolve_device

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

    monophonic = bool((frames(full).sum(-1) <= 1).all())  # as gan.training.session decides

    def models(rows):  # a number of pitch rows, or the PitchWindow (as training does)
        torch.manual_seed(cfg.seed)
        G, D = build_models(cfg, full.shape[2], rows, monophonic)
        return G.to(device), D.to(device)

    data_full = torch.as_tensor(full, device=device)
    data_window = torch.as_tensor(window.crop(full), device=device)
    loops = {
        "eager": EagerLoop(*models(full.shape[3]), data_full, **common),
        "polyphony": PolyphonyLoop(*models(full.shape[3]), data_full, autocast=autocast, **common),
        "polyphony+window": PolyphonyLoop(*models(window), data_window, autocast=autocast, **common),
    }
    if device.type == "cuda" and not args.no_graph:
        loops["polyphony+window+graph"] = PolyphonyLoop(*models(window), data_window,
                                                        autocast=autocast, graph=True, **common)
    times: dict[str, list[float]] = {name: [] for name in loops}
    from gan.training.cuda_graph import TIMED_REPLAYS, WARMUP

    for name, loop in loops.items():  # warm-up: allocator, kernels, lazy imports (and the capture)
        for _ in range(WARMUP + 1 + TIMED_REPLAYS if name.endswith("graph") else 1):
            loop.iteration()
    notices = {name: loop.notices for name, loop in loops.items() if getattr(loop, "notices", None)}
    for name, texts in notices.items():
        print(f"{name}: " + "; ".join(texts), flush=True)
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
        "notices": notices,
        "machine": f"{platform.machine()}, {cpu_threads()} cores", "load_average": os.getloadavg(),
        "torch": torch.__version__,
    }
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
