"""An uncaught exception shows a dialog with the log's path (GUI thread and
worker threads), is logged with its traceback, and in self-test mode makes
the app exit non-zero instead of hanging on a dialog."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QThread, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app import logging_setup
from app.ui import crash_dialog

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def reporter(qapp, polyphony_home, monkeypatch):
    # Chain to silent hooks (pytest-qt's own hook would fail the test for the
    # exceptions these tests raise on purpose); monkeypatch restores them all.
    monkeypatch.setattr(sys, "excepthook", lambda *exc: None)
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    log_path = logging_setup.setup_logging()
    rep = crash_dialog.install_crash_dialog(log_path)
    yield rep
    if rep.box is not None:
        rep.box.close()
        rep.box.deleteLater()
    rep.uninstall()
    rep.deleteLater()
    logging_setup.shutdown_logging()


def _log_text() -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return logging_setup.log_file_path().read_text()


def _raise_in_a_slot(message: str) -> None:
    """A slot that fails: PySide6 hands the exception to sys.excepthook."""
    raise ZeroDivisionError(message)


def test_gui_thread_exception_shows_dialog_with_log_path(qtbot, reporter):
    QTimer.singleShot(0, lambda: _raise_in_a_slot("bad tempo 0"))
    qtbot.waitUntil(lambda: reporter.box is not None and reporter.box.isVisible(), timeout=3000)
    box = reporter.box
    assert isinstance(box, QMessageBox)
    assert str(reporter.log_path) in box.informativeText()
    assert reporter.log_path == logging_setup.log_file_path()
    assert "GUI thread" in box.text()
    assert "ZeroDivisionError: bad tempo 0" in box.detailedText()
    text = _log_text()
    assert "uncaught exception in GUI thread" in text
    assert "ZeroDivisionError: bad tempo 0" in text
    # Non-blocking: the event loop still runs behind the dialog.
    ticked = []
    QTimer.singleShot(0, lambda: ticked.append(True))
    qtbot.waitUntil(lambda: ticked == [True], timeout=1000)


def test_worker_thread_exception_is_shown_on_the_gui_thread(qtbot, reporter):
    def work():
        raise MemoryError("sample buffer")

    thread = threading.Thread(target=work, name="synth-worker")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: reporter.box is not None and reporter.box.isVisible(), timeout=3000)
    assert reporter.box.thread() is QApplication.instance().thread()
    assert "thread synth-worker" in reporter.box.text()
    assert "MemoryError: sample buffer" in _log_text()


def test_qthread_exception_is_reported(qtbot, reporter):
    class Failing(QThread):
        def run(self):
            # Uncaught: PySide6 hands it to sys.excepthook on this thread.
            raise KeyError("epoch 3 metrics")

    worker = Failing()
    worker.start()
    assert worker.wait(3000)
    qtbot.waitUntil(lambda: reporter.box is not None and reporter.box.isVisible(), timeout=3000)
    assert "KeyError: 'epoch 3 metrics'" in reporter.box.detailedText()
    assert reporter.box.thread() is QApplication.instance().thread()
    assert "KeyError: 'epoch 3 metrics'" in _log_text()


def test_repeated_errors_reuse_one_dialog(qtbot, reporter):
    QTimer.singleShot(0, lambda: _raise_in_a_slot("first"))
    qtbot.waitUntil(lambda: reporter.box is not None and reporter.box.isVisible(), timeout=3000)
    first_box = reporter.box
    for n in range(3):
        QTimer.singleShot(0, lambda n=n: _raise_in_a_slot(f"again {n}"))
    qtbot.waitUntil(lambda: reporter.crash_count == 4, timeout=3000)
    assert reporter.box is first_box
    assert "3 more error(s)" in first_box.informativeText()
    assert _log_text().count("uncaught exception in GUI thread") == 4
    # Closed, the next error gets a fresh dialog with a fresh count.
    first_box.close()
    for n in range(2):
        QTimer.singleShot(0, lambda n=n: _raise_in_a_slot(f"later {n}"))
    qtbot.waitUntil(lambda: reporter.crash_count == 6, timeout=3000)
    assert reporter.box is not first_box and reporter.box.isVisible()
    assert "later 0" in reporter.box.detailedText()
    assert "1 more error(s)" in reporter.box.informativeText()
    first_box.deleteLater()


def test_install_needs_a_qapplication():
    # Its own process: this one already has a QApplication (pytest-qt).
    script = ("from app.ui.crash_dialog import install_crash_dialog\n"
              "try:\n    install_crash_dialog()\nexcept RuntimeError as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert "needs a QApplication" in out


def _run_app(tmp_path: Path, body: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess, str]:
    """Run a tiny real Qt program (its own process: real hooks, real exit)."""
    home = tmp_path / "home"
    script = textwrap.dedent("""
        import sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication, QLabel
        from app.logging_setup import setup_logging
        from app.ui.crash_dialog import install_crash_dialog
        app = QApplication(sys.argv[:1])
        window = QLabel("Polyphony")
        window.show()
    """) + textwrap.dedent(body)
    env = dict(os.environ, POLYPHONY_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=timeout)
    log = home / "logs" / "polyphony.log"
    return result, log.read_text() if log.exists() else ""


def test_self_test_mode_exits_non_zero_on_a_crashing_slot(tmp_path):
    result, log = _run_app(tmp_path, """
        install_crash_dialog(setup_logging(), quit_on_crash=True)
        def broken_slot():
            raise ValueError("piano roll has 5 tracks")
        QTimer.singleShot(0, broken_slot)
        QTimer.singleShot(5000, app.quit)   # would exit 0 if the crash were ignored
        sys.exit(app.exec())
    """)
    assert result.returncode == crash_dialog.CRASH_EXIT_CODE, result.stderr
    assert "ValueError: piano roll has 5 tracks" in log
    assert "polyphony.log" in result.stderr


def test_crash_before_the_event_loop_is_logged_and_does_not_hang_headless(tmp_path):
    result, log = _run_app(tmp_path, """
        install_crash_dialog(setup_logging())
        raise RuntimeError("main window failed to build")
    """, timeout=30)
    assert result.returncode == 1
    assert "RuntimeError: main window failed to build" in result.stderr
    assert "uncaught exception in GUI thread" in log
    assert "RuntimeError: main window failed to build" in log


def test_qt_warnings_reach_the_log(reporter, capfd):
    from PySide6.QtCore import qWarning

    qWarning("QLayout: attempting to add a layout twice (test)")
    text = _log_text()
    assert "polyphony.qt: QLayout" in text
    assert "QLayout: attempting to add a layout twice (test)" in text
    assert "attempting to add a layout twice" in capfd.readouterr().err


def test_with_exception_logging_installed_too_each_error_is_logged_once(
        qtbot, qapp, polyphony_home, monkeypatch):
    # The wiring: the command line installs exception logging for every
    # command, the window then adds the dialog on top.
    passed_on = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: passed_on.append(exc[0]))
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    logging_setup.setup_logging()
    logging_setup.install_exception_logging()
    rep = crash_dialog.install_crash_dialog()
    try:
        QTimer.singleShot(0, lambda: _raise_in_a_slot("once only"))
        qtbot.waitUntil(lambda: rep.box is not None and rep.box.isVisible(), timeout=3000)
        assert _log_text().count("ZeroDivisionError: once only") == 1
        assert passed_on == [ZeroDivisionError]  # Python's report still happens
    finally:
        rep.box.close()
        rep.box.deleteLater()
        rep.uninstall()
        rep.deleteLater()
        logging_setup.shutdown_logging()
