"""Everything a run trains with, built once: models, optimisers, random
stream, the update step, and (on resume) the state they continue from.

``start_session`` checks the data and the checkpoint before anything is
written, so bad input fails fast with a message; under torchrun rank 0
reads the checkpoint and hands it to the other ranks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gan.config import TrainConfig, epoch_steps
from gan.data.roll import ONSET, SILENT, STEPS_PER_BAR, TRACKS, frames, onsets
from gan.models.pitch_window import PitchWindow
from gan.training.checkpoint import load_checkpoint

# Model-shape settings a checkpoint must share with the run that resumes it.
SHAPE_FIELDS = ("architecture", "width", "latent_size", "bars_per_sample")


def check_data(data: np.ndarray, config: TrainConfig, minimum: int = 2) -> np.ndarray:
    """The segments as note-state rolls (int8, gan.data.roll), or a
    ValueError that says what is wrong. A plain bool roll is accepted (each
    run of sounding steps becomes one note)."""
    if not isinstance(data, np.ndarray):
        raise ValueError(f"training data must be a numpy array, got {type(data).__name__}")
    steps = config.bars_per_sample * STEPS_PER_BAR
    if data.ndim != 4 or data.shape[1] != TRACKS or data.shape[2] != steps or data.shape[3] < 12:
        raise ValueError(f"training data must be (segments, {TRACKS} voices, {steps} steps "
                         f"= {config.bars_per_sample} bars x {STEPS_PER_BAR}, pitches); "
                         f"got shape {tuple(data.shape)}")
    if len(data) < minimum:
        raise ValueError(f"training needs at least {minimum} segments; the selection has {len(data)}")
    # min/max rather than np.isin: a whole corpus is checked in milliseconds
    if data.dtype != np.int8:
        if data.dtype != bool and (data.min() < 0 or data.max() > 1 or not np.isin(data, (0, 1)).all()):
            raise ValueError("training data must be note-state rolls (0, 1, 2) or a piano roll "
                             "of 0/1 (bool) values")
        sounding = data.astype(bool)
        data = (sounding.astype(np.int8) + onsets(sounding).astype(np.int8))
    elif data.min() < SILENT or data.max() > ONSET:
        raise ValueError("training data must be note-state rolls: 0 silent, 1 held, 2 onset")
    if not data.any():
        raise ValueError("training data has no notes at all")
    return data


def check_resumable(ckpt: dict, config: TrainConfig, data: np.ndarray) -> None:
    saved = ckpt.get("config", {})
    diffs = [f"{k}: checkpoint {saved.get(k)!r}, now {getattr(config, k)!r}"
             for k in SHAPE_FIELDS if saved.get(k) != getattr(config, k)]
    window = PitchWindow.fit(data)
    saved_window = (ckpt.get("pitch_offset"), ckpt.get("n_pitches"), ckpt.get("full_pitches"))
    if saved_window != (window.offset, window.size, window.full):
        diffs.append(f"pitch rows: checkpoint {saved_window}, data {(window.offset, window.size, window.full)}")
    if diffs:
        raise ValueError("cannot resume: the checkpoint's model does not match this run ("
                         + "; ".join(diffs) + ")")
    if int(ckpt.get("epoch", 0)) >= config.epochs:
        raise ValueError(f"cannot resume: the checkpoint is at epoch {ckpt.get('epoch')} and the "
                         f"run has epochs = {config.epochs}; raise epochs to train further")


def read_checkpoint(resume_from, config: TrainConfig, data: np.ndarray, ranks) -> dict | None:
    """The checkpoint to resume from (checked against this run), or None.
    Under torchrun rank 0 reads it and every rank gets it (or the same
    error), so a multi-node run needs no shared folder to resume."""
    from gan.training import distributed

    if not ranks.distributed:
        if resume_from is None:
            return None
        ckpt = load_checkpoint(resume_from)
        check_resumable(ckpt, config, data)
        return ckpt
    outcome, failure = None, None
    if ranks.is_main and resume_from is not None:
        try:
            ckpt = load_checkpoint(resume_from)
            check_resumable(ckpt, config, data)
            outcome = ("ok", ckpt)
        except Exception as exc:  # every rank must hear of it before raising
            failure, outcome = exc, ("error", str(exc))
    outcome = distributed.broadcast(outcome, ranks)
    if failure is not None:
        raise failure  # rank 0 raises what a single process would
    if outcome is not None and outcome[0] == "error":
        raise ValueError(outcome[1])
    return None if outcome is None else outcome[1]


@dataclass
class Session:
    config: TrainConfig
    ranks: Any
    device: Any
    window: PitchWindow
    n_segments: int
    n_steps: int
    G: Any  # the plain models (not DistributedDataParallel wrappers)
    D: Any
    opt_g: Any
    opt_d: Any
    rng: Any  # torch.Generator of batches and noise (checkpointed)
    trainer: Any  # gan.training.wgan.Trainer
    epoch: int = 0  # epochs done
    step: int = 0  # generator steps done
    similarity: float = float("nan")  # of the last finished epoch
    best_epoch: int | None = None  # the epoch with the highest similarity so far
    best_similarity: float = float("nan")
    average: Any = None  # gan.training.ema.WeightAverage of G, when the config asks for one

    @property
    def composer(self):
        """The generator that writes the music users hear: the weight
        average when there is one, else the trained model itself."""
        return self.average.model if self.average is not None else self.G

    @property
    def steps_per_epoch(self) -> int:
        # An epoch is one pass over the data by all ranks together.
        return epoch_steps(self.config, self.n_segments, self.ranks.world_size)


def start_session(config: TrainConfig, data: np.ndarray, ranks, device, ckpt: dict | None) -> Session:
    """Models, optimisers and trainer for ``data`` on ``device``, continuing
    from ``ckpt`` when given."""
    import torch

    from gan.models import build_models
    from gan.training import distributed
    from gan.training.cuda_graph import optimizer_state_for_run
    from gan.training.device import use_precision
    from gan.training.augment import shift_bounds
    from gan.training.ema import WeightAverage
    from gan.training.wgan import Trainer

    n_segments, _, n_steps, _ = data.shape
    window = PitchWindow.fit(data)  # the model sees only the rows the music uses
    # Voices that never play two pitches at once are generated that way too.
    monophonic = bool((frames(data).sum(-1) <= 1).all())
    torch.manual_seed(config.seed)  # the models' initial weights
    G, D = build_models(config, n_steps, window, monophonic)
    G, D = G.to(device), D.to(device)
    if device.type == "cuda":
        # cuDNN's tensor-core kernels work on channels-last images: in the
        # default layout it converts every convolution's input and output
        # (17 % of a lab iteration's GPU time in bf16). Measured on an H100
        # as CUDA-graph replays: 27.2 -> 25.3 ms at batch 64, 74.9 -> 67.9 ms
        # at 256 (bench/bench_profile.py, docs/bench/gpu.md).
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    betas = (config.beta1, config.beta2)
    # A CUDA graph replays the optimiser steps (gan.training.cuda_graph):
    # their step counts must live on the GPU.
    capturable = device.type == "cuda" and bool(config.cuda_graph) and not ranks.distributed
    # On CUDA, Adam's fused kernel: one launch per update instead of a dozen
    # per parameter group (measured on an H100: Adam's foreach updates took
    # 3.7 of a lab iteration's 27 ms of GPU time; docs/bench/gpu.md).
    fused = device.type == "cuda"

    # The learning rate lives on the GPU there, so a captured graph sees the
    # schedule (set_learning_rates) change it in place, and a run with the
    # graph switched off does the same arithmetic as one with it.
    def rate(value: float):
        return torch.tensor(value, device=device) if fused else value

    opt_g = torch.optim.Adam(G.parameters(), lr=rate(config.generator_lr), betas=betas,
                             capturable=capturable, fused=fused or None)
    opt_d = torch.optim.Adam(D.parameters(), lr=rate(config.critic_lr), betas=betas,
                             capturable=capturable, fused=fused or None)
    rng = torch.Generator(device=device).manual_seed(config.seed)
    average = WeightAverage(G, config.ema_decay) if config.ema_decay > 0 else None
    session = Session(config, ranks, device, window, n_segments, n_steps, G, D, opt_g, opt_d, rng,
                      trainer=None, average=average)
    if ckpt is not None:
        G.load_state_dict(ckpt["generator"])
        if average is not None:
            average.load_state_dict(ckpt.get("generator_average") or ckpt["generator"])
        D.load_state_dict(ckpt["critic"])
        for opt, key in ((opt_g, "opt_generator"), (opt_d, "opt_critic")):
            opt.load_state_dict(optimizer_state_for_run(ckpt[key], capturable, fused, device))
        rng.set_state(ckpt["rng"]["train"])
        torch.set_rng_state(ckpt["rng"]["torch_cpu"])
        session.epoch, session.step = int(ckpt["epoch"]), int(ckpt["step"])
        session.similarity = float(ckpt.get("similarity", float("nan")))
        session.best_epoch = ckpt.get("best_epoch")
        session.best_similarity = float(ckpt.get("best_similarity", float("nan")))
    if ranks.rank > 0:
        # Other ranks draw their own batches and noise (rank 0 keeps the
        # single-process stream, which is the one checkpoints save).
        rng.manual_seed(config.seed + 1_000_003 * ranks.rank + session.step)
    autocast = use_precision(config.precision, device)
    cropped = window.crop(distributed.shard(data, ranks))
    # Wrapped after loading: DDP starts every rank from rank 0's weights.
    session.trainer = Trainer(
        distributed.wrap(G, device, ranks), distributed.wrap(D, device, ranks), opt_g, opt_d,
        gp_weight=config.gp_weight, rng=rng, batch_size=config.batch_size,
        data=torch.as_tensor(cropped, device=device), autocast_dtype=autocast,
        reconstruction_weight=config.reconstruction_weight, average=average,
        parallel_penalty=config.parallel_penalty,
        shift_bounds=torch.as_tensor(shift_bounds(cropped, config.transpose), device=device)
        if config.transpose > 0 else None)
    return session


def learning_rate_scale(config: TrainConfig, epoch: int) -> float:
    """Share of the configured learning rates during epoch ``epoch + 1``: from
    1 at the start, falling linearly to ``lr_floor`` in the last epoch."""
    if config.lr_floor >= 1.0 or config.epochs <= 1:
        return 1.0
    return 1.0 - (1.0 - config.lr_floor) * min(1.0, epoch / (config.epochs - 1))


def set_learning_rates(session: Session, epoch: int) -> None:
    """Apply the schedule for ``epoch`` to both optimisers, in place."""
    scale = learning_rate_scale(session.config, epoch)
    for opt, base in ((session.opt_g, session.config.generator_lr),
                      (session.opt_d, session.config.critic_lr)):
        for group in opt.param_groups:
            if hasattr(group["lr"], "fill_"):
                group["lr"].fill_(base * scale)
            else:
                group["lr"] = base * scale


def set_cpu_threads(session: Session) -> str:
    """Pick torch's CPU threads for this run; the device label for the log."""
    import torch

    from gan.models import count_parameters
    from gan.training.device import cpu_threads, cpu_threads_for, device_label

    label = device_label(session.device)
    if session.device.type == "cpu":
        ranks = session.ranks
        if ranks.distributed:
            # Ranks on one node share its cores; more threads each only spin.
            torch.set_num_threads(cpu_threads_for(0, max(1, cpu_threads() // ranks.local_world_size)))
        else:
            torch.set_num_threads(cpu_threads_for(count_parameters(session.G), cpu_threads()))
        label += f" ({torch.get_num_threads()} of {cpu_threads()} cores)"
    return label


def set_part_writing(session: Session, measured: dict) -> None:
    """Give the composer (and its weight average, which writes the pieces)
    the part-writing rules of the music it learns from, derived from that
    music's voice-leading metrics ``measured`` per piece (the job's scorer
    has them already: measuring them again cost 0.25 s at every start).
    Nothing when the config turns it off or the voices are not single lines."""
    if not (session.config.part_writing and session.G.monophonic):
        return
    from gan.models.part_writing import PartWriting

    # Each voice's onsets are shifted to the genre's notes per bar, its
    # re-struck notes' pitches chosen given their onsets as strongly as
    # makes it repeat notes (and leap octaves) as often as the genre, and a
    # voice pair crossing more often than the genre's is uncrossed down to
    # the genre's rate, all fitted at each epoch end
    # (gan.models.part_writing).
    rules = PartWriting.for_measured(measured).to_fit(len(session.G.voices))
    # the checkpoint keeps G's; the composer (G or its weight average) writes
    session.G.part_writing = session.composer.part_writing = rules
