"""File > Export training music as MIDI...: hear what a model learns from.

A small dialog asks for the genre, how many files and the folder (started
in the last folder used, else the user's music folder), then
``app.music.export.export_training_music`` runs on a ``Worker`` with a
progress dialog whose Stop ends it between two files. The status bar says
how many files went where.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.ui import ui_settings
from app.ui.worker import TaskContext, Worker
from app.ui.worker_progress import show_progress, worker_progress_dialog


def _export_task(ctx: TaskContext, genre: str, folder: str, limit: int | None):
    """On the worker thread: the export, progress reported as (done, total, file)."""
    from app.music.export import export_training_music

    return export_training_music(genre, folder, limit=limit,
                                 progress=lambda done, total, name: ctx.report((done, total, name)),
                                 should_stop=ctx.should_stop)


def _genres() -> list[str]:
    from app.music.export import exportable_genres

    try:
        return exportable_genres()
    except OSError:
        return []


def start_folder() -> str:
    """A folder for the files inside the folder of the last export (else
    the user's music folder)."""
    return str(ui_settings.export_folder() / "Polyphony training music")


class MusicExportDialog(QDialog):
    """Genre, count and folder, then the export with progress. ``start()``
    is what the OK button does (tests call it after setting the fields)."""

    def __init__(self, parent: QWidget | None = None, status=None):
        super().__init__(parent)
        self.setWindowTitle("Export training music as MIDI")
        self._status = status  # callable(text): the window's status bar
        self.worker: Worker | None = None
        self.result = None
        self.genre_combo = QComboBox()
        self.genre_combo.addItems(_genres())
        self.limit_spin = QSpinBox()
        self.limit_spin.setRange(0, 1_000_000)
        self.limit_spin.setSpecialValueText("every segment")
        self.limit_spin.setValue(50)
        self.limit_spin.setToolTip("How many four-bar files to write (0 = every segment of the genre).")
        self.folder_edit = QLineEdit(start_folder())
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Genre:", self.genre_combo)
        form.addRow("Files:", self.limit_spin)
        form.addRow("Folder:", folder_row)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Export")
        buttons.accepted.connect(self.start)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.progress: QProgressDialog | None = None

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the MIDI files",
                                                  str(Path(self.folder_edit.text()).parent))
        if folder:
            self.folder_edit.setText(folder)

    def start(self) -> Worker | None:
        genre, folder = self.genre_combo.currentText(), self.folder_edit.text().strip()
        if not genre or not folder:
            QMessageBox.warning(self, self.windowTitle(), "Choose a genre and a folder first.")
            return None
        limit = self.limit_spin.value() or None
        self.worker = Worker(_export_task, genre, folder, limit, name="polyphony-music-export")
        self.progress = worker_progress_dialog(self.worker, self, f"Writing {genre} as MIDI…",
                                               self.windowTitle(), modal=True)
        self.worker.progressed.connect(self._on_progress)
        self.worker.returned.connect(self._on_done)
        self.worker.errored.connect(self._on_error)
        self.worker.start()
        return self.worker

    def _on_progress(self, value: tuple[int, int, str]) -> None:
        done, total, name = value
        show_progress(self.progress, done, total, f"{done} of {total}: {name}")

    def _on_done(self, report) -> None:
        self.result = report
        ui_settings.remember_export_folder(Path(report.folder).parent)
        text = (f"Wrote {len(report.files)} MIDI file(s) of {report.genre} to {report.folder}"
                + (" (stopped)" if report.stopped else ""))
        if self._status is not None:
            self._status(text)
        self.accept()

    def _on_error(self, exc: BaseException) -> None:
        self.result = exc
        QMessageBox.warning(self, self.windowTitle(), f"Nothing more was written: {exc}")

    def reject(self) -> None:
        self.shutdown()
        super().reject()

    def shutdown(self) -> None:
        """Stop a running export (between two files) and wait for it."""
        if self.worker is not None and self.worker.is_running():
            self.worker.quit()
            self.worker.wait(10)


def open_music_export(window) -> MusicExportDialog:
    """The dialog for ``window`` (a MainWindow), shown without blocking."""
    dialog = MusicExportDialog(window, status=lambda text: window.show_message(text, 15000))
    dialog.setAttribute(Qt.WA_DeleteOnClose)
    dialog.show()
    return dialog
