"""A rough time-per-epoch estimate for the New Job dialog (Qt-free).

Work per generator step grows with batch size, piece length, critic updates
and roughly the square of the model width. The speed of this machine comes
from jobs that already ran here on the same kind of device (their measured
steps per second, scaled by the ratio of work); with no such job the dialog
says so instead of inventing a number.
"""

from __future__ import annotations

import math
from statistics import median

from gan.config import TrainConfig, epoch_steps


def work_units(cfg: TrainConfig) -> float:
    return float(cfg.batch_size * cfg.bars_per_sample * cfg.width ** 2 * (cfg.critic_updates + 1))


def steps_in_epoch(cfg: TrainConfig, n_segments: int | None) -> int | None:
    if not cfg.steps_per_epoch and not n_segments:
        return None
    return epoch_steps(cfg, n_segments or 0)  # the count gan.training.loop will use


def device_kind(name: str) -> str:
    """'cuda:0 (NVIDIA H100)' -> 'cuda'; 'cpu (2 cores)' -> 'cpu'."""
    return (name or "").split(":")[0].split(" ")[0].strip().lower()


def seconds_per_unit(jobs: list, kind: str) -> float | None:
    """Median measured seconds per work unit of past jobs on this device kind."""
    rates = [1.0 / (job.steps_per_second * work_units(job.config)) for job in jobs
             if job.steps_per_second and job.steps_per_second > 0
             and device_kind(job.device) == kind]
    return median(rates) if rates else None


def describe_estimate(cfg: TrainConfig, n_segments: int | None, jobs: list, kind: str) -> str:
    steps = steps_in_epoch(cfg, n_segments)
    if steps is None:
        return "Pick some music to see the epoch length."
    rate = seconds_per_unit(jobs, kind)
    if rate is None:
        return (f"{steps:,} steps per epoch. The time per epoch shows once one job has "
                f"run on this device ({kind or 'auto'}).")
    seconds = steps * work_units(cfg) * rate
    return (f"{steps:,} steps per epoch, about {format_duration(seconds)} per epoch, "
            f"{format_duration(seconds * cfg.epochs)} in all (rough, from your earlier jobs).")


def format_duration(seconds: float | None, compact: bool = False) -> str:
    """``1 min 05 s`` (the window), or ``1m05s`` with ``compact`` (the
    command line); ``—`` / ``?`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "?" if compact else "—"
    seconds = max(0, int(round(seconds)))
    hours, minutes, secs = seconds // 3600, seconds % 3600 // 60, seconds % 60
    if compact:
        return f"{seconds}s" if seconds < 60 else f"{minutes}m{secs:02d}s" if seconds < 3600 \
            else f"{hours}h{minutes:02d}m"
    return f"{seconds} s" if seconds < 60 else f"{minutes} min {secs:02d} s" if seconds < 3600 \
        else f"{hours} h {minutes:02d} min"


# The first job's time before any job ran here: `quick` on the chorales,
# 40 epochs (epoch ends and scoring on unseen melodies included) took 14.4
# minutes with one torch thread on a 2-core machine at load 2-3
# (docs/bench/runs/quick.json). More cores help less than linearly.
FIRST_JOB_REFERENCE_MINUTES = 14.4
FIRST_JOB_REFERENCE_CORES = 2


def first_job_minutes(cfg: TrainConfig, n_segments: int | None, jobs: list, kind: str,
                      cores: int) -> float:
    """Minutes the one-click first job should take here: from the jobs that
    ran on this device kind when there are any, else from the reference run
    scaled by the CPU cores (a GPU: the reference too, as an upper bound)."""
    steps = steps_in_epoch(cfg, n_segments)
    rate = seconds_per_unit(jobs, kind)
    if steps is not None and rate is not None:
        return steps * work_units(cfg) * rate * cfg.epochs / 60
    scale = (FIRST_JOB_REFERENCE_CORES / max(1, min(cores, 16))) ** 0.5
    return FIRST_JOB_REFERENCE_MINUTES * max(0.5, min(scale, 2.0))
