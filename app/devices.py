"""The training devices of this machine (CUDA GPU name / MPS / CPU), Qt-free.

``gan.training.device.describe_devices`` imports torch, which holds the GIL
for most of a second: ``probe_devices`` asks a spawned child process, so
the caller's process (the window) never imports torch for it and can give
up waiting at any time (``should_stop``). The answer is remembered for the
rest of the process (``cached``).
"""

from __future__ import annotations

import multiprocessing
from typing import Callable

FALLBACK = [{"name": "cpu", "kind": "cpu", "label": "cpu", "memory_gb": None}]
POLL_SECONDS = 0.1

_cache: list | None = None


def cached() -> list | None:
    """The devices found earlier in this process, or None."""
    return _cache


def _probe(conn) -> None:
    """The child: describe the devices and send them back."""
    try:
        from gan.training.device import describe_devices

        conn.send(("ok", describe_devices()))
    except Exception as exc:  # e.g. a broken CUDA driver: the window still offers the CPU
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def probe_devices(should_stop: Callable[[], bool] = lambda: False) -> tuple[list, str]:
    """(devices, error): ``describe_devices()``'s list, or the CPU alone and
    the reason when the check failed or was stopped ('' when fine)."""
    global _cache
    if _cache is not None:
        return _cache, ""
    ctx = multiprocessing.get_context("spawn")
    conn, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_probe, args=(child,), daemon=True, name="polyphony-device-probe")
    proc.start()
    child.close()
    try:
        devices, error = _wait_for_answer(conn, proc, should_stop)
    finally:
        _end(proc)
        conn.close()
    if not error:
        _cache = devices
    return devices, error


def _wait_for_answer(conn, proc, should_stop: Callable[[], bool]) -> tuple[list, str]:
    try:
        while not conn.poll(POLL_SECONDS):
            if should_stop():
                return FALLBACK, "device check stopped"
            if not proc.is_alive() and not conn.poll():
                return FALLBACK, f"device check ended (exit code {proc.exitcode})"
        status, payload = conn.recv()
    except (EOFError, OSError) as exc:
        return FALLBACK, f"device check failed: {exc}"
    return (payload, "") if status == "ok" else (FALLBACK, payload)


def _end(proc) -> None:
    proc.join(2)
    if proc.is_alive():
        proc.terminate()
        proc.join(2)
