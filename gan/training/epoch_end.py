"""What happens at the end of every epoch: the generator is judged
(gan.training.evaluation), a few of its pieces are saved as MIDI, and a
checkpoint is written.

The samples come from the same latents (and melodies) every epoch, drawn
from their own random stream, so epoch-to-epoch changes in the music come
from learning, and making them never changes training's random stream.

An epoch end has two parts. At the boundary (``take_boundary``) the
composer computes its note probabilities for the fixed inputs and, when the
end runs in the background, everything the checkpoint keeps is copied to
the CPU: the only part that needs the models. The rest (``finish``:
fitting the part-writing rules, scores, MIDI files, writing the
checkpoint) reads only that copy, so it can run while the next epoch trains
(``EpochEnds``): on a GPU an epoch end took as long as 22 `lab` steps
(docs/bench/gpu.md).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gan.training.checkpoint import point_latest, save_checkpoint
from gan.training.epoch_log import append_epoch
from gan.training.evaluation import EpochEvaluator, Probe
from gan.training.events import EpochReport
from gan.training.retention import prune_checkpoints


def save_samples(samples: np.ndarray, count: int, samples_dir: Path, epoch: int,
                 genre: str | None) -> list[str]:
    """The first ``count`` samples as MIDI files; their paths."""
    from gan.training.sampling import save_midi

    return [str(save_midi(samples[i], samples_dir / f"epoch_{epoch:04d}_{i:02d}.mid", genre=genre))
            for i in range(min(count, len(samples)))]


def is_better(similarity: float, best_similarity: float) -> bool:
    """Whether an epoch scoring ``similarity`` is the best so far (NaN-aware:
    an unscored epoch never is; the first scored one always is)."""
    return not math.isnan(similarity) and not similarity <= best_similarity


@dataclass
class Boundary:
    """What an epoch end reads, taken when the epoch's last step is done."""

    epoch: int
    step: int
    losses: list[float]  # the epoch's mean critic, generator, Wasserstein losses
    seconds: float  # the epoch's wall time
    probe: Probe  # the composer's note probabilities for the fixed inputs
    writer: Any  # the composer, or its gan.training.sampling.NoteWriter
    state: dict[str, Any]  # the checkpoint, less the judgement and the part-writing rules
    best: tuple[int | None, float]  # the best epoch and its score before this one
    rank_steps: list[int] = dataclasses.field(default_factory=list)


@dataclass
class Finished:
    """A finished epoch end: its report and what the session takes from it."""

    report: EpochReport
    part_writing: Any
    best: tuple[int | None, float]


def take_boundary(session, evaluator: EpochEvaluator, logged: list[list[float]], seconds: float,
                  copy: bool, rank_steps: list[int] | None = None) -> Boundary:
    """The boundary after ``session.epoch``; ``copy``: copy the checkpoint's
    tensors to the CPU and write with a NoteWriter, so that training may go
    on before ``finish``."""
    import torch

    from gan.training.sampling import NoteWriter

    composer = session.composer
    probe = evaluator.probe(composer)
    models = {"generator": session.G, "critic": session.D, "opt_generator": session.opt_g,
              "opt_critic": session.opt_d}
    state = {"config": session.config.to_dict(), "epoch": session.epoch, "step": session.step,
             **{k: v for k, v in session.G.facts().items() if k != "part_writing"},
             **{name: part.state_dict() for name, part in models.items()},
             "rng": {"train": session.rng.get_state(), "torch_cpu": torch.get_rng_state()}}
    if session.average is not None:
        state["generator_average"] = session.average.state_dict()
    means = np.array(logged).mean(0) if logged else [math.nan] * 4
    return Boundary(epoch=session.epoch, step=session.step, losses=[float(x) for x in means[:3]],
                    seconds=seconds, probe=probe,
                    writer=NoteWriter.of(composer) if copy else composer,
                    state=cpu_copy(state) if copy else state,
                    best=(session.best_epoch, session.best_similarity),
                    rank_steps=list(rank_steps or []))


def cpu_copy(obj):
    """``obj`` (nested dicts, lists and tuples) with every tensor copied to
    the CPU: what the checkpoint keeps, frozen while the models train on."""
    import torch

    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: cpu_copy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(cpu_copy(v) for v in obj)
    return obj


def finish(boundary: Boundary, evaluator: EpochEvaluator, run_dir: Path, genre: str | None,
           config) -> Finished:
    """Judge, save samples and the checkpoint, prune old checkpoints: the
    epoch's report. Reads only ``boundary`` (and writes its writer's
    part-writing rules)."""
    started = time.perf_counter()
    judged = evaluator.judge(boundary.writer, boundary.probe)  # fits the writer's rules
    judging = time.perf_counter() - started
    samples, metrics, similarity = judged.samples, judged.metrics, judged.similarity
    rules = getattr(boundary.writer, "part_writing", None)
    best = (boundary.epoch, similarity) if is_better(similarity, boundary.best[1]) else boundary.best
    epoch = boundary.epoch
    paths = save_samples(samples, config.samples_per_epoch, run_dir / "samples", epoch, genre)
    state = {**boundary.state, "part_writing": rules.to_dict() if rules else None,
             "similarity": float(similarity), "metrics": {k: float(v) for k, v in metrics.items()},
             "genre": genre or "", "best_epoch": best[0], "best_similarity": float(best[1])}
    ckpt_dir = run_dir / "checkpoints"
    ckpt = save_checkpoint(state, ckpt_dir / f"epoch_{epoch:04d}.pt")
    point_latest(ckpt, ckpt_dir / "latest.pt")
    prune_checkpoints(ckpt_dir, epoch, best[0], config.keep_every)
    critic, generator, wasserstein = boundary.losses
    report = EpochReport(epoch=epoch, step=boundary.step, critic_loss=critic,
                         generator_loss=generator, wasserstein=wasserstein, metrics=metrics,
                         similarity=similarity, ceiling=float(evaluator.ceiling), sample_paths=paths,
                         checkpoint_path=str(ckpt), seconds=float(boundary.seconds),
                         samples=samples[:config.samples_per_epoch].copy(),
                         evaluation_seconds=judging, rank_steps=boundary.rank_steps)
    return Finished(report, rules, best)


class EpochEnds:
    """Runs each epoch end, inline or in one background thread.

    In the background, the next epoch trains while the previous one is
    judged and saved; its report is sent from the training thread, between
    steps (``poll``), so it arrives after some of the next epoch's steps.
    One epoch end at a time: the next boundary waits for the previous one,
    which also keeps the part-writing rules each epoch starts fitting from
    the same as inline. ``drain`` delivers the last one before the run
    ends, whatever ended it, so the last checkpoint is always on disk.
    """

    def __init__(self, session, evaluator: EpochEvaluator, run_dir: Path, genre: str | None,
                 deliver: Callable[[EpochReport], None], background: bool):
        self.session, self.evaluator, self.run_dir, self.genre = session, evaluator, run_dir, genre
        self.deliver, self.background = deliver, background
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="epoch-end") if background else None
        self.pending: Future | None = None

    def end_epoch(self, logged: list[list[float]], seconds: float,
                  rank_steps: list[int] | None = None) -> None:
        """The epoch ``session.epoch`` just ended: judge and save it (or start to)."""
        self.drain()
        boundary = take_boundary(self.session, self.evaluator, logged, seconds, self.background,
                                 rank_steps)
        args = (boundary, self.evaluator, self.run_dir, self.genre, self.session.config)
        if self.pool is None:
            self._take(finish(*args))
        else:
            self.pending = self.pool.submit(finish, *args)

    def poll(self) -> None:
        """Deliver the epoch end in the background if it is done (its error,
        if it failed, is raised here)."""
        if self.pending is not None and self.pending.done():
            self.drain()

    def drain(self) -> None:
        """Wait for the epoch end in the background, if any, and deliver it."""
        pending, self.pending = self.pending, None
        if pending is not None:
            self._take(pending.result())

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)

    def _take(self, done: Finished) -> None:
        session = self.session
        session.G.part_writing = session.composer.part_writing = done.part_writing
        session.similarity = done.report.similarity
        session.best_epoch, session.best_similarity = done.best
        append_epoch(self.run_dir, done.report)
        self.deliver(done.report)
