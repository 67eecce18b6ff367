"""The training loop behind every job: ``train(config, data, on_event, should_stop)``.

It talks to the outside only through plain records (gan.training.events) sent to
``on_event`` and a ``should_stop`` flag it checks between updates. Each
epoch ends with samples from fixed inputs, their music metrics and
similarity index, MIDI files and an atomic checkpoint from which a stopped
run resumes exactly where an unbroken run would be (gan.training.epoch_end).
The pieces: gan.training.session builds what a run trains with,
gan.training.steps runs one iteration, gan.training.guards stops a run that
diverged.
"""

from __future__ import annotations

import logging
import math
import os
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from gan.config import TrainConfig
from gan.training.epoch_end import EpochEnds
from gan.training.evaluation import EpochEvaluator, GenreJudge
from gan.training.events import EventCallback, Notice, RunFinished, RunStarted, StepStats, StopFlag
from gan.training.checkpoint import DiskFull
from gan.training.guards import Diverged, LossGuard
from gan.training.session import (Session, check_data, read_checkpoint, set_cpu_threads,
                                  set_learning_rates, set_part_writing, start_session)
from gan.training.steps import Cancelled, make_runner

log = logging.getLogger(__name__)

__all__ = ["train", "check_data"]


def train(config: TrainConfig, data: np.ndarray, on_event: EventCallback,
          should_stop: StopFlag = lambda: False, *, run_dir: str | os.PathLike,
          resume_from: str | os.PathLike | None = None, genre: str | None = None,
          eval_data: np.ndarray | None = None, sources: Sequence[tuple[Any, int]] | None = None,
          judge: GenreJudge | None = None) -> RunFinished:
    """Train, report through ``on_event``, return the final ``RunFinished``.

    ``eval_data``: segments of pieces kept out of training, whose melodies
    the accompaniment model is also scored on every epoch; ``sources``:
    (piece, first bar) of each training segment, for the copying measure;
    ``judge``: the genre classifier's verdict (gan.training.evaluation).

    Bad input (invalid config, wrongly shaped data, unusable checkpoint, a
    device that is not there) raises before anything is written. Once
    training runs, a failure is reported as ``RunFinished("failed", reason)``.
    """
    config.validate()
    data = check_data(data, config)
    if eval_data is not None and len(eval_data):
        eval_data = check_data(eval_data, config, minimum=1)
    import torch

    from gan.training import distributed
    from gan.training.device import resolve_device

    # Under torchrun: rank 0 reads the checkpoint, writes files and sends
    # events; the other ranks only train (their on_event is not called).
    ranks = distributed.current()
    device = distributed.rank_device(resolve_device(config.device), ranks)
    ckpt = read_checkpoint(resume_from, config, data, ranks)
    if not ranks.is_main:
        on_event = _ignore
    threads_before = torch.get_num_threads()
    run_dir = Path(run_dir)
    if ranks.is_main:
        (run_dir / "samples").mkdir(parents=True, exist_ok=True)
        (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    session = start_session(config, data, ranks, device, ckpt)
    evaluator = EpochEvaluator(session.G, data, config, eval_data=eval_data, sources=sources,
                               judge=judge) if ranks.is_main else None
    if evaluator is not None:  # only the main rank writes pieces and checkpoints
        set_part_writing(session, evaluator.reference)
    label = set_cpu_threads(session)
    if ranks.distributed:
        labels = distributed.gather(label, ranks)
        label = f"{ranks.world_size} ranks ({distributed.backend()}): " + \
            "; ".join(f"{r}: {text}" for r, text in enumerate(labels))
    on_event(_run_started(session, evaluator, label, run_dir))
    try:
        _run_epochs(session, evaluator, on_event, should_stop, run_dir, genre)
    except Cancelled:
        done = session.epoch
        finished = RunFinished("cancelled", epoch=done, step=session.step,
                               similarity=session.similarity,
                               reason=f"stopped by request during epoch {done + 1}; "
                                      f"resume from epoch {done}")
    except (Diverged, DiskFull) as exc:  # said in words; not a bug, no traceback
        finished = RunFinished("failed", epoch=session.epoch, step=session.step,
                               similarity=session.similarity, reason=str(exc))
    except Exception as exc:  # reported, not raised: the job runner records it
        log.exception("training failed")
        finished = RunFinished("failed", epoch=session.epoch, step=session.step,
                               similarity=session.similarity, reason=f"{type(exc).__name__}: {exc}")
    else:
        finished = RunFinished("completed", epoch=session.epoch, step=session.step,
                               similarity=session.similarity)
    finally:
        torch.set_num_threads(threads_before)
    on_event(finished)
    return finished


def _ignore(event) -> None:
    pass


def _run_started(session: Session, evaluator: EpochEvaluator | None, label: str,
                 run_dir: Path) -> RunStarted:
    from gan.models import count_parameters

    return RunStarted(
        total_epochs=session.config.epochs, steps_per_epoch=session.steps_per_epoch,
        start_epoch=session.epoch, start_step=session.step, device=label,
        n_segments=session.n_segments, generator_params=count_parameters(session.G),
        critic_params=count_parameters(session.D), run_dir=str(run_dir),
        reference_metrics=evaluator.reference_summary if evaluator else {},
        ceiling=evaluator.ceiling if evaluator else float("nan"),
        world_size=session.ranks.world_size)


def _run_epochs(session: Session, evaluator: EpochEvaluator | None, on_event: EventCallback,
                should_stop: StopFlag, run_dir: Path, genre: str | None) -> None:
    """Train epoch after epoch until ``config.epochs``; raises ``Cancelled``
    or ``Diverged`` to end early."""
    config = session.config
    ends = None if evaluator is None else EpochEnds(
        session, evaluator, run_dir, genre, on_event, in_background(config, session.device))
    try:
        _train_epochs(session, ends, on_event, should_stop)
    finally:
        if ends is not None:  # the last epoch end is delivered, however the run ends
            try:
                ends.drain()
            finally:
                ends.close()


def in_background(config: TrainConfig, device) -> bool:
    """Whether epoch ends run while the next epoch trains (``epoch_end``;
    auto: on CUDA, where the GPU would otherwise wait)."""
    return config.epoch_end == "background" or (config.epoch_end == "auto" and device.type == "cuda")


def _train_epochs(session: Session, ends: EpochEnds | None, on_event: EventCallback,
                  should_stop: StopFlag) -> None:
    config, ranks = session.config, session.ranks
    guard = LossGuard(session.device)
    # Under torchrun the ranks stop together (below), never one alone.
    iteration = make_runner(session.trainer, config, session.device,
                            lambda text, level="info": on_event(Notice(text, level)))
    local_stop = (lambda: False) if ranks.distributed else should_stop
    read_every_step = session.device.type == "cpu"  # on the CPU reading is free
    started, steps_done = time.perf_counter(), 0
    while session.epoch < config.epochs:
        epoch_start = time.perf_counter()
        session.trainer.set_reconstruction_scale(reconstruction_scale(config, session.epoch))
        set_learning_rates(session, session.epoch)
        logged: list[list[float]] = []
        for _ in range(session.steps_per_epoch):
            stacked = iteration(local_stop)
            if ends is not None:
                ends.poll()  # the last epoch's scores, when judged in the background
            session.step += 1
            steps_done += 1
            guard.observe(stacked, session.step)
            if ranks.distributed:
                _stop_together(ranks, session.device, should_stop, guard, session.step)
            is_log = session.step % config.log_every == 0
            if is_log or read_every_step:
                guard.check()
            values = stacked.tolist() if is_log else [math.nan] * stacked.shape[0]
            if is_log:
                logged.append(values)
            elapsed = time.perf_counter() - started
            on_event(StepStats(epoch=session.epoch + 1, step=session.step, critic_loss=values[0],
                               generator_loss=values[1], wasserstein=values[2],
                               gradient_penalty=values[3], elapsed=elapsed,
                               adversarial_loss=values[4], reconstruction_loss=values[5],
                               steps_per_second=steps_done / elapsed if elapsed > 0 else 0.0))
        guard.check()  # a non-log step may have gone bad on an accelerator
        session.epoch += 1
        rank_steps = _check_ranks_agree(ranks, steps_done, session.G, session.D)
        if ends is not None:
            ends.end_epoch(logged, time.perf_counter() - epoch_start,
                           rank_steps if ranks.distributed else None)


def reconstruction_scale(config: TrainConfig, epoch: int) -> float:
    """The reconstruction term's share of its weight during epoch ``epoch + 1``."""
    if config.reconstruction_fade <= 0:
        return 1.0
    return max(0.0, 1.0 - epoch / (config.reconstruction_fade * config.epochs))


def _stop_together(ranks, device, should_stop: StopFlag, guard: LossGuard, step: int) -> None:
    """All ranks stop, or fail, at the same step: one that left alone would
    leave the others waiting in the next all-reduce."""
    from gan.training import distributed

    stop, bad = distributed.any_rank([should_stop(), guard.first_bad_step() >= 0], ranks, device)
    if bad:
        guard.check()  # this rank went bad: its own losses in the message
        raise Diverged(step)  # another rank did
    if stop:
        raise Cancelled


def _check_ranks_agree(ranks, steps_done: int, G, D) -> list[int]:
    """Steps each rank took since (re)start; fails when the ranks' weights
    differ (DistributedDataParallel should keep them identical)."""
    from gan.training import distributed

    if not ranks.distributed:
        return [steps_done]
    gathered = distributed.gather((steps_done, distributed.weights_checksum([G, D])), ranks)
    sums = [s for _, s in gathered]
    if max(sums) - min(sums) > 1e-6 * max(1.0, abs(sums[0])):
        raise RuntimeError(f"the ranks' weights drifted apart (checksums {sums})")
    return [n for n, _ in gathered]
