"""Notices about the job store above the job list: folders to adopt, read-only.

``AdoptBar`` says "2 job folders are not in the list — Adopt them" when the
jobs folder holds folders no row names (a moved, lost or rebuilt database
left them: app.jobs.adopt). It never blocks: the user may adopt now, later
(Job > Adopt job folders…) or never. ``FolderAdoption`` finds those folders
and adopts them on the window's one background helper (app/ui/worker.py),
with its own store connection, then tells the window to read the list again.
``ReadOnlyBanner`` says why nothing can be changed when the data folder
cannot be written (app.jobs.access opened the store read-only).
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from app.jobs.adopt import AdoptReport, adopt_orphans, orphan_folders
from app.jobs.errors import StoreError
from app.jobs.store import JobStore
from app.ui.worker import TaskContext, Worker

# Folder names listed in a confirmation before "and N more".
LISTED = 12


def _notice_frame(frame: QFrame, name: str) -> None:
    frame.setObjectName(name)
    frame.setFrameShape(QFrame.StyledPanel)
    # A tinted panel that reads in the light and the dark theme alike.
    frame.setStyleSheet(f"QFrame#{name} {{ background: rgba(255, 193, 7, 60); "
                        f"border: 1px solid rgba(255, 160, 0, 150); border-radius: 4px; }}")
    frame.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Maximum)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class AdoptBar(QFrame):
    """A small bar over the job list; hidden when there is nothing to say."""

    adopt_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _notice_frame(self, "adopt_bar")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.adopt_button = QPushButton("Adopt them")
        self.adopt_button.setToolTip("Add these folders' jobs to the list again, with their "
                                     "checkpoints, scores and pieces (nothing in them changes)")
        self.adopt_button.clicked.connect(self.adopt_requested)
        self.close_button = QPushButton("Not now")
        self.close_button.setToolTip("Hide this bar (Job > Adopt job folders… finds them later)")
        self.close_button.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(self.label, 1)
        row.addWidget(self.adopt_button)
        row.addWidget(self.close_button)
        self.hide()

    def text(self) -> str:
        return self.label.text()

    def show_folders(self, folders: list[Path]) -> None:
        """Offer to adopt ``folders`` (hidden when there are none)."""
        if not folders:
            self.hide()
            return
        verb = "is" if len(folders) == 1 else "are"
        self.label.setText(f"{_plural(len(folders), 'job folder')} {verb} not in the list — "
                           f"their checkpoints and pieces can come back.")
        self.label.setToolTip("\n".join(str(f) for f in folders[:LISTED]))
        self.adopt_button.setText("Adopt them" if len(folders) > 1 else "Adopt it")
        self.adopt_button.setEnabled(True)
        self.adopt_button.show()
        self.close_button.setText("Not now")
        self.show()

    def show_busy(self, count: int) -> None:
        self.label.setText(f"Adopting {_plural(count, 'job folder')}…")
        self.adopt_button.setEnabled(False)
        self.show()

    def show_report(self, report: AdoptReport) -> None:
        """What adoption did; refused folders keep their reason on screen."""
        parts = []
        if report.adopted:
            ids = ", ".join(f"#{job_id}" for _f, job_id, _s, _n in report.adopted)
            parts.append(f"Adopted {_plural(len(report.adopted), 'job')} ({ids}).")
        for folder, reason in report.refused:
            parts.append(f"Not adopted: {folder.name}: {reason}")
        self.label.setText(" ".join(parts) or "Every job folder is in the list already.")
        self.label.setToolTip("\n".join(str(f) for f, _r in report.refused))
        self.adopt_button.hide()
        self.close_button.setText("Close")
        self.show()

    def show_error(self, message: str) -> None:
        self.label.setText(f"Could not adopt the job folders: {message}")
        self.adopt_button.setEnabled(True)
        self.adopt_button.setText("Try again")
        self.show()


class ReadOnlyBanner(QFrame):
    """Why the window only shows: the data folder cannot be written."""

    def __init__(self, store: JobStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _notice_frame(self, "read_only_banner")
        folder = store.path.parent
        reason = store.db.read_only_reason or "opened read-only"
        text = (f"<b>Read-only:</b> the data folder {html.escape(str(folder))} is "
                f"{html.escape(reason)}, so Polyphony shows its jobs, charts and pieces but "
                f"cannot train, add, change or delete jobs, or compose. To work here, make "
                f"the folder writable or start Polyphony with POLYPHONY_HOME set to a "
                f"writable folder.")
        if store.damage:
            text += (f"<br>The job database is also damaged ({html.escape(store.damage)}): "
                     f"what cannot be read is missing from the list.")
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.RichText)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.label)

    def text(self) -> str:
        return self.label.text()


def _adopt_task(_ctx: TaskContext, db_path: Path, jobs_root: Path) -> AdoptReport:
    # Its own connection on its own thread, closed when done (app.jobs.database).
    store = JobStore(db_path, jobs_root)
    try:
        return adopt_orphans(store)
    finally:
        store.close()


class FolderAdoption(QObject):
    """Finds the job folders no row names and adopts them in the background.

    ``adopted(report)`` is emitted on the GUI thread when it is done; the
    window then reads the list again."""

    adopted = Signal(object)  # AdoptReport

    def __init__(self, store: JobStore, bar: AdoptBar, parent: QWidget) -> None:
        super().__init__(parent)
        self.store, self.bar, self.window = store, bar, parent
        self.worker: Worker | None = None
        self.report: AdoptReport | None = None  # the last one
        bar.adopt_requested.connect(self.adopt)

    def folders(self) -> list[Path]:
        """The orphaned job folders now (none on a read-only or damaged store)."""
        if self.store.read_only or self.store.damage:
            return []
        try:
            return orphan_folders(self.store)
        except (StoreError, OSError):
            return []

    def check(self) -> list[Path]:
        """Look for orphaned folders and show the bar when there are some."""
        found = self.folders()
        if not self.is_running():
            self.bar.show_folders(found)
        return found

    def is_running(self) -> bool:
        return self.worker is not None and self.worker.is_running()

    def adopt(self) -> Worker | None:
        """Adopt every orphaned folder on a worker; the running one if any."""
        if self.is_running():
            return self.worker
        found = self.folders()
        if not found:
            self.bar.show_folders([])
            return None
        self.bar.show_busy(len(found))
        worker = Worker(_adopt_task, self.store.path, self.store.jobs_root, name="polyphony-adopt")
        worker.returned.connect(self._on_adopted)
        worker.errored.connect(lambda exc: self.bar.show_error(str(exc)))
        self.worker = worker
        return worker.start()

    def ask_and_adopt(self, confirm: bool = True) -> Worker | None:
        """Job > Adopt job folders…: list them and ask first (``confirm``);
        say so when there are none."""
        if self.is_running():
            return self.worker
        found = self.folders()
        if not found:
            self.bar.hide()
            if confirm:
                why = (" (the data folder is read-only)" if self.store.read_only else "")
                QMessageBox.information(self.window, "Adopt job folders",
                                        f"Every job folder in {self.store.jobs_root} is in the "
                                        f"list already: there is nothing to adopt{why}.")
            return None
        if confirm:
            names = "\n".join(f"  {f.name}" for f in found[:LISTED])
            more = f"\n  … and {len(found) - LISTED} more" if len(found) > LISTED else ""
            answer = QMessageBox.question(
                self.window, "Adopt job folders",
                f"{_plural(len(found), 'job folder')} in {self.store.jobs_root} "
                f"{'is' if len(found) == 1 else 'are'} not in the list:\n{names}{more}\n\n"
                "Adopt them? Each becomes a job again, with its checkpoints, scores and "
                "pieces (completed, or interrupted and resumable). Nothing in the folders "
                "is changed.", QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
            if answer != QMessageBox.Yes:
                return None
        return self.adopt()

    def _on_adopted(self, report: AdoptReport) -> None:
        self.report = report
        self.bar.show_report(report)
        self.adopted.emit(report)

    def wait(self, timeout_s: float) -> None:
        """For closing the window: let a running adoption finish its rows."""
        if self.worker is not None:
            self.worker.wait(timeout_s)
