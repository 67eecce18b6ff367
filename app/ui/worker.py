"""The window's one way to run work in the background.

Modelled on superqt's ``thread_worker`` and Orange's ``FutureWatcher``: a
``Worker`` runs ``task(ctx, *args, **kwargs)`` on its own QThread and
delivers, always on the GUI thread and in this order, ``started``, any
number of ``progressed(value)`` (the task calls ``ctx.report(value)``),
then ``returned(result)`` or ``errored(exception)``, then ``finished``.
Quitting is cooperative: ``quit()`` raises a flag the task reads with
``ctx.should_stop()`` between two pieces of work; nothing is killed.

Every started worker stays in a registry until its result is delivered
(``live_workers()``), which keeps it alive while it runs and lets the tests
fail one that leaves work running. Widgets are only touched by the
receivers of these signals, on the GUI thread; a task touches none.

    worker = Worker(task, arg, name="polyphony-export")
    worker.returned.connect(self._on_done)
    worker.errored.connect(self._on_error)
    worker.start()
    ...
    worker.quit(); worker.wait(10)     # on shutdown
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any, Callable

from PySide6.QtCore import QMetaMethod, QObject, QThread, Signal

log = logging.getLogger("polyphony.ui")

_LIVE: set["Worker"] = set()


def live_workers() -> list["Worker"]:
    """Workers started and not yet finished (their result not delivered)."""
    return [w for w in list(_LIVE) if not w._delivered]


class TaskContext:
    """What a task gets as its first argument: a way to report progress and
    the flag that asks it to stop."""

    def __init__(self, worker: "Worker") -> None:
        self._worker = worker

    def report(self, value: Any = None) -> None:
        """Send ``value`` to ``progressed`` (delivered on the GUI thread)."""
        self._worker._progress_from_task.emit(value)

    def should_stop(self) -> bool:
        """True once ``quit()`` was called: end soon, cleanly."""
        return self._worker._stop.is_set()


class _TaskThread(QThread):
    def __init__(self, run: Callable[[], None], name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self._run = run

    def run(self) -> None:
        self._run()


class Worker(QObject):
    started = Signal()
    progressed = Signal(object)
    returned = Signal(object)
    errored = Signal(object)  # the exception the task raised
    finished = Signal()
    _progress_from_task = Signal(object)

    def __init__(self, task: Callable[..., Any], *args: Any, name: str = "polyphony-worker",
                 **kwargs: Any) -> None:
        super().__init__()
        self.name = name
        self._task, self._args, self._kwargs = task, args, kwargs
        self._stop = threading.Event()
        self._outcome: tuple[Any, BaseException | None] = (None, None)
        self._delivered = False
        self._thread: _TaskThread | None = None
        # A progress slot may pump events (a modal QProgressDialog's setValue
        # does): values arriving meanwhile wait here and go out after it, in
        # order, and the result after the last of them.
        self._pending: deque[Any] = deque()
        self._emitting = False
        self._deliver_after = False
        self._progress_from_task.connect(self._on_progress)

    # -- control --------------------------------------------------------------
    def start(self) -> "Worker":
        if self._thread is not None:
            raise RuntimeError(f"worker {self.name} was started already")
        self._thread = _TaskThread(self._run_task, self.name)
        # The thread object lives on the GUI thread: its finished signal,
        # emitted from the task's thread, is queued to this slot.
        self._thread.finished.connect(self._deliver)
        _LIVE.add(self)
        self._thread.start()
        self.started.emit()
        return self

    def quit(self) -> None:
        """Ask the task to stop (it checks ``ctx.should_stop()``); no wait."""
        self._stop.set()
        if self._thread is not None:
            self._thread.requestInterruption()

    def is_running(self) -> bool:
        """Started and its result not delivered yet."""
        return self._thread is not None and not self._delivered

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the task has ended, then deliver its result now (for
        shutdown, where no event loop runs any more). True when it ended."""
        if self._thread is None or self._delivered:
            return True
        ended = self._thread.wait(-1 if timeout_s is None else max(0, int(timeout_s * 1000)))
        if ended:
            self._deliver()
        return bool(ended)

    # -- the task's thread ----------------------------------------------------
    def _run_task(self) -> None:
        try:
            self._outcome = (self._task(TaskContext(self), *self._args, **self._kwargs), None)
        except BaseException as exc:  # delivered to errored on the GUI thread, never lost
            self._outcome = (None, exc)

    # -- the GUI thread -------------------------------------------------------
    def _on_progress(self, value: Any) -> None:
        if self._delivered:
            return
        self._pending.append(value)
        if self._emitting:
            return
        self._emitting = True
        try:
            while self._pending:
                self.progressed.emit(self._pending.popleft())
        finally:
            self._emitting = False
        if self._deliver_after:
            self._deliver_after = False
            self._deliver()

    def _deliver(self) -> None:
        if self._delivered or self._thread is None:
            return
        if self._emitting:  # inside a progress slot that pumps events: after it
            self._deliver_after = True
            return
        self._thread.wait()
        self._delivered = True
        _LIVE.discard(self)
        result, error = self._outcome
        if error is None:
            self.returned.emit(result)
        else:
            if not self.isSignalConnected(QMetaMethod.fromSignal(self.errored)):
                log.error("background task %s failed", self.name,
                          exc_info=(type(error), error, error.__traceback__))
            self.errored.emit(error)
        self.finished.emit()
