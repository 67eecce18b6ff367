"""The window's one background-work helper (app/ui/worker.py), on real QThreads."""

from __future__ import annotations

import threading
import time

import pytest

from tests.ui_fixtures import running_leftovers, ui_env  # noqa: F401

from app.ui.worker import Worker, live_workers


def _count(ctx, n: int, pause: float = 0.005):
    """Report 0..n-1; stop early (returning how far it got) when asked."""
    for i in range(n):
        if ctx.should_stop():
            return ("stopped", i)
        ctx.report(i)
        time.sleep(pause)
    return ("done", n)


def test_progress_then_result_then_finished_on_the_gui_thread(qtbot, ui_env):  # noqa: F811
    gui = threading.get_ident()
    seen, threads = [], set()
    worker = Worker(_count, 5, name="polyphony-test")

    def note(kind):
        def slot(*args):
            threads.add(threading.get_ident())
            seen.append((kind, *args))
        return slot

    for signal, kind in ((worker.started, "started"), (worker.progressed, "progress"),
                         (worker.returned, "returned"), (worker.finished, "finished")):
        signal.connect(note(kind))
    with qtbot.waitSignal(worker.finished, timeout=10_000):
        worker.start()
        assert worker in live_workers() and worker.is_running()
    assert seen == [("started",), *[("progress", i) for i in range(5)], ("returned", ("done", 5)),
                    ("finished",)]
    assert threads == {gui}  # every receiver ran on the GUI thread
    assert worker not in live_workers() and not worker.is_running()


def test_an_error_is_delivered_not_lost(qtbot, ui_env):  # noqa: F811
    def broken(ctx):
        raise ValueError("the melody is in 3/4")

    worker = Worker(broken)
    with qtbot.waitSignal(worker.errored, timeout=10_000) as blocker:
        worker.start()
    assert isinstance(blocker.args[0], ValueError) and "3/4" in str(blocker.args[0])
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=5_000)


def test_quit_is_cooperative_and_wait_delivers_without_an_event_loop(ui_env):  # noqa: F811
    results = []
    worker = Worker(_count, 100_000, 0.001)
    worker.returned.connect(results.append)
    worker.start()
    time.sleep(0.05)
    worker.quit()
    assert worker.wait(10)  # no event loop runs here: the result is delivered by wait()
    assert results and results[0][0] == "stopped" and 0 < results[0][1] < 100_000
    assert worker not in live_workers()


def test_the_leak_check_sees_a_worker_left_running(qapp):
    gate = threading.Event()
    worker = Worker(lambda ctx: gate.wait(10), name="polyphony-left-behind")
    worker.start()
    try:
        assert "worker polyphony-left-behind" in running_leftovers()
    finally:
        gate.set()
        assert worker.wait(10)
    assert "worker polyphony-left-behind" not in running_leftovers()


def test_a_worker_starts_once(ui_env):  # noqa: F811
    worker = Worker(_count, 1)
    worker.start()
    with pytest.raises(RuntimeError, match="started already"):
        worker.start()
    assert worker.wait(10)


def test_a_slot_that_pumps_events_sees_progress_in_order_and_the_result_last(qtbot, ui_env):  # noqa: F811
    """A modal QProgressDialog's setValue runs the event loop inside the
    progress slot: values that arrive meanwhile must still reach every
    listener in order, and the result after the last of them (an export's
    dialog once ended on '2 of 5')."""
    from PySide6.QtWidgets import QApplication

    seen = []
    worker = Worker(_count, 30, 0.001, name="polyphony-test")

    def pump(value):
        seen.append(("pump", value))
        time.sleep(0.004)  # let more values queue up
        QApplication.processEvents()

    worker.progressed.connect(pump)
    worker.progressed.connect(lambda value: seen.append(("after", value)))
    worker.returned.connect(lambda result: seen.append(("result", result)))
    worker.start()
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=10_000)
    assert [v for kind, v in seen if kind == "after"] == list(range(30))
    assert [v for kind, v in seen if kind == "pump"] == list(range(30))
    assert seen[-1] == ("result", ("done", 30))
