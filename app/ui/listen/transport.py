"""Play/pause, stop, position, loop, volume and tempo controls (signals only, no audio)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QSlider,
                               QWidget)


def _clock(seconds: float) -> str:
    seconds = max(0.0, seconds)
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


class TransportBar(QWidget):
    playPauseClicked = Signal()
    stopClicked = Signal()
    seekRequested = Signal(float)  # score seconds
    loopToggled = Signal(bool)
    volumeChanged = Signal(float)  # 0..1
    tempoChanged = Signal(float)  # factor, 1 = as written

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._duration = 0.0
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.clicked.connect(self.playPauseClicked)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop and go back to the start (Home)")
        self.stop_button.clicked.connect(self.stopClicked)
        self.position = QSlider(Qt.Horizontal)
        self.position.setRange(0, 1000)
        self.position.setToolTip("Position: drag to seek")
        self.position.sliderMoved.connect(
            lambda v: self.seekRequested.emit(v / 1000 * self._duration))
        self.time_label = QLabel(_clock(0) + " / " + _clock(0))
        self.loop = QCheckBox("Loop")
        self.loop.setToolTip("Loop the whole piece (L)")
        self.loop.toggled.connect(self.loopToggled)
        self.volume = QSlider(Qt.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setValue(80)
        self.volume.setMaximumWidth(90)
        self.volume.setToolTip("Volume")
        self.volume.valueChanged.connect(lambda v: self.volumeChanged.emit(v / 100))
        self.tempo = QDoubleSpinBox()
        self.tempo.setRange(0.25, 4.0)
        self.tempo.setSingleStep(0.1)
        self.tempo.setValue(1.0)
        self.tempo.setSuffix(" x")
        self.tempo.setToolTip("Tempo: 1.0 x plays as written (same pitch at any tempo)")
        self.tempo.editingFinished.connect(lambda: self.tempoChanged.emit(self.tempo.value()))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.play_button, self.stop_button):
            layout.addWidget(w)
        layout.addWidget(self.position, 1)
        layout.addWidget(self.time_label)
        layout.addWidget(self.loop)
        layout.addWidget(QLabel("Vol"))
        layout.addWidget(self.volume)
        layout.addWidget(QLabel("Tempo"))
        layout.addWidget(self.tempo)

    def set_state(self, state: str) -> None:
        self.play_button.setText("Pause" if state == "playing" else "Play")

    def set_position(self, seconds: float, duration: float) -> None:
        self._duration = duration
        if not self.position.isSliderDown():
            self.position.blockSignals(True)
            self.position.setValue(int(1000 * seconds / duration) if duration > 0 else 0)
            self.position.blockSignals(False)
        self.time_label.setText(f"{_clock(seconds)} / {_clock(duration)}")

    def set_playable(self, playable: bool) -> None:
        for w in (self.play_button, self.stop_button, self.position, self.loop, self.volume, self.tempo):
            w.setEnabled(playable)
