"""A piano roll with a playhead: tracks in colours, bar lines, pitch names, zoom and scroll.

Painted by hand (one QWidget) so thousands of notes and a 60 Hz playhead
stay cheap. The pitch range fits the notes, or stays one range for pieces
compared with each other (``share_pitch_range``: A/B keeps its vertical
zoom); time scrolls horizontally. Pitch names label the Cs, or every 2nd,
3rd, 4th or 6th row when the rows are tall enough, never two labels
closer than a line of text. Colours follow the palette (light or dark).
Mouse wheel scrolls, Ctrl+wheel or +/- zooms, a click asks to seek there.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QScrollBar, QSizePolicy, QVBoxLayout, QWidget

from gan.data.roll import STEPS_PER_BAR, STEPS_PER_BEAT

from app.ui.theme import RollColors

TRACK_COLOURS = ("#e4572e", "#f3a712", "#29bf12", "#2e86de", "#a05195", "#00a6a6")
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
GUTTER = 44  # pixels for pitch names
LABEL_STEPS = (1, 2, 3, 4, 6, 12)  # rows between pitch names: each divides an octave, so C is always named


def pitch_name(pitch: int) -> str:
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def label_step(row_height: float, text_height: float) -> int:
    """Rows between two pitch names so that they never overlap: the first
    of LABEL_STEPS whose rows are at least a line of text tall (12: the Cs
    only, even when those rows are closer still)."""
    for step in LABEL_STEPS:
        if step * row_height >= text_height:
            return step
    return 12


def labelled_pitches(lo: int, hi: int, row_height: float, text_height: float) -> list[int]:
    step = label_step(row_height, text_height)
    return [pitch for pitch in range(lo, hi + 1) if pitch % step == 0]


class _Geometry(NamedTuple):
    """Where things go in one paint: pitch rows, the x of step 0, the size."""

    lo: int
    hi: int
    row_h: float
    x0: float
    width: int
    height: int

class _Canvas(QWidget):
    seekRequested = Signal(float)

    def __init__(self, view: "PianoRollView"):
        super().__init__(view)
        self.view = view
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMouseTracking(False)

    def paintEvent(self, _event) -> None:
        # Shapes are batched (drawRects/drawLines): one Qt call per colour, not per note.
        v = self.view
        lo, hi = v.pitch_range
        g = _Geometry(lo, hi, max(1.0, (self.height() - 1) / (hi - lo + 1)),
                      GUTTER - v.scroll_steps * v.px_per_step, self.width(), self.height())
        p = QPainter(self)
        p.fillRect(self.rect(), v.roll_colors.background)
        self._paint_grid(p, g)
        self._paint_notes(p, g)
        if v.playhead is not None:
            x = g.x0 + v.playhead * v.px_per_step
            if x >= GUTTER:
                p.setPen(QPen(v.roll_colors.playhead, 2))
                p.drawLine(QLineF(x, 0, x, g.height))
        self._paint_gutter(p, g)
        p.end()

    def _paint_grid(self, p: QPainter, g: "_Geometry") -> None:
        """Black-key rows shaded, bar and beat lines, bar numbers."""
        v = self.view
        c = v.roll_colors
        p.setPen(Qt.NoPen)
        p.setBrush(c.black_keys)
        p.drawRects([QRectF(GUTTER, (g.hi - pitch) * g.row_h, g.width - GUTTER, g.row_h)
                     for pitch in range(g.lo, g.hi + 1) if NOTE_NAMES[pitch % 12].endswith("#")])
        first = max(0, int(v.scroll_steps) - 1)
        last = min(int(v.scroll_steps + (g.width - GUTTER) / v.px_per_step) + 2, v.n_steps)
        beats, bars = [], []
        for step in range(first - first % STEPS_PER_BEAT, last + 1, STEPS_PER_BEAT):
            x = g.x0 + step * v.px_per_step
            (bars if step % STEPS_PER_BAR == 0 else beats).append((step, QLineF(x, 0, x, g.height)))
        if v.px_per_step * STEPS_PER_BEAT >= 4:
            p.setPen(QPen(c.beat_line, 1))
            p.drawLines([line for _s, line in beats])
        p.setPen(QPen(c.bar_line, 1))
        p.drawLines([line for _s, line in bars])
        if v.px_per_step * STEPS_PER_BAR > 24:
            p.setPen(c.bar_number)
            for step, line in bars:
                p.drawText(int(line.x1()) + 3, 12, str(step // STEPS_PER_BAR + 1))

    def _paint_notes(self, p: QPainter, g: "_Geometry") -> None:
        """One colour per track; muted tracks drawn faint."""
        v = self.view
        notes = v.notes
        p.setPen(Qt.NoPen)
        for track in range(v.n_tracks):
            rows_t = notes[notes[:, 0] == track] if len(notes) else notes
            if not len(rows_t):
                continue
            xs = g.x0 + rows_t[:, 1] * v.px_per_step
            ws = np.maximum(2.0, rows_t[:, 2] * v.px_per_step - 1)
            visible = (xs + ws >= GUTTER) & (xs <= g.width)
            ys = (g.hi - rows_t[:, 3]) * g.row_h + 0.5
            h = max(1.0, g.row_h - 1)
            colour = QColor(v.colours[track % len(v.colours)])
            if track in v.muted:
                colour.setAlpha(60)
            p.setBrush(colour)
            p.drawRects([QRectF(float(x), float(y), float(w), h)
                         for x, y, w in zip(xs[visible], ys[visible], ws[visible], strict=True)])

    def _paint_gutter(self, p: QPainter, g: "_Geometry") -> None:
        """The pitch names down the left edge, never overlapping."""
        c = self.view.roll_colors
        p.fillRect(QRectF(0, 0, GUTTER, g.height), c.gutter)
        p.setPen(c.gutter_text)
        font = QFont(p.font())
        font.setPointSizeF(8.0)
        p.setFont(font)
        metrics = QFontMetricsF(font)
        for pitch in labelled_pitches(g.lo, g.hi, g.row_h, metrics.height()):
            centre = (g.hi - pitch) * g.row_h + g.row_h / 2
            p.drawText(QRectF(3, centre - metrics.height() / 2, GUTTER - 6, metrics.height()),
                       Qt.AlignLeft | Qt.AlignVCenter, pitch_name(pitch))

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and event.position().x() > GUTTER:
            steps = self.view.scroll_steps + (event.position().x() - GUTTER) / self.view.px_per_step
            self.seekRequested.emit(max(0.0, min(float(self.view.n_steps), steps)))
        super().mousePressEvent(event)

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if event.modifiers() & Qt.ControlModifier:
            self.view.zoom(1.25 if delta > 0 else 0.8)
        else:
            self.view.scroll_to(self.view.scroll_steps - delta / 120 * STEPS_PER_BEAT)
        event.accept()


class PianoRollView(QWidget):
    """``set_notes(rows, n_steps, track_names)`` then ``set_playhead(steps)``."""

    seekRequested = Signal(float)  # steps
    MIN_PX, MAX_PX = 1.0, 64.0

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.notes = np.zeros((0, 4), dtype=np.int32)
        self.n_steps = STEPS_PER_BAR
        self.n_tracks = 0
        self.track_names: list[str] = []
        self.colours = list(TRACK_COLOURS)
        self.muted: set[int] = set()
        self.pitch_range = (48, 84)
        self._shared_range: tuple[int, int] | None = None
        self.roll_colors = RollColors.of(self.palette())
        self.px_per_step = 8.0
        self.scroll_steps = 0.0
        self.playhead: float | None = None
        self.follow = True
        self._auto_fit = True
        self.canvas = _Canvas(self)
        self.canvas.seekRequested.connect(self.seekRequested)
        self.scrollbar = QScrollBar(Qt.Horizontal, self)
        self.scrollbar.valueChanged.connect(lambda v: self._set_scroll(v / 4.0, from_bar=True))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.scrollbar)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setToolTip("Piano roll: wheel scrolls, Ctrl+wheel or +/- zooms, click to move the playhead")

    # ---- content -------------------------------------------------------------------------
    def set_notes(self, notes: np.ndarray, n_steps: int, track_names=(), colours=None) -> None:
        notes = np.asarray(notes, dtype=np.int32).reshape(-1, 4)
        self.notes = notes
        self.n_steps = max(1, int(n_steps))
        self.track_names = list(track_names)
        self.n_tracks = max(len(self.track_names), int(notes[:, 0].max()) + 1 if len(notes) else 0)
        if colours:
            self.colours = list(colours)
        if self._shared_range is not None:
            self.pitch_range = _padded(_union(self._shared_range, _span(notes)))
        elif len(notes):
            self.pitch_range = _padded(_span(notes))
        self._update_scrollbar()
        self.canvas.update()

    def share_pitch_range(self, pieces) -> None:
        """Keep one pitch range covering all of ``pieces`` (note row arrays,
        as ``set_notes`` takes): A and B compared at the same vertical zoom.
        An empty list goes back to fitting each piece."""
        spans = [_span(np.asarray(rows, dtype=np.int32).reshape(-1, 4)) for rows in pieces]
        spans = [span for span in spans if span is not None]
        shared = None
        for span in spans:
            shared = _union(shared, span)
        self._shared_range = shared
        if shared is not None:
            self.pitch_range = _padded(_union(shared, _span(self.notes)))
            self.canvas.update()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange:  # light <-> dark
            self.roll_colors = RollColors.of(self.palette())
            self.canvas.update()

    def set_muted(self, tracks) -> None:
        self.muted = set(tracks)
        self.canvas.update()

    def set_playhead(self, steps: float | None) -> None:
        self.playhead = steps
        if steps is not None and self.follow:
            visible = self.visible_steps()
            if steps < self.scroll_steps or steps > self.scroll_steps + visible * 0.9:
                self.scroll_to(steps - visible * 0.1)
        self.canvas.update()

    # ---- zoom and scroll -----------------------------------------------------------------
    def visible_steps(self) -> float:
        return max(1.0, (self.canvas.width() - GUTTER) / self.px_per_step)

    def zoom(self, factor: float) -> None:
        self._auto_fit = False  # the user chose a zoom: stop fitting on resize
        self.set_zoom(self.px_per_step * factor)

    def set_zoom(self, px_per_step: float) -> None:
        self.px_per_step = float(min(self.MAX_PX, max(self.MIN_PX, px_per_step)))
        self._update_scrollbar()
        self.scroll_to(self.scroll_steps)

    def fit(self) -> None:
        """Show the whole piece; stays fitted as the widget resizes until the user zooms."""
        self._auto_fit = True
        self.set_zoom((max(self.canvas.width(), 200) - GUTTER) / self.n_steps)

    def scroll_to(self, steps: float) -> None:
        self._set_scroll(steps)

    def _set_scroll(self, steps: float, from_bar: bool = False) -> None:
        limit = max(0.0, self.n_steps - self.visible_steps() + 1)
        self.scroll_steps = float(min(max(0.0, steps), limit))
        if not from_bar:
            self.scrollbar.blockSignals(True)
            self.scrollbar.setValue(int(self.scroll_steps * 4))
            self.scrollbar.blockSignals(False)
        self.canvas.update()

    def _update_scrollbar(self) -> None:
        limit = max(0.0, self.n_steps - self.visible_steps() + 1)
        self.scrollbar.setRange(0, int(limit * 4))
        self.scrollbar.setPageStep(int(self.visible_steps() * 4))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._auto_fit:
            self.set_zoom((max(self.canvas.width(), 200) - GUTTER) / self.n_steps)
        self._update_scrollbar()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key_Plus, Qt.Key_Equal):
            self.zoom(1.25)
        elif event.key() == Qt.Key_Minus:
            self.zoom(0.8)
        else:
            super().keyPressEvent(event)


def _span(notes: np.ndarray) -> tuple[int, int] | None:
    """Lowest and highest pitch of note rows (None when there are none)."""
    if not len(notes):
        return None
    return int(notes[:, 3].min()), int(notes[:, 3].max())


def _union(a: tuple[int, int] | None, b: tuple[int, int] | None) -> tuple[int, int] | None:
    if a is None or b is None:
        return a or b
    return min(a[0], b[0]), max(a[1], b[1])


def _padded(span: tuple[int, int] | None) -> tuple[int, int]:
    if span is None:
        return 48, 84
    return max(0, span[0] - 2), min(127, span[1] + 2)
