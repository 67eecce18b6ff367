"""Progress of a running job, derived from the training events in one place.

The runner (which writes the ETA to the job store) and the command line
(which prints it) both follow a run with a ``RunProgress``: the run's total
steps and start step from ``RunStarted``, the latest ``StepStats``, and
from them the seconds left.
"""

from __future__ import annotations

from gan.training.events import Event, RunStarted, StepStats


def eta_seconds(total_steps: int, start_step: int, ev: StepStats) -> float | None:
    """Seconds left, from the whole run's pace since (re)start, so the time
    spent on metrics and samples at each epoch end is counted too."""
    done = ev.step - start_step
    if not total_steps or ev.elapsed <= 0 or done <= 0:
        return None
    return max(0.0, (total_steps - ev.step) * ev.elapsed / done)


class RunProgress:
    """Where a run stands: feed it every event with ``update``."""

    def __init__(self, total_epochs: int = 0) -> None:
        self.total_epochs = total_epochs
        self.total_steps = 0
        self.start_step = 0
        self.latest: StepStats | None = None

    def update(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.total_steps = event.total_steps
            self.start_step, self.total_epochs = event.start_step, event.total_epochs
        elif isinstance(event, StepStats):
            self.latest = event

    @property
    def eta_seconds(self) -> float | None:
        ev = self.latest
        return None if ev is None else eta_seconds(self.total_steps, self.start_step, ev)
