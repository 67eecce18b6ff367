"""Finds the training devices without freezing the window.

A ``Worker`` whose task is ``app.devices.probe_devices``: the question goes
to a spawned child process (importing torch holds the GIL for most of a
second), the worker thread waits for the answer, and ``found`` brings it
to the GUI thread. Asked again, the answer from earlier is given at once.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app import devices
from app.ui.worker import Worker


def _probe(ctx) -> tuple[list, str]:
    return devices.probe_devices(ctx.should_stop)


class DeviceProbe(QObject):
    """``found`` carries describe_devices()'s list (the CPU at least)."""

    found = Signal(list, str)  # devices, error ('' when fine)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._worker: Worker | None = None
        self._stopped = False

    @staticmethod
    def cached() -> list | None:
        return devices.cached()

    def start(self) -> None:
        """Ask (once); a probe stopped with its window does not start again."""
        if self._stopped:
            return
        known = devices.cached()
        if known is not None:
            QTimer.singleShot(0, lambda: self.found.emit(known, ""))
            return
        if self._worker is not None and self._worker.is_running():
            return
        self._worker = Worker(_probe, name="polyphony-device-probe")
        self._worker.returned.connect(self._on_answer)
        self._worker.start()

    def _on_answer(self, answer: tuple[list, str]) -> None:
        self.found.emit(*answer)

    def stop(self) -> None:
        self._stopped = True
        if self._worker is not None:
            self._worker.quit()
            self._worker.wait(5)
