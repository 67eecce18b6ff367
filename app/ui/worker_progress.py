"""A progress dialog with Stop for a ``Worker`` whose task reports (done, total, ...)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.ui.worker import Worker


def worker_progress_dialog(worker: Worker, parent: QWidget, label: str, title: str, *,
                           modal: bool = False) -> QProgressDialog:
    """Shown after 300 ms of work; Stop asks the task to end (it ends between
    two items), and the dialog closes when the worker has finished."""
    dialog = QProgressDialog(label, "Stop", 0, 0, parent)
    dialog.setWindowTitle(title)
    if modal:
        dialog.setWindowModality(Qt.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.canceled.connect(worker.quit)
    worker.finished.connect(dialog.reset)
    return dialog


def show_progress(dialog: QProgressDialog, done: int, total: int, text: str) -> None:
    dialog.setMaximum(max(total, 0))
    dialog.setValue(done)
    dialog.setLabelText(text)
