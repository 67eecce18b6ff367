"""What happens at the end of every epoch: the generator is judged
(gan.training.evaluation), a few of its pieces are saved as MIDI, and a
checkpoint is written.

The samples come from the same latents (and melodies) every epoch, drawn
from their own random stream, so epoch-to-epoch changes in the music come
from learning, and making them never changes training's random stream.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from gan.training.checkpoint import point_latest, save_checkpoint
from gan.training.evaluation import EpochEvaluator
from gan.training.retention import prune_checkpoints
from gan.training.events import EpochReport


def save_samples(samples: np.ndarray, count: int, samples_dir: Path, epoch: int,
                 genre: str | None) -> list[str]:
    """The first ``count`` samples as MIDI files; their paths."""
    from gan.training.sampling import save_midi

    return [str(save_midi(samples[i], samples_dir / f"epoch_{epoch:04d}_{i:02d}.mid", genre=genre))
            for i in range(min(count, len(samples)))]


def write_checkpoint(session, epoch: int, step: int, similarity: float,
                     metrics: dict[str, float], genre: str | None, ckpt_dir: Path) -> Path:
    """The run's whole state after ``epoch`` (see gan.training.checkpoint),
    and ``latest.pt`` pointing at it."""
    import torch

    G = session.G
    state = {
        "config": session.config.to_dict(), "epoch": epoch, "step": step, **G.facts(),
        "generator": G.state_dict(), "critic": session.D.state_dict(),
        "opt_generator": session.opt_g.state_dict(), "opt_critic": session.opt_d.state_dict(),
        "rng": {"train": session.rng.get_state(), "torch_cpu": torch.get_rng_state()},
        "similarity": float(similarity), "metrics": {k: float(v) for k, v in metrics.items()},
        "genre": genre or "",
        "best_epoch": session.best_epoch, "best_similarity": float(session.best_similarity),
    }
    if session.average is not None:
        state["generator_average"] = session.average.state_dict()
    path = save_checkpoint(state, ckpt_dir / f"epoch_{epoch:04d}.pt")
    point_latest(path, ckpt_dir / "latest.pt")
    return path


def epoch_report(session, evaluator: EpochEvaluator, epoch: int, step: int,
                 logged: list[list[float]], run_dir: Path, genre: str | None,
                 seconds: float) -> EpochReport:
    """Evaluate, save samples and checkpoint; the record the loop sends."""
    config = session.config
    started = time.perf_counter()
    judged = evaluator.evaluate(session.composer)  # fits the composer's re-strike strengths
    session.G.part_writing = session.composer.part_writing  # the checkpoint keeps G's
    judging = time.perf_counter() - started
    samples, metrics, similarity = judged.samples, judged.metrics, judged.similarity
    session.note_epoch(epoch, similarity)
    paths = save_samples(samples, config.samples_per_epoch, run_dir / "samples", epoch, genre)
    ckpt = write_checkpoint(session, epoch, step, similarity, metrics, genre, run_dir / "checkpoints")
    prune_checkpoints(run_dir / "checkpoints", epoch, session.best_epoch, config.keep_every)
    means = np.array(logged).mean(0) if logged else [math.nan] * 4
    return EpochReport(epoch=epoch, step=step, critic_loss=float(means[0]),
                       generator_loss=float(means[1]), wasserstein=float(means[2]),
                       metrics=metrics, similarity=similarity, ceiling=float(evaluator.ceiling),
                       sample_paths=paths, checkpoint_path=str(ckpt), seconds=float(seconds),
                       samples=samples[:config.samples_per_epoch].copy(), evaluation_seconds=judging)
