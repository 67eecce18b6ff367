"""Fixtures shared by the tests/test_ui*.py files.

``ui_env``: QSettings in a temporary INI folder (the user's settings are never
read or written) and, at the end, a failure if any background ``Worker``
(app/ui/worker.py: the training host, device probe, imports, compose, WAV
export), QThread or QTimer owned by a widget is still running.
"""

from __future__ import annotations

import time

import pytest


def running_leftovers() -> list[str]:
    from PySide6.QtCore import QThread, QTimer
    from PySide6.QtWidgets import QApplication

    from app.ui.worker import live_workers

    found = [f"worker {w.name}" for w in live_workers()]
    app = QApplication.instance()
    if app is not None:
        for widget in app.allWidgets():
            for timer in widget.findChildren(QTimer):
                if timer.isActive() and timer.parent() is widget:
                    found.append(f"QTimer of {type(widget).__name__} ({timer.interval()} ms)")
            for thread in widget.findChildren(QThread):
                if thread.isRunning():
                    found.append(f"QThread {thread.objectName() or type(thread).__name__}")
    return found


@pytest.fixture
def ui_env(qapp, tmp_path):
    from app.ui import ui_settings

    ui_settings.isolate_settings(tmp_path / "settings")
    yield tmp_path
    end = time.monotonic() + 3
    left = running_leftovers()
    while left and time.monotonic() < end:
        qapp.processEvents()
        time.sleep(0.05)
        left = running_leftovers()
    assert not left, f"test left these running: {left}"
