"""Runs training jobs: the store on one side, ``gan.training.loop`` on the other.

Qt-free. The window's training host runs ``run_queue`` (``app.jobs.queue_loop``)
on a worker thread or in a child process; the command line calls ``run_job``
in the foreground. Both write the same store, so the window also sees jobs
the command line runs.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from gan.training.events import EpochReport, Event, Notice, RunFinished, RunStarted, StepStats
from gan.util.numbers import is_finite

from app.jobs.errors import InvalidTransition
from app.jobs.genre_judge import genre_judge
from app.jobs.liveness import Heartbeat
from app.jobs.progress import RunProgress
from app.jobs.records import Job, StepRow
from app.jobs.resume import load_music, resume_point
from app.jobs.store import JobStore
from app.music.selection import TrainingMusic, genre_of, genres_to_load, training_music

__all__ = ["JobNotRunnable", "genre_of", "genres_to_load", "load_training_data", "run_job",
           "run_queue", "run_worker_rank"]

# Step rows and progress are written at most this often (one transaction
# each time), so a fast CPU run does not hammer the database.
STEP_FLUSH_SECONDS = 0.5
# How often the store is asked whether someone (the window, `jobs cancel`)
# asked this job to stop.
CANCEL_POLL_SECONDS = 0.5

DataLoader = Callable[[Job], Any]


class JobNotRunnable(InvalidTransition):
    def __init__(self, job: Job):
        ValueError.__init__(self, f"job {job.id} is already running" if job.status == "running"
                            else f"job {job.id} is {job.status} and cannot be run again")
        self.job_id, self.old, self.new = job.id, job.status, "running"


def load_training_data(job: Job) -> TrainingMusic:
    """The job's music, chosen by its tags and split by its ``eval_share``."""
    return training_music(job.tags, job.tag_mode, job.config.bars_per_sample,
                          job.config.eval_share)


def _train_inputs(music: Any) -> tuple[Any, dict]:
    """(training segments, the other inputs of ``train``) from what a data
    loader returns: a ``TrainingMusic``, or plain segments (tests)."""
    if isinstance(music, TrainingMusic):
        return music.data, music.train_inputs()
    return music, {}


class _Recorder:
    """The ``on_event`` handed to gan.training.loop: writes each record to the store
    (throttled for steps), then passes it on."""

    def __init__(self, store: JobStore, job_id: int, forward: Callable[[Event], None] | None):
        self.store, self.job_id, self.forward = store, job_id, forward
        self.progress = RunProgress()
        self.pending: list[StepRow] = []
        self.dirty = False
        self.last_flush = 0.0
        self.finished: RunFinished | None = None

    def __call__(self, event: Event) -> None:
        self.progress.update(event)
        if isinstance(event, StepStats):
            self._step(event)
        elif isinstance(event, RunStarted):
            self.store.record_run_started(self.job_id, event)
        elif isinstance(event, EpochReport):
            self.flush()
            self.store.record_epoch(self.job_id, event)
        elif isinstance(event, RunFinished):
            self.flush()
            self.finished = event
        elif isinstance(event, Notice):  # for example why training is not as fast as it could be
            self.store.add_event(self.job_id, event.message, event.level)
        if self.forward is not None:
            self.forward(event)

    def _step(self, ev: StepStats) -> None:
        if is_finite(ev.critic_loss) or is_finite(ev.generator_loss):
            self.pending.append(StepRow(step=ev.step, epoch=ev.epoch, time=time.time(),
                                        critic_loss=ev.critic_loss,
                                        generator_loss=ev.generator_loss,
                                        wasserstein=ev.wasserstein,
                                        adversarial_loss=ev.adversarial_loss,
                                        reconstruction_loss=ev.reconstruction_loss))
        self.dirty = True
        if time.monotonic() - self.last_flush >= STEP_FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        latest = self.progress.latest
        if not self.dirty or latest is None:
            return
        self.store.record_steps(self.job_id, self.pending, latest.step,
                                latest.steps_per_second, self.progress.eta_seconds)
        self.pending, self.dirty = [], False
        self.last_flush = time.monotonic()


class _StopFlag:
    """should_stop for gan.training.loop: the caller's flag or a cancel request in
    the store (polled at most twice a second: it is called every step)."""

    def __init__(self, store: JobStore, job_id: int, should_stop: Callable[[], bool]):
        self.store, self.job_id, self.should_stop = store, job_id, should_stop
        self.last_poll = 0.0
        self.cancelled = False

    def __call__(self) -> bool:
        if self.cancelled or self.should_stop():
            return True
        now = time.monotonic()
        if now - self.last_poll >= CANCEL_POLL_SECONDS:
            self.last_poll = now
            self.cancelled = self.store.cancel_requested(self.job_id)
        return self.cancelled


def run_job(job_id: int, store: JobStore | None = None,
            should_stop: Callable[[], bool] = lambda: False,
            on_event: Callable[[Event], None] | None = None,
            load_data: DataLoader | None = None, *, claimed: bool = False) -> str:
    """Run one job now (queued, or resumed from its last checkpoint when it
    was interrupted, failed or cancelled); returns its final status.
    ``claimed=True``: this process already holds it (``store.create(...,
    claim=True)`` or ``store.claim``)."""
    store = store or JobStore()
    if not claimed and not store.claim(job_id):
        raise JobNotRunnable(store.get(job_id))
    try:
        job = store.get(job_id)
    except BaseException:
        store.release(job_id)
        raise
    return _run_claimed(store, job, should_stop, on_event, load_data)


def _run_claimed(store: JobStore, job: Job, should_stop: Callable[[], bool],
                 on_event: Callable[[Event], None] | None,
                 load_data: DataLoader | None) -> str:
    job_id = job.id
    recorder = _Recorder(store, job_id, on_event)
    status, reason = "failed", ""
    interrupted_by_user: BaseException | None = None
    try:
        with Heartbeat(lambda: store.heartbeat(job_id), store.close):
            try:
                point = resume_point(store, job)  # the newest checkpoint that loads
                resume_from = point[1] if point else None
                if point is not None and point[0] >= job.config.epochs:
                    # Killed after its last epoch was saved and recorded but
                    # before "completed" was: nothing is left to train.
                    store.add_event(job_id, f"All {point[0]} epochs were already done")
                    status = "completed"
                else:
                    if resume_from is not None:
                        store.add_event(job_id, f"Resuming from {resume_from.name}")
                    data, inputs = _train_inputs(load_music(store, job,
                                                            load_data or load_training_data))
                    from gan.training.loop import train

                    result = train(job.config, data, recorder,
                                   _StopFlag(store, job_id, should_stop), run_dir=job.job_dir,
                                   resume_from=resume_from, genre=genre_of(job.tags),
                                   judge=genre_judge(genre_of(job.tags), recorder)
                                   if job.config.judge_genre else None, **inputs)
                    result = recorder.finished or result
                    status, reason = result.status, result.reason
                if status not in ("completed", "failed", "cancelled"):
                    status, reason = "failed", f"training ended with status {status!r}"
            except KeyboardInterrupt as exc:
                status, reason, interrupted_by_user = "cancelled", "stopped with Ctrl-C", exc
            except Exception as exc:
                status, reason = "failed", f"{type(exc).__name__}: {exc}"
            recorder.flush()
            try:
                store.record_finished(job_id, status, reason)
            except InvalidTransition:
                # Another process declared us dead (stale heartbeat on a
                # shared folder) while we were in fact still training.
                store.set_status(job_id, "running")
                store.record_finished(job_id, status, reason)
    finally:
        store.release(job_id)
    if interrupted_by_user is not None:
        raise interrupted_by_user
    return status


def run_worker_rank(config, tags: list[str], tag_mode: str,
                    load_data: DataLoader | None = None) -> str:
    """A torchrun rank other than 0: trains its shard of the job's data with
    rank 0 and writes nothing (no store rows, no files). Returns the status
    its training ended with."""
    from types import SimpleNamespace

    from gan.training.loop import train

    job = SimpleNamespace(id=None, config=config, tags=list(tags), tag_mode=tag_mode)
    data, _ = _train_inputs((load_data or load_training_data)(job))
    # run_dir is never written on this rank; rank 0 owns the job folder.
    result = train(config, data, lambda event: None, run_dir=".", genre=genre_of(tags))
    return result.status


def run_queue(store: JobStore, should_stop: Callable[[], bool],
              on_event: Callable[[Event], None] | None = None,
              on_job_started: Callable[[int], None] | None = None,
              load_data: DataLoader | None = None) -> None:
    """Run queued jobs one at a time, next in queue order first (oldest
    unless reordered), until the queue is empty or ``should_stop()``."""
    while not should_stop():
        job = store.next_queued()
        if job is None:
            return
        if not store.claim(job.id):
            continue  # another worker took it first, or it was cancelled
        if on_job_started is not None:
            # Told at once: the job reads "running" from here on, and the
            # window, closing now, must know which job to keep queued.
            on_job_started(job.id)
        _run_claimed(store, store.get(job.id), should_stop, on_event, load_data)
