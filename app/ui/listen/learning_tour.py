""""Hear it learn": one piece of every epoch, played (or exported) in turn.

A job writes the same pieces at every epoch (piece ``i`` always has the
same melody and latent), so playing piece ``i`` of epoch 1, 2, ... N one
after the other lets a musician hear the model improve. ``LearningTour`` is
the row that does it: choose the piece, press "Play epoch by epoch" (sample
A moves to each epoch in turn as the previous one ends; ``epochHeard`` says
which epoch is sounding, for the charts' cursor, and None at the end), or
export the whole sequence as one WAV (``app.audio.learning``, on a Worker).

The panel gives it three callables (the samples listed, "play this one as
A", and the mix to export with) and calls ``piece_finished()`` when the
sound reaches the end of a piece, and ``end()`` when the user takes over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget

from app.audio.learning import export_learning_wav
from app.ui import ui_settings
from app.ui.listen.samples import SampleItem, slug
from app.ui.worker import Worker


def epochs_of_piece(items: list[SampleItem], job, piece: int) -> list[SampleItem]:
    """Piece ``piece`` of every epoch of ``job``, first epoch first."""
    found = [it for it in items if it.kind == "generated" and it.job_id == job and it.piece == piece
             and it.epoch is not None]
    return sorted(found, key=lambda it: it.epoch)


def _render(_ctx, paths: list[str], dst: str, soundfont, programs) -> str:
    export_learning_wav(paths, dst, soundfont=soundfont, programs=programs or None)
    return dst


class LearningTour(QWidget):
    epochHeard = Signal(object)  # the epoch sounding now; None when the tour ends
    started = Signal()
    exported = Signal(str)
    errorOccurred = Signal(str)

    def __init__(self, items: Callable[[], list[SampleItem]], current: Callable[[], SampleItem | None],
                 play: Callable[[SampleItem], None], mix: Callable[[], object],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._items, self._current, self._play, self._mix = items, current, play, mix
        self._sequence: list[SampleItem] = []
        self._at = -1
        self._worker: Worker | None = None
        self.piece_combo = QComboBox()
        self.piece_combo.setToolTip("Which piece: it has the same melody and starting idea at every epoch")
        self.play_button = QPushButton("Play epoch by epoch")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play this piece as the first epoch wrote it, then the second, "
                                    "... to the last: hear the model learn")
        self.play_button.clicked.connect(lambda on: self.start() if on else self.end())
        self.export_button = QPushButton("Export as one WAV…")
        self.export_button.setToolTip("This piece of every epoch, in turn, in one audio file")
        self.export_button.clicked.connect(self.export_dialog)
        self.where = QLabel()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (QLabel("Hear it learn: piece"), self.piece_combo, self.play_button,
                       self.export_button, self.where):
            row.addWidget(widget)
        row.addStretch(1)
        self.refresh()

    # -- what can be toured -------------------------------------------------------------
    def _job(self):
        item = self._current()
        return item.job_id if item is not None else None

    def sequence(self, piece: int | None = None) -> list[SampleItem]:
        piece = piece if piece is not None else (self.piece_combo.currentData() or 1)
        return epochs_of_piece(self._items(), self._job(), piece)

    def refresh(self) -> None:
        """The pieces of the shown job (called when the samples change)."""
        job, keep = self._job(), self.piece_combo.currentData()
        pieces = sorted({it.piece for it in self._items() if it.job_id == job and it.piece})
        self.piece_combo.blockSignals(True)
        self.piece_combo.clear()
        for piece in pieces:
            self.piece_combo.addItem(str(piece), piece)
        current = self._current()
        index = self.piece_combo.findData(keep if keep in pieces else (current.piece if current else None))
        self.piece_combo.setCurrentIndex(max(0, index))
        self.piece_combo.blockSignals(False)
        enough = len(self.sequence()) >= 2
        self.play_button.setEnabled(enough or self.running())
        self.export_button.setEnabled(bool(pieces) and (self._worker is None or not self._worker.is_running()))

    # -- playing ------------------------------------------------------------------------------
    def running(self) -> bool:
        return self._at >= 0

    def start(self, piece: int | None = None) -> bool:
        """Play the piece of every epoch in turn, from the first epoch."""
        if piece is not None:
            self.piece_combo.setCurrentIndex(self.piece_combo.findData(piece))
        self._sequence = self.sequence()
        if not self._sequence:
            self.play_button.setChecked(False)
            return False
        self.started.emit()
        self._at = 0
        self.play_button.setChecked(True)
        self._go()
        return True

    def _go(self) -> None:
        item = self._sequence[self._at]
        self.where.setText(f"epoch {item.epoch} ({self._at + 1} of {len(self._sequence)})")
        self._play(item)
        self.epochHeard.emit(item.epoch)

    def piece_finished(self) -> None:
        """The piece sounding reached its end: the next epoch's turn."""
        if not self.running():
            return
        self._at += 1
        if self._at < len(self._sequence):
            self._go()
        else:
            self.end()

    def end(self) -> None:
        if not self.running():
            return
        self._at = -1
        self.play_button.setChecked(False)
        self.where.setText("")
        self.epochHeard.emit(None)

    # -- export ------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        sequence = self.sequence()
        if not sequence:
            return
        first = sequence[0]
        stem = "-".join(part for part in (f"job{first.job_id}", slug(first.job_name),
                                          f"piece{first.piece}", "epochs",
                                          f"{first.epoch}-{sequence[-1].epoch}") if part)
        default = ui_settings.export_folder() / f"{stem}.wav"
        path, _ = QFileDialog.getSaveFileName(self, "Export the piece of every epoch", str(default),
                                              "WAV (*.wav)")
        if path:
            path += "" if Path(path).suffix else ".wav"
            ui_settings.remember_export_folder(path)
            self.export_to(path)

    def export_to(self, path) -> Worker | None:
        """Render the piece of every epoch into ``path`` in the background."""
        sequence = self.sequence()
        if not sequence:
            self.errorOccurred.emit("no samples to export yet")
            return None
        mix = self._mix()
        self._worker = Worker(_render, [str(it.midi_path) for it in sequence], str(path), mix.soundfont,
                              dict(mix.programs), name="polyphony-wav-export")
        self._worker.returned.connect(lambda path: self.exported.emit(str(path)))
        self._worker.errored.connect(lambda exc: self.errorOccurred.emit(f"Export to {path} failed: {exc}"))
        self._worker.finished.connect(self._export_done)
        self.export_button.setEnabled(False)
        self.where.setText(f"rendering {len(sequence)} epochs…")
        self._worker.start()
        return self._worker

    def _export_done(self) -> None:
        if not self.running():
            self.where.setText("")
        self.refresh()

    def shutdown(self) -> None:
        if self._worker is not None:
            self._worker.wait(60)
