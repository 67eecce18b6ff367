"""The training loop behind every job: ``train(config, data, on_event, should_stop)``.

It talks to the outside only through plain records (gan.training.events) sent to
``on_event`` and a ``should_stop`` flag it checks between updates. Each
epoch it generates pieces from fixed latents (and fixed melodies), saves a
few as MIDI, measures the music metrics and the similarity index against
the training set, and writes an atomic checkpoint from which a stopped run
resumes exactly where an unbroken run would be.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import time
from pathlib import Path

import numpy as np

from gan.training.checkpoint import load_checkpoint, point_latest, save_checkpoint
from gan.config import TrainConfig, epoch_steps
from gan.training.events import EpochReport, EventCallback, RunFinished, RunStarted, StepStats, StopFlag
from gan.evaluation.metrics import piece_metrics, summarize
from gan.models.pitch_window import PitchWindow
from gan.data.roll import STEPS_PER_BAR, TRACKS, VOICE_NAMES
from gan.evaluation.similarity import ceiling, feature_keys, similarity_index

log = logging.getLogger(__name__)

# Model-shape settings a checkpoint must share with the run that resumes it.
_SHAPE_FIELDS = ("architecture", "width", "latent_size", "bars_per_sample")


def _cpu_threads_for(generator_params: int, cores: int) -> int:
    """Torch threads for training on the CPU.

    OpenMP threads spin while they wait for each other: when the cores are
    already busy (other programs, or a tiny model whose convolutions are
    too small to split), a second thread makes each step slower, not faster
    (measured on 2 cores with other work running: 2x slower for ``quick``,
    8x for ``smoke``). ``POLYPHONY_TORCH_THREADS`` overrides the choice.
    """
    override = os.environ.get("POLYPHONY_TORCH_THREADS", "").strip()
    if override.isdigit() and int(override) > 0:
        return int(override)
    if generator_params < 200_000 or cores <= 1:
        return 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows
        return cores
    return 1 if busy >= cores - 0.5 else cores


class _Cancelled(Exception):
    pass


class _Diverged(Exception):
    pass


def check_data(data: np.ndarray, config: TrainConfig) -> np.ndarray:
    """The segments as a bool array, or a ValueError that says what is wrong."""
    if not isinstance(data, np.ndarray):
        raise ValueError(f"training data must be a numpy array, got {type(data).__name__}")
    steps = config.bars_per_sample * STEPS_PER_BAR
    if data.ndim != 4 or data.shape[1] != TRACKS or data.shape[2] != steps or data.shape[3] < 12:
        raise ValueError(f"training data must be (segments, {TRACKS} voices, {steps} steps "
                         f"= {config.bars_per_sample} bars x {STEPS_PER_BAR}, pitches); "
                         f"got shape {tuple(data.shape)}")
    if len(data) < 2:
        raise ValueError(f"training needs at least 2 segments; the selection has {len(data)}")
    if data.dtype != bool:
        if not np.isin(data, (0, 1)).all():
            raise ValueError("training data must be a piano roll of 0/1 (bool) values")
        data = data.astype(bool)
    if not data.any():
        raise ValueError("training data has no notes at all")
    return data


def train(config: TrainConfig, data: np.ndarray, on_event: EventCallback,
          should_stop: StopFlag = lambda: False, *, run_dir: str | os.PathLike,
          resume_from: str | os.PathLike | None = None, genre: str | None = None) -> RunFinished:
    """Train, report through ``on_event``, return the final ``RunFinished``.

    Bad input (invalid config, wrongly shaped data, unusable checkpoint, a
    device that is not there) raises before anything is written. Once
    training runs, a failure is reported as ``RunFinished("failed", reason)``.
    """
    config.validate()
    data = check_data(data, config)
    import torch

    from gan.training import distributed
    from gan.training.device import cpu_threads, device_label, resolve_device
    from gan.models import build_models, count_parameters
    from gan.training.wgan import Trainer

    # Under torchrun: rank 0 reads the checkpoint, writes files and sends
    # events; the other ranks only train (their on_event is not called).
    ranks = distributed.current()
    main = ranks.is_main
    device = distributed.rank_device(resolve_device(config.device), ranks)
    if ranks.distributed:
        ckpt = _shared_checkpoint(resume_from if main else None, config, data, ranks)
    else:
        ckpt = load_checkpoint(resume_from) if resume_from is not None else None
        if ckpt is not None:
            _check_resumable(ckpt, config, data)
    if not main:
        on_event = _ignore
    threads_before = torch.get_num_threads()

    run_dir = Path(run_dir)
    samples_dir, ckpt_dir = run_dir / "samples", run_dir / "checkpoints"
    if main:
        samples_dir.mkdir(parents=True, exist_ok=True)
        ckpt_dir.mkdir(parents=True, exist_ok=True)

    n_segments, _, n_steps, _ = data.shape
    window = PitchWindow.fit(data)  # the model sees only the rows the music uses
    torch.manual_seed(config.seed)  # the models' initial weights
    G, D = build_models(config, n_steps, window.size)
    G.pitch_window = window
    # Voices that never play two pitches at once are generated that way too.
    G.monophonic = bool((data.sum(-1) <= 1).all())
    G, D = G.to(device), D.to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=config.generator_lr, betas=(config.beta1, config.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=config.critic_lr, betas=(config.beta1, config.beta2))
    rng = torch.Generator(device=device).manual_seed(config.seed)
    autocast = torch.bfloat16 if device.type == "cuda" and torch.cuda.is_bf16_supported() else None

    epoch, step = 0, 0
    if ckpt is not None:
        G.load_state_dict(ckpt["generator"])
        D.load_state_dict(ckpt["critic"])
        opt_g.load_state_dict(ckpt["opt_generator"])
        opt_d.load_state_dict(ckpt["opt_critic"])
        rng.set_state(ckpt["rng"]["train"])
        torch.set_rng_state(ckpt["rng"]["torch_cpu"])
        epoch, step = int(ckpt["epoch"]), int(ckpt["step"])
    if ranks.rank > 0:
        # Other ranks draw their own batches and noise (rank 0 keeps the
        # single-process stream, which is the one checkpoints save).
        rng.manual_seed(config.seed + 1_000_003 * ranks.rank + step)
    # Wrapped after loading: DDP starts every rank from rank 0's weights.
    trainer = Trainer(distributed.wrap(G, device, ranks), distributed.wrap(D, device, ranks),
                      opt_g, opt_d, gp_weight=config.gp_weight,
                      data=torch.as_tensor(window.crop(distributed.shard(data, ranks)), device=device),
                      rng=rng, batch_size=config.batch_size, autocast_dtype=autocast,
                      reconstruction_weight=config.reconstruction_weight)

    # Reference values of the training set, and the held-out ceiling.
    keys = feature_keys(config.architecture, VOICE_NAMES)
    if main:
        reference = piece_metrics(data)
        reference_summary = summarize(reference)
        top = ceiling(reference, config.metric_samples, keys, seed=config.seed)
        fixed = _FixedInputs(G, data, config)
    else:
        reference, reference_summary, top, fixed = None, {}, float("nan"), None
    # An epoch is one pass over the data by all ranks together.
    steps_per_epoch = epoch_steps(config, n_segments, ranks.world_size)

    label = device_label(device)
    if device.type == "cpu":
        if ranks.distributed:
            # Ranks on one node share its cores; more threads each only spin.
            torch.set_num_threads(_cpu_threads_for(0, max(1, cpu_threads() // ranks.local_world_size)))
        else:
            torch.set_num_threads(_cpu_threads_for(count_parameters(G), cpu_threads()))
        label += f" ({torch.get_num_threads()} of {cpu_threads()} cores)"
    if ranks.distributed:
        labels = distributed.gather(label, ranks)
        label = f"{ranks.world_size} ranks ({distributed.backend()}): " + \
            "; ".join(f"{r}: {text}" for r, text in enumerate(labels))
    on_event(RunStarted(
        total_epochs=config.epochs, steps_per_epoch=steps_per_epoch, start_epoch=epoch,
        start_step=step, device=label, n_segments=n_segments,
        generator_params=count_parameters(G), critic_params=count_parameters(D),
        run_dir=str(run_dir), reference_metrics=reference_summary, ceiling=top,
        world_size=ranks.world_size))

    started = time.perf_counter()
    steps_done = 0
    similarity = float(ckpt.get("similarity", float("nan"))) if ckpt is not None else float("nan")
    first_bad = torch.full((), -1, dtype=torch.long, device=device)  # first non-finite step
    losses_at_bad = None
    try:
        while epoch < config.epochs:
            epoch_start = time.perf_counter()
            logged: list[list[float]] = []
            for _ in range(steps_per_epoch):
                for _ in range(config.critic_updates):
                    if not ranks.distributed and should_stop():
                        raise _Cancelled
                    d_loss, wass, gp = trainer.critic_step()
                if not ranks.distributed and should_stop():
                    raise _Cancelled
                g_loss = trainer.generator_step()
                step += 1
                steps_done += 1
                stacked = torch.stack([d_loss, g_loss, wass, gp])
                # Remember the first bad step on the device: no host sync here.
                bad = ~torch.isfinite(stacked).all()
                first_bad = torch.where(bad & (first_bad < 0), torch.full_like(first_bad, step), first_bad)
                is_log = step % config.log_every == 0
                values = [math.nan] * 4
                if ranks.distributed:
                    # All ranks stop, or fail, at the same step: one that left
                    # alone would leave the others waiting in the next all-reduce.
                    stop, bad = distributed.any_rank([should_stop(), int(first_bad) >= 0], ranks, device)
                    if bad:
                        losses_at_bad = stacked.tolist()
                        raise _Diverged(max(int(first_bad), step))
                    if stop:
                        raise _Cancelled
                if is_log or device.type == "cpu":  # on the CPU reading is free
                    if int(first_bad) >= 0:
                        losses_at_bad = stacked.tolist()
                        raise _Diverged(int(first_bad))
                if is_log:
                    values = stacked.tolist()
                    logged.append(values)
                elapsed = time.perf_counter() - started
                on_event(StepStats(epoch=epoch + 1, step=step, critic_loss=values[0],
                                   generator_loss=values[1], wasserstein=values[2],
                                   gradient_penalty=values[3], elapsed=elapsed,
                                   steps_per_second=steps_done / elapsed if elapsed > 0 else 0.0))
            if int(first_bad) >= 0:  # a non-log step went bad on an accelerator
                losses_at_bad = stacked.tolist()
                raise _Diverged(int(first_bad))
            epoch += 1
            rank_steps = _check_ranks_agree(ranks, steps_done, G, D)
            if not main:
                continue
            report = _end_epoch(config, epoch, step, G, D, opt_g, opt_d, rng, fixed, reference,
                                keys, top, logged, samples_dir, ckpt_dir, genre,
                                time.perf_counter() - epoch_start)
            if ranks.distributed:
                report = dataclasses.replace(report, rank_steps=rank_steps)
            similarity = report.similarity
            on_event(report)
    except _Cancelled:
        done = epoch
        finished = RunFinished("cancelled", epoch=done, step=step, similarity=similarity,
                               reason=f"stopped by request during epoch {done + 1}; "
                                      f"resume from epoch {done}")
    except _Diverged as exc:
        names = ("critic", "generator", "wasserstein", "gradient penalty")
        detail = ", ".join(f"{n} {v:.3g}" for n, v in zip(names, losses_at_bad or []) if not math.isfinite(v))
        finished = RunFinished("failed", epoch=epoch, step=step, similarity=similarity,
                               reason=f"diverged at step {exc.args[0]}" + (f" ({detail})" if detail else ""))
    except Exception as exc:  # reported, not raised: the job runner records it
        log.exception("training failed")
        finished = RunFinished("failed", epoch=epoch, step=step, similarity=similarity,
                               reason=f"{type(exc).__name__}: {exc}")
    else:
        finished = RunFinished("completed", epoch=epoch, step=step, similarity=similarity)
    finally:
        torch.set_num_threads(threads_before)
    on_event(finished)
    return finished


def _ignore(event) -> None:
    pass


def _shared_checkpoint(resume_from, config: TrainConfig, data: np.ndarray, ranks):
    """Rank 0 reads and checks the checkpoint; every rank gets it (or the
    same error), so a multi-node run needs no shared folder to resume."""
    from gan.training import distributed

    outcome, failure = None, None
    if ranks.is_main and resume_from is not None:
        try:
            ckpt = load_checkpoint(resume_from)
            _check_resumable(ckpt, config, data)
            outcome = ("ok", ckpt)
        except Exception as exc:  # every rank must hear of it before raising
            failure, outcome = exc, ("error", str(exc))
    outcome = distributed.broadcast(outcome, ranks)
    if failure is not None:
        raise failure  # rank 0 raises what a single process would
    if outcome is not None and outcome[0] == "error":
        raise ValueError(outcome[1])
    return None if outcome is None else outcome[1]


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


class _FixedInputs:
    """The epoch samples' latents and melodies (fixed for the whole run)."""

    def __init__(self, G, data: np.ndarray, config: TrainConfig):
        from gan.training.sampling import fixed_latents, fixed_melody_indices

        n = config.metric_samples
        self.latents = fixed_latents(G, n, config.seed)
        self.melodies = data[fixed_melody_indices(len(data), n, config.seed), 0] \
            if getattr(G, "conditional", False) else None


def _end_epoch(config, epoch, step, G, D, opt_g, opt_d, rng, fixed, reference, keys, top,
               logged, samples_dir: Path, ckpt_dir: Path, genre, seconds) -> EpochReport:
    import torch

    from gan.training.sampling import generate, save_midi

    samples = generate(G, n=len(fixed.latents), melody=fixed.melodies, latents=fixed.latents)
    per_piece = piece_metrics(samples)
    metrics = summarize(per_piece)
    similarity, _ = similarity_index(per_piece, reference, keys)
    paths = []
    for i in range(min(config.samples_per_epoch, len(samples))):
        paths.append(str(save_midi(samples[i], samples_dir / f"epoch_{epoch:04d}_{i:02d}.mid", genre=genre)))
    state = {
        "config": config.to_dict(), "epoch": epoch, "step": step,
        "n_steps": int(samples.shape[2]), "n_pitches": G.pitch_window.size,
        "pitch_offset": G.pitch_window.offset, "full_pitches": G.pitch_window.full,
        "monophonic": G.monophonic,
        "generator": G.state_dict(), "critic": D.state_dict(),
        "opt_generator": opt_g.state_dict(), "opt_critic": opt_d.state_dict(),
        "rng": {"train": rng.get_state(), "torch_cpu": torch.get_rng_state()},
        "similarity": float(similarity), "metrics": {k: float(v) for k, v in metrics.items()},
        "genre": genre or "",
    }
    path = save_checkpoint(state, ckpt_dir / f"epoch_{epoch:04d}.pt")
    point_latest(path, ckpt_dir / "latest.pt")
    means = np.array(logged).mean(0) if logged else [math.nan] * 4
    return EpochReport(epoch=epoch, step=step, critic_loss=float(means[0]),
                       generator_loss=float(means[1]), wasserstein=float(means[2]),
                       metrics=metrics, similarity=float(similarity), ceiling=float(top),
                       sample_paths=paths, checkpoint_path=str(path), seconds=float(seconds),
                       samples=samples[:config.samples_per_epoch].copy())


def _check_resumable(ckpt: dict, config: TrainConfig, data: np.ndarray) -> None:
    saved = ckpt.get("config", {})
    diffs = [f"{k}: checkpoint {saved.get(k)!r}, now {getattr(config, k)!r}"
             for k in _SHAPE_FIELDS if saved.get(k) != getattr(config, k)]
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


def load_generator(path: str | os.PathLike, device: str = "cpu"):
    """(generator in eval mode, TrainConfig) from a checkpoint, for composing."""
    from gan.training.device import resolve_device
    from gan.models import build_models

    ckpt = load_checkpoint(path)
    config = TrainConfig.from_dict(ckpt["config"])
    G, _ = build_models(config, int(ckpt["n_steps"]), int(ckpt["n_pitches"]))
    G.load_state_dict(ckpt["generator"])
    G.pitch_window = PitchWindow(int(ckpt["pitch_offset"]), int(ckpt["n_pitches"]), int(ckpt["full_pitches"]))
    G.monophonic = bool(ckpt.get("monophonic", False))
    return G.to(resolve_device(device)).eval(), config


def generate(path_or_model, *, melody: np.ndarray | None = None, n: int | None = None,
             seed: int = 0, device: str = "cpu") -> np.ndarray:
    """Bool rolls (n, 4, steps, pitches) from a checkpoint path or a loaded
    generator: the U-Net accompanies ``melody`` (n, steps, pitches); MuseGAN
    writes ``n`` pieces. The same seed gives the same pieces."""
    from gan.training import sampling

    model = path_or_model
    if isinstance(path_or_model, (str, os.PathLike)):
        model, _ = load_generator(path_or_model, device=device)
    return sampling.generate(model, n=n, melody=melody, seed=seed)
