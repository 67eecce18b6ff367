"""Follows the job store for the window, reading only what changed (Qt-free).

The store bumps one integer on every write (``change_counter``); the window
asks ``changed()`` a few times a second and, only when it moved, calls
``refresh()`` for the job list. Per job, ``feed`` appends the step rows
logged since the last look to the job's ``JobSeries`` (which this watcher
owns, so a job's chart data is read once however often it is shown), and
re-reads the epoch rows only when the job's epoch moved. Jobs started by
the window's own queue and by the command line are followed alike.
"""

from __future__ import annotations

from typing import Any

from app.jobs.series import JobSeries


class JobWatcher:
    def __init__(self, store: Any) -> None:
        self.store = store
        self.jobs: dict[int, Any] = {}  # id -> Job, as of the last refresh
        self._series: dict[int, JobSeries] = {}
        self._last_counter = -1

    # -- the job list ---------------------------------------------------------
    def changed(self) -> bool:
        """True when something was written since the last ``refresh``."""
        return self.store.change_counter() != self._last_counter

    def refresh(self) -> tuple[list[Any], list[int]]:
        """Read the job list again: (jobs newest first, ids of jobs gone since
        the last look, whose series are dropped)."""
        self._last_counter = self.store.change_counter()
        jobs = self.store.list()
        self.jobs = {j.id: j for j in jobs}
        gone = [job_id for job_id in self._series if job_id not in self.jobs]
        for job_id in gone:
            del self._series[job_id]
        return jobs, gone

    def job(self, job_id: int) -> Any:
        return self.jobs.get(job_id)

    def running(self) -> list[Any]:
        return [j for j in self.jobs.values() if j.status == "running"]

    def queued_count(self) -> int:
        return sum(1 for j in self.jobs.values() if j.status == "queued")

    # -- one job's data -------------------------------------------------------
    def series(self, job_id: int) -> JobSeries:
        """The job's chart series (empty until ``feed``)."""
        series = self._series.get(job_id)
        if series is None:
            job = self.jobs.get(job_id)
            series = self._series[job_id] = JobSeries(job_id, job.name if job else "")
        return series

    def has_series(self, job_id: int) -> bool:
        return job_id in self._series

    def feed(self, job_id: int) -> JobSeries | None:
        """Bring the job's series up to date, reading only what is new."""
        job = self.jobs.get(job_id)
        if job is None:
            return None
        series = self.series(job_id)
        series.add_steps(self.store.steps(job_id, after_step=series.last_step))
        if len(series.epoch_rows) != job.epoch or not series.reference:
            epochs = self.store.epochs(job_id)
            series.set_epochs(epochs)
            if epochs or not series.reference:
                metrics, ceiling = self.store.reference(job_id)
                if metrics != series.reference or (ceiling == ceiling and ceiling != series.ceiling):
                    series.set_reference(metrics, ceiling)
        return series

    def events_after(self, job_id: int, after_id: int) -> list[Any]:
        return self.store.events(job_id, after_id=after_id)

    def samples(self, job_id: int) -> list[Any]:
        return self.store.samples(job_id)
