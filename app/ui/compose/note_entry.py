"""Enter a melody by clicking on a small piano roll.

Click an empty place to put a note of the chosen length there (starts snap
to that length's grid); click a note to remove it. The melody stays one
line: a new note cuts short or replaces the notes it would overlap, so
what is drawn is what the model hears.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

LENGTHS = (("sixteenth", 1), ("eighth", 2), ("quarter", 4), ("half", 8), ("whole", 16))
LOW, HIGH = 55, 88  # G3 .. E6: where tunes live
_BLACK = {1, 3, 6, 8, 10}
_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


class NoteGrid(QWidget):
    """The clickable grid; ``notes`` are rows (start, duration, pitch) in 16th steps."""

    changed = Signal()
    GUTTER = 34

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.notes: list[list[int]] = []
        self.bars = 4
        self.length = 4
        self.setMinimumHeight(180)
        self.setToolTip("Click to add a note of the chosen length; click a note to remove it")

    # geometry -----------------------------------------------------------------------
    def steps(self) -> int:
        return self.bars * 16

    def _step_w(self) -> float:
        return max(1.0, (self.width() - self.GUTTER) / self.steps())

    def _row_h(self) -> float:
        return max(1.0, self.height() / (HIGH - LOW + 1))

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """(step, pitch) under a point, or None outside the grid."""
        if x < self.GUTTER:
            return None
        step = int((x - self.GUTTER) / self._step_w())
        pitch = HIGH - int(y / self._row_h())
        if not (0 <= step < self.steps() and LOW <= pitch <= HIGH):
            return None
        return step, pitch

    def point_of(self, step: int, pitch: int) -> tuple[int, int]:
        """Pixel in the middle of a cell (for tests and for the tooltip)."""
        return (int(self.GUTTER + (step + 0.5) * self._step_w()),
                int((HIGH - pitch + 0.5) * self._row_h()))

    # editing --------------------------------------------------------------------------
    def toggle(self, step: int, pitch: int) -> None:
        for i, (start, dur, p) in enumerate(self.notes):
            if p == pitch and start <= step < start + dur:
                del self.notes[i]
                self.changed.emit()
                self.update()
                return
        start = step - step % self.length
        end = min(start + self.length, self.steps())
        kept = []
        for s, d, p in self.notes:
            if s + d <= start or s >= end:
                kept.append([s, d, p])
            elif s < start:
                kept.append([s, start - s, p])  # cut short by the new note
        self.notes = sorted(kept + [[start, end - start, pitch]])
        self.changed.emit()
        self.update()

    def clear(self) -> None:
        self.notes = []
        self.changed.emit()
        self.update()

    def set_bars(self, bars: int) -> None:
        self.bars = int(bars)
        self.notes = [[s, min(d, self.steps() - s), p] for s, d, p in self.notes if s < self.steps()]
        self.changed.emit()
        self.update()

    def rows(self) -> np.ndarray:
        return np.array(self.notes, dtype=np.int64).reshape(-1, 3)

    def mousePressEvent(self, event) -> None:
        cell = self.cell_at(event.position().x(), event.position().y())
        if cell is not None and event.button() == Qt.LeftButton:
            self.toggle(*cell)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        sw, rh = self._step_w(), self._row_h()
        p.fillRect(self.rect(), QColor(250, 250, 250))
        for pitch in range(LOW, HIGH + 1):
            y = (HIGH - pitch) * rh
            if pitch % 12 in _BLACK:
                p.fillRect(QRectF(self.GUTTER, y, self.width() - self.GUTTER, rh), QColor(236, 236, 240))
            if pitch % 12 == 0:
                p.setPen(QColor(90, 90, 90))
                p.drawText(QRectF(0, y - 2, self.GUTTER - 3, rh + 4), Qt.AlignRight | Qt.AlignVCenter,
                           f"{_NAMES[pitch % 12]}{pitch // 12 - 1}")
        for step in range(0, self.steps() + 1):
            x = self.GUTTER + step * sw
            strong = step % 16 == 0
            p.setPen(QPen(QColor(120, 120, 130) if strong else QColor(225, 225, 230), 1.5 if strong else 1))
            if strong or step % 4 == 0 or sw > 6:
                p.drawLine(int(x), 0, int(x), self.height())
        p.setPen(QColor(30, 70, 140))
        for start, dur, pitch in self.notes:
            rect = QRectF(self.GUTTER + start * sw + 1, (HIGH - pitch) * rh + 1, dur * sw - 2, rh - 2)
            p.fillRect(rect, QColor(60, 110, 200))
            p.drawRect(rect)
        p.end()


class NoteEntry(QWidget):
    """The grid with its length and bar-count controls."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.grid = NoteGrid()
        self.grid.changed.connect(self.changed)
        self.length_combo = QComboBox()
        for name, steps in LENGTHS:
            self.length_combo.addItem(name, steps)
        self.length_combo.setCurrentIndex(2)
        self.length_combo.currentIndexChanged.connect(
            lambda _i: setattr(self.grid, "length", self.length_combo.currentData()))
        self.bars_spin = QSpinBox()
        self.bars_spin.setRange(1, 32)
        self.bars_spin.setValue(self.grid.bars)
        self.bars_spin.valueChanged.connect(self.grid.set_bars)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.grid.clear)
        row = QHBoxLayout()
        for widget in (QLabel("Note length"), self.length_combo, QLabel("Bars"), self.bars_spin, clear):
            row.addWidget(widget)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.grid, 1)

    def rows(self) -> np.ndarray:
        return self.grid.rows()
