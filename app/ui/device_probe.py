"""Finds the training devices (CUDA GPU name / MPS / CPU) without freezing
the window: ``gan.training.device.describe_devices`` imports torch, which holds the
GIL for most of a second, so it runs in a spawned child process and the
answer comes back through a pipe polled by a timer.
"""

from __future__ import annotations

import multiprocessing

from PySide6.QtCore import QObject, QTimer, Signal


def _probe(conn) -> None:
    try:
        from gan.training.device import describe_devices

        conn.send(("ok", describe_devices()))
    except Exception as exc:  # e.g. a broken CUDA driver: the window still offers the CPU
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


FALLBACK = [{"name": "cpu", "kind": "cpu", "label": "cpu", "memory_gb": None}]


class DeviceProbe(QObject):
    """``found`` carries describe_devices()'s list (the CPU at least)."""

    found = Signal(list, str)  # devices, error ('' when fine)
    _cache: list | None = None

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._proc = None
        self._conn = None
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._poll)

    @classmethod
    def cached(cls) -> list | None:
        return cls._cache

    def start(self) -> None:
        if DeviceProbe._cache is not None:
            QTimer.singleShot(0, lambda: self.found.emit(DeviceProbe._cache, ""))
            return
        if self._proc is not None:
            return
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_probe, args=(child,), daemon=True,
                                 name="polyphony-device-probe")
        self._proc.start()
        child.close()
        self._timer.start()

    def _poll(self) -> None:
        devices, error = None, ""
        try:
            if self._conn.poll():
                status, payload = self._conn.recv()
                if status == "ok":
                    devices = payload
                else:
                    devices, error = FALLBACK, payload
            elif not self._proc.is_alive():
                devices, error = FALLBACK, f"device check ended (exit code {self._proc.exitcode})"
        except (EOFError, OSError) as exc:
            devices, error = FALLBACK, f"device check failed: {exc}"
        if devices is None:
            return
        self.stop()
        if not error:
            DeviceProbe._cache = devices
        self.found.emit(devices, error)

    def stop(self) -> None:
        self._timer.stop()
        if self._proc is not None:
            self._proc.join(2)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(2)
            self._proc = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
