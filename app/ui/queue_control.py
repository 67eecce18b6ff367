"""Starting the training queue and ending it when the window closes.

* ``load_training_engine``: in thread mode (not the default: the window
  trains in a child process that alone imports torch), torch is imported on
  the GUI thread with a status message before the queue's first start.
  Importing it on the worker thread would hold the GIL for most of a second
  anyway (DESIGN.md, "Import times"), as an unexplained freeze; here it is
  announced and happens once.
* ``ask_close_policy``: a job is training and the user closes the window:
  stop it, keep it queued for next time, or do not close.
* ``keep_queued``: after the host stopped, put the job it was training back
  at the head of the queue, to continue from its last checkpoint.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QMessageBox, QStatusBar, QWidget

from app.jobs.errors import InvalidTransition, StoreError

CLOSE_STOP, CLOSE_KEEP = "stop", "keep"


def load_training_engine(status_bar: QStatusBar) -> None:
    if "torch" in sys.modules:
        return
    status_bar.showMessage("Loading the training engine…")
    QApplication.processEvents()
    import torch  # noqa: F401
    status_bar.clearMessage()


def ask_close_policy(parent: QWidget) -> str | None:
    """CLOSE_STOP, CLOSE_KEEP, or None when the user does not want to close."""
    box = QMessageBox(parent)
    box.setWindowTitle("A job is training")
    box.setText("A job is training. Stop it, or keep it queued so it continues "
                "(from its last checkpoint) next time you press Start queue?")
    stop = box.addButton("Stop the job", QMessageBox.DestructiveRole)
    keep = box.addButton("Keep it queued for next time", QMessageBox.AcceptRole)
    box.addButton("Don't close", QMessageBox.RejectRole)
    box.exec()
    clicked = box.clickedButton()
    if clicked is stop:
        return CLOSE_STOP
    if clicked is keep:
        return CLOSE_KEEP
    return None


def keep_queued(store, job_id: int) -> None:
    """The job the host was training goes back to the head of the queue."""
    try:
        if store.get(job_id).status in ("cancelled", "interrupted"):
            store.resume(job_id)
            store.move(job_id, 0)
            store.add_event(job_id, "Kept in the queue when the window closed")
    except (InvalidTransition, StoreError):
        pass
