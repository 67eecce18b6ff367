"""Several writers on one store file: no "database is locked" reaches anyone."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

from app.jobs import database as database_module
from app.jobs import store as store_module
from app.jobs.records import StepRow
from app.jobs.store import JobStore
from gan.config import preset

WRITES = 150

CHILD = textwrap.dedent("""
    import sys, time
    from app.jobs.store import JobStore
    from app.jobs.records import StepRow
    store = JobStore(sys.argv[1])
    job = int(sys.argv[2])
    for i in range(1, int(sys.argv[3]) + 1):
        store.record_steps(job, [StepRow(i, 1, time.time(), -1.0, 0.5, 0.1)], i, 10.0, 1.0)
        store.add_event(job, f"child {i}")
        store.list()
    print("child done")
""")


def test_two_processes_and_a_thread_write_at_once():
    store = JobStore()
    a, b, c = (store.create(n, preset("smoke"), []) for n in "abc")
    for job in (a, b, c):
        store.set_status(job, "running")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(store.path), str(a), str(WRITES)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=str(store_module.__file__).rsplit("/app/", 1)[0])
    errors = []

    def writer(job):
        try:
            for i in range(1, WRITES + 1):
                store.record_steps(job, [StepRow(i, 1, time.time(), -1.0, 0.5, 0.1)],
                                   i, 10.0, 1.0)
                store.add_event(job, f"writer {i}")
                store.change_counter()
        except Exception as exc:  # reported below, on the test's thread
            errors.append(exc)
        finally:
            store.close()

    thread = threading.Thread(target=writer, args=(c,))
    thread.start()
    writer(b)
    thread.join()
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert "locked" not in err and not errors, (err, errors)
    store = JobStore()
    for job in (a, b, c):
        assert [s.step for s in store.steps(job)] == list(range(1, WRITES + 1))
        assert len(store.events(job)) == WRITES + 2  # + created, + running
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    store.close()


def test_lock_held_longer_than_busy_timeout_is_waited_out(monkeypatch):
    """SQLite gives up after busy_timeout; the store keeps retrying."""
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 50)
    store = JobStore()
    job = store.create("j", preset("smoke"), [])
    # Another program holds the write lock for 0.6 s (12 busy timeouts).
    holder = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    released = threading.Timer(0.6, lambda: holder.execute("COMMIT"))
    released.start()
    start = time.monotonic()
    try:
        store.add_event(job, "waited")
    finally:
        released.join()
        holder.close()
    assert time.monotonic() - start >= 0.5
    assert store.events(job)[-1].message == "waited"
    store.close()
