"""Importing MIDI music from the window: ask its genre, import, report.

Used by the New Job dialog's "Import MIDI folder…" and by a drop of MIDI
files or folders on the main window. The import runs on a ``Worker``
(reading hundreds of MIDI files takes seconds) behind a progress dialog
whose Stop ends it between two files, importing nothing; the end shows the
report (how many files came in, which were skipped and why).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.music.dropped import import_dropped
from app.music.imports import ImportStopped, report_text
from app.ui.worker import TaskContext, Worker
from app.ui.worker_progress import show_progress, worker_progress_dialog


def ask_genre(parent: QWidget, suggestion: str) -> str | None:
    """The genre the imported music will be ticked by (None: cancelled)."""
    genre, ok = QInputDialog.getText(parent, "Genre for these pieces",
                                     "Name the music you are importing (e.g. my_hymns); it "
                                     "becomes a genre you can tick in New job:",
                                     text=suggestion.replace(" ", "_"))
    return genre.strip() if ok and genre.strip() else None


def _import_task(ctx: TaskContext, paths: list[str], genre: str):
    """On the worker thread: the import, its progress reported as (done, total, file)."""
    return import_dropped(paths, {"genre": genre},
                          progress=lambda done, total, name: ctx.report((done, total, name)),
                          should_stop=ctx.should_stop)


class MidiImport(QObject):
    """One import at a time; ``finished_report(text, ok)`` at the end."""

    finished_report = Signal(str, bool)  # the report in words; False: nothing imported

    def __init__(self, owner: QWidget):
        super().__init__(owner)
        self._owner = owner
        self.worker: Worker | None = None
        self.last_report = ""
        self.report_dialog: QDialog | None = None

    def start(self, paths: list[str | Path], genre: str) -> Worker:
        """Import ``paths`` (MIDI files and folders) as ``genre=<genre>``."""
        self.last_report = ""
        self.worker = Worker(_import_task, [str(p) for p in paths], genre, name="polyphony-import")
        self._progress = worker_progress_dialog(self.worker, self._owner, "Importing MIDI files…", "Import")
        self.worker.progressed.connect(self._on_progress)
        self.worker.returned.connect(self._on_done)
        self.worker.errored.connect(self._on_failed)
        self.worker.start()
        return self.worker

    def _on_progress(self, progress: tuple[int, int, str]) -> None:
        done, total, name = progress
        show_progress(self._progress, done, total, f"Importing {Path(name).name}…" if name else "Importing…")

    def _on_done(self, report) -> None:
        self.last_report = report_text(report)
        self.report_dialog = show_report(self._owner, self.last_report)
        self.finished_report.emit(self.last_report, True)

    def _on_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ImportStopped):
            self.last_report = f"Import stopped: {exc}"
        else:
            if isinstance(exc, ImportError):
                message = f"MIDI import is not available in this build ({exc})"
            elif isinstance(exc, (OSError, ValueError)):  # a bad folder or file: said plainly
                message = str(exc)
            else:
                message = f"{type(exc).__name__}: {exc}"
            self.last_report = f"Nothing was imported: {message}"
            QMessageBox.warning(self._owner, "Import failed", self.last_report)
        self.finished_report.emit(self.last_report, False)

    def wait(self, ms: int = 60000) -> bool:
        return self.worker is None or self.worker.wait(ms / 1000)


def show_report(parent: QWidget, text: str) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle("Import report")
    view = QPlainTextEdit(text)
    view.setReadOnly(True)
    buttons = QDialogButtonBox(QDialogButtonBox.Ok)
    buttons.accepted.connect(dialog.accept)
    layout = QVBoxLayout(dialog)
    layout.addWidget(view)
    layout.addWidget(buttons)
    dialog.resize(520, 320)
    dialog.setAttribute(Qt.WA_DeleteOnClose)
    dialog.open()
    return dialog
