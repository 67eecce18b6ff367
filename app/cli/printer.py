"""``train`` and ``jobs run``'s output: training events as lines or JSON objects.

Progress (total steps, ETA) comes from ``app.jobs.progress.RunProgress``,
the same account the runner writes to the job store.
"""

from __future__ import annotations

import math

from gan.training.events import (EpochReport, Notice, RunFinished, RunStarted, StepStats,
                                 to_json)

from app.cli.common import num, print_json
from app.estimate import format_duration
from app.jobs.progress import RunProgress


def _num(value: float | None, fmt: str = ".3f") -> str:
    return num(value, fmt, missing="n/a")


class Printer:
    """Turns training events into lines (or JSON objects) on stdout."""

    def __init__(self, job, as_json: bool):
        self.job, self.as_json = job, as_json
        self.progress = RunProgress(job.total_epochs)

    def __call__(self, event) -> None:
        self.progress.update(event)
        if self.as_json:
            out = to_json(event)
            out["job_id"] = self.job.id
            print_json(out)
            return
        line = self._line(event)
        if line:
            try:
                print(line, flush=True)
            except BrokenPipeError:
                pass

    def _line(self, event) -> str | None:
        progress = self.progress
        if isinstance(event, RunStarted):
            resumed = f", resuming at epoch {event.start_epoch}" if event.start_epoch else ""
            return (f"job {self.job.id} ({self.job.name}): training on {event.device}, "
                    f"{event.n_segments} segments, {event.total_epochs} epochs x "
                    f"{event.steps_per_epoch} steps{resumed}")
        if isinstance(event, StepStats) and math.isfinite(event.critic_loss):
            return (f"  step {event.step}/{progress.total_steps}  critic {_num(event.critic_loss)}  "
                    f"generator {_num(event.generator_loss)}  "
                    f"{_num(event.steps_per_second, '.1f')} steps/s")
        if isinstance(event, EpochReport):
            return (f"epoch {event.epoch}/{progress.total_epochs}  critic {_num(event.critic_loss)}  "
                    f"generator {_num(event.generator_loss)}  "
                    f"wasserstein {_num(event.wasserstein)}  "
                    f"similarity {_num(event.similarity)} (ceiling {_num(event.ceiling)})  "
                    f"{event.seconds:.1f}s  ETA {format_duration(progress.eta_seconds, compact=True)}")
        if isinstance(event, RunFinished):
            return f"training {event.status}" + (f": {event.reason}" if event.reason else "")
        if isinstance(event, Notice):
            return f"  {'warning' if event.level == 'warning' else 'note'}: {event.message}"
        return None

    def final(self, job) -> None:
        if self.as_json:
            print_json({"event": "JobFinished", "job_id": job.id, "name": job.name,
                        "status": job.status, "epoch": job.epoch,
                        "total_epochs": job.total_epochs,
                        "similarity_index": job.similarity,
                        "best_similarity": job.best_similarity,
                        "best_epoch": job.best_epoch, "error": job.error})
            return
        best = (f" (best {_num(job.best_similarity)} at epoch {job.best_epoch})"
                if job.best_epoch else "")
        print(f"job {job.id} {job.status}: epoch {job.epoch}/{job.total_epochs}, "
              f"similarity {_num(job.similarity)}{best}"
              + (f"\n  {job.error}" if job.error else "")
              + ("" if job.status == "completed" else
                 f"\n  resume with: python main.py jobs resume {job.id}"), flush=True)
