"""``train`` and ``jobs run``'s output: training events as lines or JSON objects.

Progress (total steps, ETA) comes from ``app.jobs.progress.RunProgress``,
the same account the runner writes to the job store. Each epoch prints its
losses and index, then the scores beside the index (both indexes, copying,
genre fidelity, whether the index has settled) and the voice leading next
to the real music's values from ``RunStarted.reference_metrics``.
"""

from __future__ import annotations

import math

from gan.training.events import (EpochReport, Notice, RunFinished, RunStarted, StepStats,
                                 to_json)

from app.cli.common import num, print_json
from app.estimate import format_duration
from app.jobs.progress import RunProgress
from app.jobs.series import (COPIED_RUN, COPIED_SHARE, FIDELITY_KEY, INDEX_TRAINING, INDEX_UNSEEN,
                             UNSEEN_SHARE, settling_text)

# Voice-leading totals printed per epoch: (metrics key, label, format).
VOICE_LEADING_LINE = (("parallel_fifths/all", "fifths/bar", ".2f"),
                      ("parallel_octaves/all", "octaves/bar", ".2f"),
                      ("voice_crossings/all", "crossings/bar", ".2f"),
                      ("voices_sounding/all", "voices sounding", ".2f"))


def _num(value: float | None, fmt: str = ".3f") -> str:
    return num(value, fmt, missing="n/a")


def _percent(share: float | None) -> float | None:
    return None if share is None else 100.0 * share


class Printer:
    """Turns training events into lines (or JSON objects) on stdout."""

    def __init__(self, job, as_json: bool):
        self.job, self.as_json = job, as_json
        self.progress = RunProgress(job.total_epochs)
        self.reference: dict[str, float] = {}
        self.epochs: list[EpochReport] = []  # for the settled verdict

    def __call__(self, event) -> None:
        self.progress.update(event)
        if isinstance(event, RunStarted):
            self.reference = dict(event.reference_metrics)
        if isinstance(event, EpochReport):
            self.epochs.append(event)
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
                    f"{event.seconds:.1f}s  ETA {format_duration(progress.eta_seconds, compact=True)}"
                    + "".join(f"\n  {line}" for line in self._score_lines(event)))
        if isinstance(event, RunFinished):
            return f"training {event.status}" + (f": {event.reason}" if event.reason else "")
        if isinstance(event, Notice):
            return f"  {'warning' if event.level == 'warning' else 'note'}: {event.message}"
        return None

    def _score_lines(self, event: EpochReport) -> list[str]:
        """The scores beside the index and the voice leading (real music's
        value in brackets); a line only when the epoch has its numbers."""
        from app.jobs.series import settling_of

        m, lines = event.metrics, []
        scores = []
        if INDEX_UNSEEN in m:
            scores.append(f"index on unseen melodies {_num(m[INDEX_UNSEEN])}")
        if INDEX_TRAINING in m:
            scores.append(f"on training melodies {_num(m[INDEX_TRAINING])}")
        if COPIED_SHARE in m:
            scores.append(f"copied {_num(_percent(m[COPIED_SHARE]), '.0f')}% of note-steps"
                          + (f" ({_num(_percent(m[UNSEEN_SHARE]), '.0f')}% on unseen melodies)"
                             if UNSEEN_SHARE in m else ""))
        if COPIED_RUN in m:
            scores.append(f"longest copy {_num(m[COPIED_RUN], '.1f')} bars")
        if FIDELITY_KEY in m:
            scores.append(f"genre fidelity {_num(_percent(m[FIDELITY_KEY]), '.0f')}%")
        if scores:
            lines.append("  ".join(scores))
        voice = [f"{label} {_num(m[key], fmt)} ({_num(self.reference.get(key), fmt)})"
                 for key, label, fmt in VOICE_LEADING_LINE if key in m]
        if voice:
            lines.append("voice leading (real): " + "  ".join(voice))
        if len(self.epochs) > 1:
            lines.append(settling_text(settling_of(self.epochs)))
        return lines

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
