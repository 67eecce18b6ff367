"""Runs the job queue beside the window: in a QThread or in a child process.

Both modes run the same loop (``training_child.serve_queue``) and write the
same job store; the window only watches the store, so it draws a job the same
way whichever mode runs it (or the command line does).

* ``thread`` (the window's default, see DEFAULT_MODE): a QThread in this
  process. torch is imported on the GUI thread, announced in the status bar,
  when the queue first starts (importing it in the QThread would freeze the
  GUI through the GIL anyway, unannounced).
* ``process``: a spawned child process (``POLYPHONY_TRAINING=process``). The
  GUI never waits for the GIL held by training and never imports torch; a
  crash in training cannot take the window down.

Stopping is cooperative in both: a flag the training loop checks between
steps, then the thread/process is joined.
"""

from __future__ import annotations

import multiprocessing
import os
import weakref
from pathlib import Path

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from app.ui.training_child import child_main, serve_queue

MODES = ("thread", "process")
# Chosen by bench/bench_gui.py (docs/bench/gui.md): on 2 shared cores the
# thread kept p99 event-loop lateness under 50 ms and ran at 107-111 % of
# headless speed, the child process at 88-89 %.
DEFAULT_MODE = "thread"


def default_torch_threads() -> int:
    """All cores but one: the window keeps a core, so torch's worker threads
    are not stalled waiting for a core the GUI holds (measured on 2 cores:
    2 threads beside the window ran at ~70 % of headless, 1 thread at ~100 %)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, cores - 1)
# Every host ever started, so tests can check none is left running.
_HOSTS: "weakref.WeakSet[TrainingHost]" = weakref.WeakSet()


def live_hosts() -> list["TrainingHost"]:
    return [h for h in list(_HOSTS) if h.is_running()]


class _QueueThread(QThread):
    def __init__(self, db_path: str | None, torch_threads: int, parent: QObject | None = None):
        super().__init__(parent)
        self._torch_threads = torch_threads
        self.setObjectName("polyphony-training")
        self._db_path = db_path
        self.current_job = 0
        self.error = ""

    def run(self) -> None:
        import torch

        # Process-wide setting: put it back when the queue is done.
        before = torch.get_num_threads()
        torch.set_num_threads(self._torch_threads)
        try:
            serve_queue(self._db_path, self.isInterruptionRequested, self._set_current)
        except Exception as exc:  # shown to the user by the host's `failed` signal
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            torch.set_num_threads(before)

    def _set_current(self, job_id: int) -> None:
        self.current_job = job_id


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
        self._thread: _QueueThread | None = None
        self._proc = None
        self._ctx = multiprocessing.get_context("spawn")
        self._stop_event = None
        self._current = None
        self._poll = QTimer(self)
        self._poll.setInterval(250)
        self._poll.timeout.connect(self._check_process)
        self._announced = False
        _HOSTS.add(self)

    # -- state --------------------------------------------------------------
    def is_running(self) -> bool:
        if self._thread is not None:
            return self._thread.isRunning()
        return self._proc is not None and self._proc.is_alive()

    def current_job(self) -> int:
        """The job this host is training now (0 when none)."""
        if self._thread is not None:
            return self._thread.current_job
        if self._proc is not None and self._current is not None:
            return int(self._current.value)
        return 0

    # -- control ------------------------------------------------------------
    def start(self) -> bool:
        """Start working through the queue; False if it is already running."""
        if self.is_running():
            return False
        self._cleanup()
        if self.mode == "thread":
            self._thread = _QueueThread(self.db_path, self.torch_threads, self)
            self._thread.finished.connect(self._thread_finished)
            self._thread.start()
        else:
            self._stop_event = self._ctx.Event()
            self._current = self._ctx.Value("i", 0)
            self._proc = self._ctx.Process(
                target=child_main, name="polyphony-training",
                args=(self.db_path, os.environ.get("POLYPHONY_HOME"), self._stop_event,
                      self._current, self.torch_threads),
                daemon=True)
            self._proc.start()
            self._poll.start()
        self._announce(True)
        return True

    def request_stop(self) -> None:
        """Ask the loop to stop after the current step (does not wait)."""
        if self._thread is not None:
            self._thread.requestInterruption()
        elif self._stop_event is not None:
            self._stop_event.set()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop and wait; True when the thread/process has ended."""
        self.request_stop()
        ended = True
        if self._thread is not None:
            ended = self._thread.wait(int(timeout * 1000))
        elif self._proc is not None:
            self._proc.join(timeout)
            if self._proc.is_alive():
                # The loop did not answer in time (e.g. stuck loading data):
                # the job row is recovered as interrupted on the next start.
                self._proc.terminate()
                self._proc.join(5)
            ended = not self._proc.is_alive()
        if ended:
            self._cleanup()
            self._announce(False)
        return ended

    # -- internals ----------------------------------------------------------
    def _thread_finished(self) -> None:
        thread = self._thread
        if thread is not None and thread.error:
            self.failed.emit(thread.error)
        self._announce(False)

    def _check_process(self) -> None:
        if self._proc is not None and not self._proc.is_alive():
            code = self._proc.exitcode
            self._poll.stop()
            if code not in (0, None):
                self.failed.emit(f"the training process ended with exit code {code}")
            self._announce(False)

    def _announce(self, running: bool) -> None:
        if running != self._announced:
            self._announced = running
            self.running_changed.emit(running)

    def _cleanup(self) -> None:
        self._poll.stop()
        if self._thread is not None and not self._thread.isRunning():
            self._thread.deleteLater()
            self._thread = None
        if self._proc is not None and not self._proc.is_alive():
            self._proc.join(0)
            self._proc = None
