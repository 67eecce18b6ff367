"""Is the process that claims to run a job still alive?

A job row records its worker: host name, pid and a start token (the
process's start time from /proc on Linux) so a recycled pid is not mistaken
for the old worker. The runner also beats a heartbeat into the row every few
seconds, which is what decides for a worker on another host (a data folder
shared between machines).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from typing import Callable

HEARTBEAT_SECONDS = 5.0
# A worker on another host whose heartbeat is older than this is presumed
# dead. Generous: a busy machine can starve the heartbeat thread for a while.
STALE_SECONDS = 120.0

# Jobs this very process is running right now (a job row naming our own pid
# but absent here was left by a crashed thread or an earlier process that
# happened to get the same pid).
_active_lock = threading.Lock()
_active: set[tuple[str, int]] = set()


def host() -> str:
    return socket.gethostname()


def process_token(pid: int | None = None) -> str:
    """An id for (pid, start time); '' where the platform gives no start time."""
    pid = os.getpid() if pid is None else pid
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return ""
    # The command name (field 2) may hold spaces and parentheses: split after
    # the last ')'. Field 22 (start time) is then index 19.
    fields = data[data.rfind(b")") + 2:].split()
    if len(fields) > 19 and fields[0] != b"Z":
        return fields[19].decode()
    return ""


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate it there
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    # A zombie (killed, not yet reaped by its parent) is not a worker.
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
        return data[data.rfind(b")") + 2:].split()[0] != b"Z"
    except OSError:
        return True


def _windows_pid_alive(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes

    kernel32 = ctypes.windll.kernel32
    handle = kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    code = ctypes.c_ulong()
    try:
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def mark_active(store_path: str, job_id: int, active: bool) -> bool:
    """Record whether this process runs ``job_id``; True if that changed."""
    key = (store_path, job_id)
    with _active_lock:
        changed = (key in _active) != active
        (_active.add if active else _active.discard)(key)
        return changed


def worker_alive(store_path: str, job_id: int, pid: int | None, worker_host: str | None,
                 token: str | None, heartbeat: float | None,
                 now: float | None = None) -> bool:
    """Whether the worker recorded in a job row is still running it."""
    now = time.time() if now is None else now
    if not pid or not worker_host:
        return False
    if worker_host != host():
        return heartbeat is not None and now - heartbeat < STALE_SECONDS
    if pid == os.getpid():
        with _active_lock:
            return (store_path, job_id) in _active
    if not pid_alive(pid):
        return False
    if token and process_token(pid) not in ("", token):
        return False  # the pid now belongs to another process
    return True


class Heartbeat:
    """Calls ``beat()`` every few seconds on its own thread until stopped.

    ``beat`` must open its own database connection (the store does that per
    thread) and close it via ``on_exit``.
    """

    def __init__(self, beat: Callable[[], None], on_exit: Callable[[], None],
                 interval: float = HEARTBEAT_SECONDS):
        self._beat, self._on_exit, self._interval = beat, on_exit, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="polyphony-heartbeat",
                                        daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self._interval):
                try:
                    self._beat()
                except Exception:  # a missed beat is not worth killing a run
                    pass
        finally:
            self._on_exit()
