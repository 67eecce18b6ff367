"""Convergence: minutes of training until the similarity index reaches a target.

Trains a preset (default ``quick``) on a built-in genre (default chorales)
with the real training loop and prints, per epoch, the wall time since the
start, the similarity index and the ceiling (real vs held-out real). Ends
with the first time the index reached ``--target`` and the final value.

    .venv/bin/python bench/bench_convergence.py --preset quick --genre chorale \
        --json docs/bench/convergence_quick.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--architecture", default="unet")
    parser.add_argument("--genre", default="chorale")
    parser.add_argument("--target", type=float, default=0.85)
    parser.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="config overrides")
    parser.add_argument("--minutes", type=float, default=0, help="stop after this many minutes (0: run all epochs)")
    parser.add_argument("--holdout", type=float, default=0.0, metavar="FRACTION",
                        help="train on the other pieces; at the end, accompany the melodies of this "
                             "fraction of pieces (never seen in training) and score them")
    parser.add_argument("--run-dir", default=None)
    parser.add_argument("--json", default=None, help="write the per-epoch results here")
    args = parser.parse_args()

    from gan.config import preset
    from gan.data.corpus import Corpus
    from gan.training.events import EpochReport, RunStarted, StepStats
    from gan.training.loop import train

    config = preset(args.preset, args.architecture).with_overrides(args.set)
    corpus = Corpus.load([args.genre], include_imports=False)
    held_out = None
    if args.holdout > 0:
        import numpy as np

        order = np.random.default_rng(config.seed).permutation(len(corpus.pieces))
        n_held = max(1, round(args.holdout * len(order)))
        held_out = Corpus([corpus.pieces[i] for i in order[:n_held]])
        corpus = Corpus([corpus.pieces[i] for i in order[n_held:]])
    data = corpus.segments(config.bars_per_sample)
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
        elif isinstance(event, StepStats) and event.step % 10 == 0:
            print(f"  step {event.step}: {event.steps_per_second:.2f} steps/s, "
                  f"critic {event.critic_loss:.3f}, generator {event.generator_loss:.3f}", flush=True)
        elif isinstance(event, EpochReport):
            rows.append({"epoch": event.epoch, "minutes": now / 60, "similarity": event.similarity,
                         "ceiling": event.ceiling, "critic_loss": event.critic_loss,
                         "generator_loss": event.generator_loss})
            print(f"epoch {event.epoch}: {now / 60:.2f} min, similarity {event.similarity:.3f} "
                  f"(ceiling {event.ceiling:.3f})", flush=True)

    def should_stop() -> bool:
        return bool(args.minutes) and time.perf_counter() - t0 > args.minutes * 60

    result = train(config, data, on_event, should_stop, run_dir=run_dir, genre=args.genre)
    reached = next((r for r in rows if r["similarity"] >= args.target), None)
    if held_out is not None and rows:
        info["holdout"] = held_out_scores(Path(run_dir) / "checkpoints" / "latest.pt",
                                          held_out.segments(config.bars_per_sample), data,
                                          config.architecture, config.seed)
        print("held-out melodies:", info["holdout"], flush=True)
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


def held_out_scores(checkpoint: Path, held_out, training, architecture: str, seed: int) -> dict:
    """Similarity of accompaniments to melodies the model never saw, against
    the training pieces, beside the same score for training melodies and the
    held-out pieces' own voices (their ceiling)."""
    import numpy as np

    from gan.evaluation.metrics import piece_metrics
    from gan.data.roll import VOICE_NAMES
    from gan.evaluation.similarity import feature_keys, similarity_index
    from gan.training.inference import generate, load_generator

    keys = feature_keys(architecture, VOICE_NAMES)
    reference = piece_metrics(training)
    rng = np.random.default_rng(seed)
    n = min(64, len(held_out))
    unseen = held_out[rng.choice(len(held_out), n, replace=False)]
    seen = training[rng.choice(len(training), n, replace=False)]

    def index(rolls) -> float:
        return round(similarity_index(piece_metrics(rolls), reference, keys)[0], 3)

    def copied(generated, real) -> float:  # note-steps of the real voices the model wrote too
        return round(float((generated[:, 1:] & real[:, 1:]).sum() / max(1, real[:, 1:].sum())), 3)

    model, _ = load_generator(checkpoint)  # once, for both sets of melodies
    gen_unseen = generate(model, melody=unseen[:, 0], seed=seed)
    gen_seen = generate(model, melody=seen[:, 0], seed=seed)
    return {"pieces": n, "unseen_melodies": index(gen_unseen), "training_melodies": index(gen_seen),
            "unseen_real_voices": index(unseen),
            "same_notes_as_bach_unseen": copied(gen_unseen, unseen),
            "same_notes_as_bach_training": copied(gen_seen, seen)}


if __name__ == "__main__":
    sys.exit(main())
