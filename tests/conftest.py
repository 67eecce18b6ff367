"""Shared fixtures.

Every test runs with ``POLYPHONY_HOME`` in a fresh temporary folder and Qt in
offscreen mode, and fails if it leaves a thread or a Qt timer running.
"""

from __future__ import annotations

import os
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep torch to the two cores of these machines and off the GPU in tests.
os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(autouse=True)
def polyphony_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("polyphony_home")
    monkeypatch.setenv("POLYPHONY_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def no_leftover_threads():
    """Fail a test that leaves a Python thread (or QThread) running."""
    before = set(threading.enumerate())
    yield
    deadline = 2.0
    import time

    end = time.monotonic() + deadline
    while True:
        extra = [t for t in threading.enumerate()
                 if t not in before and t.is_alive() and not t.daemon]
        if not extra or time.monotonic() > end:
            break
        time.sleep(0.02)
    assert not extra, f"test left threads running: {[t.name for t in extra]}"
