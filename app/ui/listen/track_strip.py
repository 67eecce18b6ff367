"""Per track: colour, name, mute, solo, instrument (General MIDI program); two tracks a row."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QLabel, QWidget

from app.ui.listen.piano_roll import TRACK_COLOURS

COLUMNS_PER_TRACK = 5  # colour, name, mute, solo, instrument


def gm_program_names() -> list[str]:
    import pretty_midi

    return [f"{i}: {pretty_midi.program_to_instrument_name(i)}" for i in range(128)]


class TrackStrip(QWidget):
    muteToggled = Signal(int, bool)
    soloToggled = Signal(int, bool)
    programChanged = Signal(int, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setVerticalSpacing(2)
        for side in range(2):  # each track's instrument list takes the spare width
            self._grid.setColumnStretch(side * COLUMNS_PER_TRACK + COLUMNS_PER_TRACK - 1, 1)
        self._names = None
        self.mutes: list[QCheckBox] = []
        self.solos: list[QCheckBox] = []
        self.instruments: list[QComboBox] = []

    def set_tracks(self, names: list[str], programs: list[int], drums: list[bool] | None = None) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.mutes, self.solos, self.instruments = [], [], []
        if self._names is None:
            self._names = gm_program_names()
        drums = drums or [False] * len(names)
        for i, (name, program) in enumerate(zip(names, programs)):
            swatch = QLabel("■")
            swatch.setStyleSheet(f"color: {TRACK_COLOURS[i % len(TRACK_COLOURS)]}; font-size: 16px;")
            mute = QCheckBox("M")
            mute.setToolTip(f"Mute {name}")
            mute.toggled.connect(lambda on, i=i: self.muteToggled.emit(i, on))
            solo = QCheckBox("S")
            solo.setToolTip(f"Solo {name} (solo wins over mute)")
            solo.toggled.connect(lambda on, i=i: self.soloToggled.emit(i, on))
            combo = QComboBox()
            combo.addItems(self._names)
            combo.setCurrentIndex(int(program))
            combo.setEnabled(not drums[i])
            combo.setToolTip(f"Instrument for {name}")
            combo.currentIndexChanged.connect(lambda p, i=i: self.programChanged.emit(i, p))
            # two tracks side by side: four voices take two rows, not four
            row, first = i // 2, (i % 2) * COLUMNS_PER_TRACK
            for col, w in enumerate((swatch, QLabel(name), mute, solo, combo)):
                self._grid.addWidget(w, row, first + col)
            self.mutes.append(mute)
            self.solos.append(solo)
            self.instruments.append(combo)
