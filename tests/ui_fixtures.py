"""Fixtures shared by the tests/test_ui*.py files.

``ui_env``: QSettings in a temporary INI folder (the user's settings are never
read or written) and, at the end, a failure if any background ``Worker``
(app/ui/worker.py: the training host, device probe, imports, compose, WAV
export), QThread or QTimer owned by a widget is still running.
"""

from __future__ import annotations

import gc
import time
import warnings

import pytest


def running_leftovers() -> list[str]:
    """Workers, and Qt timers or threads the app's Python code made, still running.

    Found among Python's own objects (as napari's fixtures do), not by
    walking ``QApplication.allWidgets()`` and their children: that walk
    wrapped every C++ child of every widget, including ones being deleted,
    and crashed the interpreter (a segfault in ``findChildren``) in long runs.
    A wrapper whose C++ object is gone is skipped (``shiboken6.isValid``).
    """
    from app.ui.worker import live_workers

    found = [f"worker {w.name}" for w in live_workers()]
    with warnings.catch_warnings():  # isinstance() on torch's deprecated aliases warns
        warnings.simplefilter("ignore", FutureWarning)
        return found + _running_qt_objects()


def _running_qt_objects() -> list[str]:
    import shiboken6
    from PySide6.QtCore import QThread, QTimer

    found = []
    for obj in gc.get_objects():
        try:
            if isinstance(obj, QTimer):
                if shiboken6.isValid(obj) and obj.isActive() and obj.parent() is not None:
                    found.append(f"QTimer of {type(obj.parent()).__name__} ({obj.interval()} ms)")
            elif isinstance(obj, QThread) and shiboken6.isValid(obj) and obj.isRunning():
                found.append(f"QThread {obj.objectName() or type(obj).__name__}")
        except RuntimeError:  # deleted between the check and the call
            continue
    return found


@pytest.fixture
def ui_env(qapp, tmp_path):
    from app.ui import ui_settings

    ui_settings.isolate_settings(tmp_path / "settings")
    # Earlier tests' closed windows are deleted and collected here, on the GUI
    # thread, before this test can start a training QThread: collected there
    # by a garbage collection that thread happened to trigger, deleting a
    # widget deadlocked against the GUI thread (gdb: the GIL against a Qt
    # lock; test_ui_window hung twice). Not at teardown: the test's own
    # fixtures still hold live widgets then.
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    yield tmp_path
    end = time.monotonic() + 3
    left = running_leftovers()
    while left and time.monotonic() < end:
        qapp.processEvents()
        time.sleep(0.05)
        left = running_leftovers()
    assert not left, f"test left these running: {left}"
