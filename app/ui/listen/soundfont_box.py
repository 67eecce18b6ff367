"""The soundfont list: the soundfonts found, the user's own, and "Other .sf2 file…"."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QWidget

from app.audio.soundfonts import available_soundfonts


class SoundfontBox(QComboBox):
    """``picked(path)`` when the user picks one (asking for a file for
    "Other…"); ``show_chosen(path)`` lists and selects a soundfont in use."""

    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setToolTip("General MIDI soundfont used to play and to export WAV")
        for sf in available_soundfonts():
            self.addItem(sf.label, str(sf.path))
        self.addItem("Other .sf2 file…", None)
        self.activated.connect(self._on_activated)

    def _on_activated(self, index: int) -> None:
        path = self.itemData(index)
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Choose a soundfont", "", "SoundFont 2 (*.sf2)")
            if not path:
                return
        self.picked.emit(str(path))

    def show_chosen(self, path: Path) -> None:
        if self.findData(str(path)) < 0:
            self.insertItem(self.count() - 1, f"{path.name} (user)", str(path))
        self.setCurrentIndex(self.findData(str(path)))
