"""The queue loop of the window's training host (thread and child process).

Qt-free on purpose: in process mode this module is the whole program of the
spawned child, so it must not drag PySide6 in. The window learns everything
else (epochs, losses, status) by watching the job store (``app.jobs.watcher``),
the same way it follows jobs started from the command line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable


def serve_queue(db_path: str | Path | None, stop: Callable[[], bool],
                set_current: Callable[[int], None]) -> None:
    """Run queued jobs one after another until the queue is empty or ``stop``
    (which also ends the job in progress, as cancelled). Cancelling a single
    job goes through the store (``JobStore.cancel``), which the runner polls."""
    from app.jobs.runner import run_queue
    from app.jobs.store import JobStore

    store = JobStore(db_path)
    try:
        run_queue(store, stop, on_job_started=set_current)
    finally:
        set_current(0)
        store.close()


def child_main(db_path: str | None, home: str | None, stop_event,
               current_job, torch_threads: int) -> None:
    """Entry point of the spawned training process."""
    if home:
        os.environ["POLYPHONY_HOME"] = home
    if torch_threads > 0:
        import torch

        torch.set_num_threads(torch_threads)

    def set_current(job_id: int) -> None:
        current_job.value = job_id

    serve_queue(db_path, stop_event.is_set, set_current)
