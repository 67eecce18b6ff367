"""Runs the job queue beside the window: on a worker thread or in a child process.

Both modes run the same loop (``app.jobs.queue_loop.serve_queue``) and write
the same job store; the window only watches the store, so it draws a job the
same way whichever mode runs it (or the command line does). Both are a
``Worker`` (app/ui/worker.py), so the tests' leak check sees them.

* ``process`` (the window's default, see DEFAULT_MODE): the worker's task
  spawns a child process that runs the loop, and joins it. The GUI never
  waits for the GIL held by training and never imports torch; a crash in
  training cannot take the window down.
* ``thread`` (``POLYPHONY_TRAINING=thread``): the worker's task is the queue
  loop itself. torch is imported on the GUI thread, announced in the status
  bar, when the queue first starts (importing it on the worker thread would
  freeze the GUI through the GIL anyway, unannounced).

Stopping is cooperative in both: a flag the training loop checks between
steps, then the thread/process is joined.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.jobs.queue_loop import child_main, serve_queue
from app.ui.worker import TaskContext, Worker

MODES = ("thread", "process")
# Chosen by bench/bench_gui.py --first-minute (docs/bench/gui.md): with the
# training in a QThread, pressing Start froze the window for 1.9-4.2 s (torch
# imported on the GUI thread) and training then held the GIL for up to
# 110-310 ms at a time; in a child process no stall passed 100 ms.
DEFAULT_MODE = "process"
STOP_GRACE_SECONDS = 30.0  # a child process that ignores the stop flag longer is terminated


def default_torch_threads() -> int:
    """All cores but one: the window keeps a core, so torch's worker threads
    are not stalled waiting for a core the GUI holds (measured on 2 cores:
    2 threads beside the window ran at ~70 % of headless, 1 thread at ~100 %)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def _queue_in_thread(ctx: TaskContext, db_path: str | None, torch_threads: int,
                     host: "TrainingHost") -> None:
    import torch

    # Process-wide setting: put it back when the queue is done.
    before = torch.get_num_threads()
    torch.set_num_threads(torch_threads)
    try:
        serve_queue(db_path, ctx.should_stop, host._set_current)
    finally:
        torch.set_num_threads(before)


def _queue_in_process(ctx: TaskContext, db_path: str | None, torch_threads: int,
                      host: "TrainingHost") -> None:
    spawn = multiprocessing.get_context("spawn")
    stop_event, current = spawn.Event(), spawn.Value("i", 0)
    host._shared_current = current
    proc = spawn.Process(target=child_main, name="polyphony-training",
                         args=(db_path, os.environ.get("POLYPHONY_HOME"), stop_event, current,
                               torch_threads), daemon=True)
    proc.start()
    while proc.is_alive():
        if ctx.should_stop():
            stop_event.set()
            proc.join(STOP_GRACE_SECONDS)
            if proc.is_alive():
                # The loop did not answer in time (e.g. stuck loading data):
                # the job row is recovered as interrupted on the next start.
                proc.terminate()
                proc.join(5)
            break
        proc.join(0.25)
    host._shared_current = None
    if proc.exitcode not in (0, None) and not ctx.should_stop():
        raise RuntimeError(f"the training process ended with exit code {proc.exitcode}")


class TrainingHost(QObject):
    """Starts the queue on demand and says when it goes idle."""

    running_changed = Signal(bool)
    failed = Signal(str)  # the queue loop itself crashed (not a job failing)

    def __init__(self, db_path: str | Path | None = None, mode: str = DEFAULT_MODE,
                 torch_threads: int = 0, parent: QObject | None = None):
        super().__init__(parent)
        if mode not in MODES:
            raise ValueError(f"training mode {mode!r} is not one of {', '.join(MODES)}")
        self.mode = mode
        self.db_path = str(db_path) if db_path is not None else None
        # 0 = all cores but one (see default_torch_threads).
        self.torch_threads = torch_threads or default_torch_threads()
        self._worker: Worker | None = None
        self._current = 0  # thread mode: set from the worker thread (an int: atomic)
        self._shared_current = None  # process mode: the child's multiprocessing Value

    # -- state --------------------------------------------------------------
    def is_running(self) -> bool:
        return self._worker is not None and self._worker.is_running()

    def current_job(self) -> int:
        """The job this host is training now (0 when none)."""
        shared = self._shared_current
        return int(shared.value) if shared is not None else self._current

    # -- control ------------------------------------------------------------
    def start(self) -> bool:
        """Start working through the queue; False if it is already running."""
        if self.is_running():
            return False
        task = _queue_in_thread if self.mode == "thread" else _queue_in_process
        worker = Worker(task, self.db_path, self.torch_threads, self, name="polyphony-training")
        worker.errored.connect(self._on_error)
        worker.finished.connect(lambda: self.running_changed.emit(False))
        self._worker = worker
        worker.start()
        self.running_changed.emit(True)
        return True

    def request_stop(self) -> None:
        """Ask the loop to stop after the current step (does not wait)."""
        if self._worker is not None:
            self._worker.quit()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop and wait; True when the thread/process has ended."""
        if self._worker is None:
            return True
        self.request_stop()
        grace = STOP_GRACE_SECONDS + 10 if self.mode == "process" else 0
        return self._worker.wait(timeout + grace)

    # -- internals ----------------------------------------------------------
    def _set_current(self, job_id: int) -> None:
        self._current = job_id

    def _on_error(self, exc: BaseException) -> None:
        self.failed.emit(f"{type(exc).__name__}: {exc}" if self.mode == "thread" else str(exc))
