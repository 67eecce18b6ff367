"""Shared fixtures.

Every test runs with ``POLYPHONY_HOME`` in a fresh temporary folder and Qt in
offscreen mode, and fails if it leaves a thread or a Qt timer running.

Tests train on the CPU whatever the machine has, unless they are marked
``gpu`` (those skip, saying why, where there is no CUDA GPU): a GPU must not
change what a test sees (``device=auto`` would pick it), so for every other
test this process reports no CUDA and no Apple GPU, and the programs a test
starts see no CUDA GPU (``CUDA_VISIBLE_DEVICES`` is empty for them).
"""

from __future__ import annotations

import os
import sys
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep torch to two threads, whatever the machine's core count.
os.environ.setdefault("OMP_NUM_THREADS", "2")


def _may_have_nvidia_gpu() -> bool:
    """Cheap check, without importing torch: an NVIDIA driver is installed."""
    import shutil

    return (os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/nvidia0")
            or shutil.which("nvidia-smi") is not None)


_HIDDEN_GPU = _may_have_nvidia_gpu() or sys.platform == "darwin"
_cuda_here: bool | None = None


def cuda_here() -> bool:
    """Whether this process has a working CUDA GPU (asked once, before any
    test hides it). Asking starts CUDA with the machine's real devices, so
    hiding them from later programs does not hide them from ``gpu`` tests."""
    global _cuda_here
    if _cuda_here is None:
        _cuda_here = False
        if _may_have_nvidia_gpu():
            import torch

            _cuda_here = bool(torch.cuda.is_available())
            if _cuda_here:
                torch.cuda.init()
                torch.cuda.device_count()  # cached from here on
    return _cuda_here


def pytest_configure(config):
    cuda_here()


def pytest_runtest_setup(item):
    if item.get_closest_marker("gpu") is not None and not cuda_here():
        pytest.skip("needs an NVIDIA GPU with CUDA; this machine has none")


@pytest.fixture(autouse=True)
def cpu_unless_marked_gpu(request, monkeypatch):
    """Outside ``gpu`` tests: no CUDA and no Apple GPU, here or in the
    programs the test starts, so ``device=auto`` means the CPU."""
    if request.node.get_closest_marker("gpu") is not None:
        return
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    if not _HIDDEN_GPU:
        return  # nothing to hide in this process (no torch import needed)
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    mps = getattr(torch.backends, "mps", None)
    if mps is not None:
        monkeypatch.setattr(mps, "is_available", lambda: False)


@pytest.fixture(scope="session")  # set up before module fixtures that train a job
def fluidsynth():
    """The FluidSynth library, or a skip that says why it could not be loaded
    (the message names the package to install)."""
    from app.audio.fluid import FluidSynthMissing, load_fluidsynth

    try:
        return load_fluidsynth()
    except FluidSynthMissing as exc:
        pytest.skip(str(exc))


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
