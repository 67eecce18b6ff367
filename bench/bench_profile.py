"""Where a training iteration's GPU time goes (issue 17: batch 256 gained
little from the CUDA graph, so the kernels themselves are slow there).

For each batch size, times Polyphony's iteration (gan.training.wgan.Trainer
on the chorales' pitch window, the ``lab`` models, fused capturable Adam as
training uses on CUDA) in four variants: fp32 (TF32) or bf16 autocast, and
the models in the default (NCHW) or channels-last layout. Each is timed
eagerly and, on CUDA, as the CUDA-graph replay training uses
(gan.training.cuda_graph): the replay time is the GPU's own time, the eager
time adds Python's launch overhead. Then the torch profiler runs three
eager iterations in fp32 and in bf16 and prints the kernels and operators
that take the most GPU time, so a reader sees whether convolutions, their
backward passes (the gradient penalty's double backward included),
BatchNorm, layout conversions or elementwise work dominate.

    python bench/bench_profile.py --device cuda --batch-sizes 64 256 --json docs/bench/profile_cuda.json

On the CPU it runs too (slowly; profiler without CUDA kernels), which is
how it is tested before a GPU session.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch


@functools.lru_cache(maxsize=None)
def chorales(bars: int):
    from gan.data.corpus import Corpus

    return Corpus.load(["chorale"], include_imports=False).segments(bars)


def build(cfg, batch_size: int, device, autocast, channels_last: bool, graph: bool = False):
    from gan.data.roll import frames
    from gan.models import build_models
    from gan.models.pitch_window import PitchWindow
    from gan.training.steps import EagerIterations
    from gan.training.wgan import Trainer

    full = chorales(cfg.bars_per_sample)
    window = PitchWindow.fit(full)
    monophonic = bool((frames(full).sum(-1) <= 1).all())
    torch.manual_seed(cfg.seed)
    G, D = build_models(cfg, full.shape[2], window, monophonic)
    G, D = G.to(device), D.to(device)
    if channels_last:
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    betas = (cfg.beta1, cfg.beta2)
    cuda = device.type == "cuda"

    def adam(params, lr):  # as gan.training.session makes them on CUDA
        return torch.optim.Adam(params, lr=torch.tensor(lr, device=device) if cuda else lr,
                                betas=betas, capturable=cuda, fused=cuda or None)

    trainer = Trainer(G, D, adam(G.parameters(), cfg.generator_lr), adam(D.parameters(), cfg.critic_lr),
                      gp_weight=cfg.gp_weight, data=torch.as_tensor(window.crop(full), device=device),
                      rng=torch.Generator(device=device).manual_seed(cfg.seed),
                      batch_size=batch_size, autocast_dtype=autocast)
    runner = EagerIterations(trainer, cfg.critic_updates)
    if graph:
        from gan.training.cuda_graph import TIMED_REPLAYS, WARMUP, GraphIterations

        notices: list[str] = []
        runner = GraphIterations(runner, device, lambda text, level="info": notices.append(text))
        for _ in range(WARMUP + 1 + TIMED_REPLAYS):
            runner(lambda: False)
        runner.notices = notices
    return runner


def time_ms(runner, device, iterations: int) -> float:
    for _ in range(3):
        runner(lambda: False)
    samples = []
    for _ in range(iterations):
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            runner(lambda: False)
            end.record()
            end.synchronize()
            samples.append(start.elapsed_time(end))
        else:
            t = time.perf_counter()
            runner(lambda: False)
            samples.append(1000 * (time.perf_counter() - t))
    return statistics.median(samples)


def profile_table(runner, device, rows: int) -> str:
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities, record_shapes=False) as prof:
        for _ in range(3):
            runner(lambda: False)
        if device.type == "cuda":
            torch.cuda.synchronize()
    key = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    return prof.key_averages().table(sort_by=key, row_limit=rows, max_name_column_width=70)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="lab")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--iterations", type=int, default=10, help="timed iterations per variant")
    parser.add_argument("--rows", type=int, default=22, help="profiler rows printed")
    parser.add_argument("--cudnn-benchmark", action="store_true",
                        help="let cuDNN time its algorithms per shape first (training does not, yet)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    from gan.config import preset

    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    cfg = preset(args.preset, "unet")
    bf16 = torch.bfloat16 if device.type != "cuda" or torch.cuda.is_bf16_supported() else None
    result: dict = {"preset": args.preset, "device": str(device), "torch": torch.__version__,
                    "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else "",
                    "cudnn_benchmark": args.cudnn_benchmark, "milliseconds_per_iteration": {}}
    for batch in args.batch_sizes:
        timings = {}
        for dtype_name, dtype in (("fp32", None), ("bf16", bf16)):
            if device.type == "cuda" and dtype is None:
                torch.backends.cuda.matmul.allow_tf32 = True  # as training's fp32 (gan.training.device)
            for layout in ("nchw", "channels_last"):
                for way in ("eager", "graph") if device.type == "cuda" else ("eager",):
                    runner = build(cfg, batch, device, dtype, layout == "channels_last", way == "graph")
                    name = f"{dtype_name} {layout} {way}"
                    timings[name] = time_ms(runner, device, args.iterations)
                    said = "; ".join(getattr(runner, "notices", []))
                    print(f"batch {batch}: {name} {timings[name]:.1f} ms {said}", flush=True)
                    del runner
        result["milliseconds_per_iteration"][str(batch)] = timings
        for dtype_name, dtype in (("fp32", None), ("bf16", bf16)):
            runner = build(cfg, batch, device, dtype, False)
            time_ms(runner, device, 1)
            table = profile_table(runner, device, args.rows)
            print(f"\n== batch {batch}, {dtype_name}, NCHW: top operators by GPU time "
                  f"(3 iterations)\n{table}", flush=True)
            result[f"profile_batch_{batch}_{dtype_name}"] = table
    print(json.dumps(result["milliseconds_per_iteration"], indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
