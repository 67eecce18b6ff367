"""The rotating log file: where it is, what it records, that it rotates, and
that uncaught exceptions (main thread, worker threads) end up in it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from app import logging_setup

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def log_path(polyphony_home, monkeypatch):
    # The exception hooks are process-wide: monkeypatch puts them back.
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    path = logging_setup.setup_logging()
    yield path
    logging_setup.shutdown_logging()


def _read(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_log_file_lives_in_the_user_data_directory(log_path, polyphony_home):
    assert log_path == polyphony_home / "logs" / "polyphony.log"
    assert log_path.is_file()


def test_start_up_is_recorded(log_path, polyphony_home):
    text = _read(log_path)
    import gan

    assert f"Polyphony {gan.__version__} starting" in text
    assert f"data directory: {polyphony_home}" in text
    assert "polyphony.startup" in text


def test_job_events_and_errors_reach_the_file(log_path):
    logging.getLogger("polyphony.jobs").info("job 7 started: chorale, 3 epochs")
    try:
        raise ValueError("checkpoint unreadable")
    except ValueError:
        logging.getLogger("polyphony.jobs").exception("job 7 failed")
    text = _read(log_path)
    assert "INFO    " in text and "job 7 started: chorale, 3 epochs" in text
    assert "ERROR   " in text and "job 7 failed" in text
    # The traceback is there, not just the message.
    assert "ValueError: checkpoint unreadable" in text
    assert "Traceback (most recent call last)" in text


def test_second_setup_does_not_duplicate_lines(log_path):
    again = logging_setup.setup_logging()
    assert again == log_path
    logging.getLogger("polyphony.jobs").info("exactly once please")
    assert _read(log_path).count("exactly once please") == 1
    ours = [h for h in logging.getLogger().handlers
            if isinstance(h, logging_setup._PolyphonyFileHandler)]
    assert len(ours) == 1


def test_setup_follows_a_changed_data_directory(log_path, tmp_path, monkeypatch):
    monkeypatch.setenv("POLYPHONY_HOME", str(tmp_path / "other"))
    moved = logging_setup.setup_logging()
    assert moved == tmp_path / "other" / "logs" / "polyphony.log"
    logging.getLogger("polyphony.jobs").info("after the move")
    assert "after the move" in _read(moved)
    assert "after the move" not in _read(log_path)


def test_the_log_rotates_and_keeps_a_bounded_number_of_files(log_path, monkeypatch):
    handler = next(h for h in logging.getLogger().handlers
                   if isinstance(h, logging_setup._PolyphonyFileHandler))
    # Same handler class, small limit: rotation itself is what is under test.
    monkeypatch.setattr(handler, "maxBytes", 2000)
    line = "x" * 200
    for i in range(200):
        logging.getLogger("polyphony.jobs").info("%04d %s", i, line)
    files = sorted(log_path.parent.glob("polyphony.log*"))
    assert log_path.with_name("polyphony.log.1") in files
    assert len(files) == 1 + logging_setup.BACKUP_COUNT
    assert all(f.stat().st_size <= 2000 + 400 for f in files)
    # The newest record is in the current file, the oldest ones are gone.
    assert "0199 " in _read(log_path)
    assert not any("0000 " in f.read_text() for f in files)


def test_warnings_are_captured(log_path):
    import warnings

    warnings.warn("soundfont sample rate differs", UserWarning)
    assert "soundfont sample rate differs" in _read(log_path)


def test_uncaught_exception_in_a_thread_is_logged(log_path):
    logging_setup.install_exception_logging()

    def work():
        raise RuntimeError("worker exploded 42")

    thread = threading.Thread(target=work, name="render-worker")
    thread.start()
    thread.join()
    text = _read(log_path)
    assert "uncaught exception in thread render-worker" in text
    assert "RuntimeError: worker exploded 42" in text


def test_uncaught_exception_in_the_main_thread_is_logged_and_still_printed(tmp_path):
    home = tmp_path / "home"
    script = textwrap.dedent("""
        from app.logging_setup import setup_logging, install_exception_logging
        setup_logging()
        install_exception_logging()
        raise LookupError("no such genre: polka")
    """)
    env = dict(os.environ, POLYPHONY_HOME=str(home))
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "LookupError: no such genre: polka" in result.stderr
    text = (home / "logs" / "polyphony.log").read_text()
    assert "CRITICAL" in text and "uncaught exception in main thread" in text
    assert "LookupError: no such genre: polka" in text


def test_keyboard_interrupt_is_not_logged_as_a_crash(log_path, monkeypatch):
    # The hook chains to the previous one: make that a silent one here
    # (pytest-qt's would report the interrupt as a test failure).
    seen = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: seen.append(exc[0]))
    logging_setup.install_exception_logging()
    sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    assert seen == [KeyboardInterrupt]  # passed on, not swallowed
    assert "uncaught exception" not in _read(log_path)


def test_an_unwritable_log_file_does_not_stop_the_app(polyphony_home, capsys):
    # A folder where the file should be: opening it fails on every platform.
    (polyphony_home / "logs" / "polyphony.log").mkdir(parents=True)
    try:
        path = logging_setup.setup_logging()
        logging.getLogger("polyphony.jobs").warning("still reported")
        err = capsys.readouterr().err
        assert f"cannot write the log file {path}" in err
        assert "still reported" in err
    finally:
        logging_setup.shutdown_logging()
    assert not [h for h in logging.getLogger().handlers if getattr(h, "_polyphony", False)]
