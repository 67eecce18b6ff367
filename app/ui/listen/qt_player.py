"""A thin Qt adapter around the Qt-free player: signals, and a timer for the playhead.

The player calls back from its output thread; those calls only emit a
signal, which Qt queues to the GUI thread. The playhead is polled at about
60 Hz on the GUI thread (``Player.position()`` is arithmetic, never a wait).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app.audio.player import PLAYING, Player


class QtPlayer(QObject):
    stateChanged = Signal(str)  # "playing" / "paused" / "stopped"
    positionChanged = Signal(float, float)  # score seconds, piano-roll steps
    finished = Signal()
    errorOccurred = Signal(str)
    outputChanged = Signal(str)  # output name, or the reason there is none
    _event = Signal(str)

    def __init__(self, player: Player | None = None, parent: QObject | None = None, **player_kwargs):
        super().__init__(parent)
        self.player = player or Player(on_event=self._event.emit, **player_kwargs)
        if player is not None:
            player._on_event = self._event.emit
        self._event.connect(self._on_event)
        self._timer = QTimer(self)
        self._timer.setInterval(16)
        self._timer.timeout.connect(self._tick)

    def _on_event(self, name: str) -> None:
        p = self.player
        if name == "state":
            self.stateChanged.emit(p.state)
            if p.state == PLAYING:
                self._timer.start()
            else:
                self._timer.stop()
            self._tick()
        elif name == "finished":
            self.finished.emit()
        elif name == "error":
            self.errorOccurred.emit(p.error or "unknown audio error")
        elif name == "output":
            self.outputChanged.emit(p.output_name or p.output_error or "")

    def _tick(self) -> None:
        p = self.player
        seconds = p.position()
        steps = p.score.seconds_to_steps(seconds) if p.score else 0.0
        self.positionChanged.emit(seconds, steps)

    def close(self) -> None:
        self._timer.stop()
        self.player.close()
