"""Convergence: minutes of training until the similarity index reaches a target.

Trains a preset (default ``quick``) on a built-in genre (default chorales)
with the real training loop and prints, per epoch, the wall time since the
start, the similarity index and the ceiling (real vs held-out real). Ends
with the first time the index reached ``--target`` and the final value.

    .venv/bin/python bench/bench_convergence.py --preset quick --genre chorale \
        --json docs/bench/convergence_quick.json
    .venv/bin/python bench/bench_convergence.py --preset quick --device cuda   # on a GPU
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SCORES = ("index/training_melodies", "index/unseen_melodies", "copying/note_steps",
          "copying/unseen_note_steps", "copying/longest_bars", "genre_fidelity", "parallel_fifths/all", "parallel_octaves/all")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--architecture", default="unet")
    parser.add_argument("--genre", default="chorale")
    parser.add_argument("--target", type=float, default=0.85)
    parser.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="config overrides")
    parser.add_argument("--minutes", type=float, default=0, help="stop after this many minutes (0: run all epochs)")
    parser.add_argument("--holdout", type=float, default=0.1, metavar="FRACTION",
                        help="keep this share of the pieces out of training (Corpus.split) and score "
                             "the model on their melodies every epoch (0: none)")
    parser.add_argument("--device", default=None,
                        help="cpu, cuda, cuda:N, mps or auto (default: the preset's, auto)")
    parser.add_argument("--no-judge", action="store_true",
                        help="skip genre fidelity (the genre classifier the app uses as judge)")
    parser.add_argument("--run-dir", default=None)
    parser.add_argument("--json", default=None, help="write the per-epoch results here")
    args = parser.parse_args()

    from gan.config import preset
    from gan.data.corpus import Corpus
    from gan.training.events import EpochReport, Notice, RunStarted, StepStats
    from gan.training.loop import train

    config = preset(args.preset, args.architecture).with_overrides(
        args.set + ([f"device={args.device}"] if args.device else []))
    corpus, held_out = Corpus.load([args.genre], include_imports=False), None
    if args.holdout > 0:
        corpus, held_out = corpus.split(args.holdout)
    data = corpus.segments(config.bars_per_sample)
    sources = corpus.segment_sources(config.bars_per_sample)
    eval_data = held_out.segments(config.bars_per_sample) if held_out is not None else None
    run_dir = args.run_dir or tempfile.mkdtemp(prefix="bench_convergence_")
    rows: list[dict] = []
    info: dict = {}
    t0 = time.perf_counter()

    def on_event(event) -> None:
        now = time.perf_counter() - t0
        if isinstance(event, RunStarted):
            info.update(device=event.device, segments=event.n_segments, ceiling=event.ceiling,
                        steps_per_epoch=event.steps_per_epoch, generator_params=event.generator_params)
            print(f"start: {event.n_segments} segments, {event.steps_per_epoch} steps/epoch, "
                  f"ceiling {event.ceiling:.3f}, setup {now:.1f}s", flush=True)
        elif isinstance(event, Notice):  # on a GPU: whether the CUDA graph is used, and its speed
            info.setdefault("notices", []).append(event.message)
            print(f"  {event.level}: {event.message}", flush=True)
        elif isinstance(event, StepStats) and event.step % 10 == 0:
            print(f"  step {event.step}: {event.steps_per_second:.2f} steps/s, "
                  f"critic {event.critic_loss:.3f}, generator {event.generator_loss:.3f}", flush=True)
        elif isinstance(event, EpochReport):
            extra = {k: event.metrics.get(k) for k in SCORES}
            rows.append({"epoch": event.epoch, "minutes": now / 60, "similarity": event.similarity,
                         "ceiling": event.ceiling, "critic_loss": event.critic_loss,
                         "generator_loss": event.generator_loss, "seconds": event.seconds,
                         "evaluation_seconds": event.evaluation_seconds, **extra})
            shown = ", ".join(f"{k.split('/')[-1]} {v:.3f}" for k, v in extra.items() if v is not None)
            print(f"epoch {event.epoch}: {now / 60:.2f} min, similarity {event.similarity:.3f} "
                  f"(ceiling {event.ceiling:.3f}); {shown}", flush=True)

    def should_stop() -> bool:
        return bool(args.minutes) and time.perf_counter() - t0 > args.minutes * 60

    judge = None
    if not args.no_judge and config.judge_genre:
        from app.jobs.genre_judge import genre_judge  # the judge the app's runner uses
        judge = genre_judge(args.genre, on_event)
    result = train(config, data, on_event, should_stop, run_dir=run_dir, genre=args.genre,
                   eval_data=eval_data, sources=sources, judge=judge)
    reached = next((r for r in rows if r["similarity"] >= args.target), None)
    if rows:
        info["voice_leading"] = voice_leading_table(Path(run_dir) / "checkpoints" / "latest.pt",
                                                    eval_data if eval_data is not None else data,
                                                    data, config.seed)
        print("voice leading (generated / real, on unseen melodies):", flush=True)
        for key, (gen, real) in info["voice_leading"].items():
            print(f"  {key:32s} {gen:8.3f} {real:8.3f}", flush=True)
    if len(rows) >= 10:
        last = [r["similarity"] for r in rows[-10:]]
        info["index_std_last_10_epochs"] = float(np.std(last))
    summary = {
        "preset": args.preset, "architecture": args.architecture, "genre": args.genre,
        "config": config.to_dict(), "status": result.status, "reason": result.reason,
        "target": args.target,
        "minutes_to_target": reached["minutes"] if reached else None,
        "epoch_at_target": reached["epoch"] if reached else None,
        "final_similarity": rows[-1]["similarity"] if rows else None,
        "best_similarity": max((r["similarity"] for r in rows), default=None),
        "total_minutes": (time.perf_counter() - t0) / 60,
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, {info.get('device')}",
        "load_average_at_end": os.getloadavg(),
        **info, "epochs": rows,
    }
    print(json.dumps({k: v for k, v in summary.items() if k not in ("epochs", "config")}, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    return 0 if result.status in ("completed", "cancelled") else 1


def voice_leading_table(checkpoint: Path, melodies_from, training, seed: int,
                        n: int = 256) -> dict[str, tuple[float, float]]:
    """Each voice-leading metric (mean over voices or pairs) of pieces the
    final model writes, beside the real training music's."""
    from gan.evaluation.voice_leading import metric_means, voice_leading_metrics
    from gan.training.inference import generate, load_generator

    model, _ = load_generator(checkpoint)
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(melodies_from), min(n, len(melodies_from)), replace=False)
    if model.conditional:
        generated = generate(model, melody=melodies_from[pick][:, 0], seed=seed)
    else:
        generated = generate(model, n=len(pick), seed=seed)
    gen, real = (metric_means(voice_leading_metrics(rolls)) for rolls in (generated, training))
    return {metric: (gen[metric], real[metric]) for metric in gen}


if __name__ == "__main__":
    sys.exit(main())
