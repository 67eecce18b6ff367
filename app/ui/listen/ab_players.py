"""The two players behind the listening panel's A/B switch.

Each side (A, B) has its own ``QtPlayer``, rendered in the background as
soon as a sample is chosen for it, so switching is immediate and keeps the
place in the music. ``ABPlayers`` owns them and knows which side is heard;
the panel asks it to load, play, seek and mix, and draws what it reports.
Without FluidSynth or a soundfont (``status.can_render`` false) there are
no players, and every call is a quiet no-op.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.audio.player import PLAYING
from app.audio.score import Score
from app.audio.soundfonts import SoundfontError
from app.ui.listen.qt_player import QtPlayer

SIDES = ("A", "B")


class ABPlayers(QObject):
    positionChanged = Signal(float, float, float)  # active side: seconds, steps, duration
    stateChanged = Signal(str)  # active side's state
    errorOccurred = Signal(str)
    outputProblem = Signal(str)  # why a player has no sound device
    outputFound = Signal(str)  # a player opened this device (e.g. after a failure)
    finished = Signal()  # the heard side played to the end of its piece

    def __init__(self, can_render: bool, use_device: bool = True, parent: QObject | None = None):
        super().__init__(parent)
        self.side = "A"
        self.players: dict[str, QtPlayer] = {}
        if can_render:
            for side in SIDES:
                qp = QtPlayer(parent=self, use_device=use_device)
                qp.positionChanged.connect(lambda s, st, side=side: self._on_position(side, s, st))
                qp.stateChanged.connect(lambda state, side=side: self._on_state(side, state))
                qp.errorOccurred.connect(self.errorOccurred)
                qp.finished.connect(lambda side=side: side == self.side and self.finished.emit())
                qp.outputChanged.connect(lambda _msg, qp=qp: self._on_output(qp))
                self.players[side] = qp

    # -- state ----------------------------------------------------------------
    def active(self):
        """The heard side's ``Player`` (None without audio)."""
        qp = self.players.get(self.side)
        return qp.player if qp is not None else None

    def player(self, side: str):
        qp = self.players.get(side)
        return qp.player if qp is not None else None

    def each(self):
        return [qp.player for qp in self.players.values()]

    def playing(self) -> bool:
        p = self.active()
        return p is not None and p.state == PLAYING

    def position_steps(self) -> float:
        p = self.active()
        return p.position_steps() if p is not None and p.score is not None else 0.0

    # -- loading --------------------------------------------------------------
    def load(self, side: str, score: Score, programs: dict[int, int]) -> object | None:
        """Give ``side`` this (already parsed) score; returns its player, or
        None without audio. Raises ``ScoreError``/``SoundfontError``."""
        p = self.player(side)
        if p is not None:
            p.load(score, programs={i: prog for i, prog in programs.items() if i < len(score.tracks)})
        return p

    # -- transport ------------------------------------------------------------
    def play(self) -> None:
        p = self.active()
        if p is not None and p.score is not None:
            p.play()

    def pause(self) -> None:
        p = self.active()
        if p is not None:
            p.pause()

    def stop(self) -> None:
        for p in self.each():
            p.stop()

    def switch_to(self, side: str) -> None:
        """Hear ``side`` from the same place in the music, playing if the
        other side was."""
        current, target = self.player(self.side), self.player(side)
        steps = current.position_steps() if current.score is not None else 0.0
        was_playing = current.state == PLAYING
        # The heard side changes first: the pause of the side left behind is
        # then not reported as the transport's state (the Play button read
        # "Play" while B played).
        self.side = side
        current.pause()
        target.seek_steps(steps)
        if was_playing:
            target.play()
        self.stateChanged.emit(target.state)

    def seek_steps(self, steps: float) -> None:
        p = self.active()
        if p is not None and p.score is not None:
            p.seek_steps(steps)

    def seek_seconds(self, seconds: float) -> float | None:
        """Seek the heard side; returns the new place in steps (None: nothing loaded)."""
        p = self.active()
        if p is None or p.score is None:
            return None
        p.seek(seconds)
        return p.score.seconds_to_steps(seconds)

    # -- mix ------------------------------------------------------------------
    def set_loop(self, on: bool) -> None:
        for p in self.each():
            p.set_loop(0.0, p.duration(), enabled=True) if on and p.duration() > 0 else p.set_loop(None, None)

    @staticmethod
    def apply_mix(p, mutes: list[bool], solos: list[bool], volume: float, loop: bool) -> None:
        """Give a freshly loaded player the panel's mix (mute, solo, volume, loop)."""
        for i, on in enumerate(mutes):
            p.set_mute(i, on)
        for i, on in enumerate(solos):
            p.set_solo(i, on)
        p.set_volume(volume)
        if loop and p.duration() > 0:
            p.set_loop(0.0, p.duration())

    def set_mute(self, track: int, on: bool) -> None:
        for p in self.each():
            p.set_mute(track, on)

    def set_solo(self, track: int, on: bool) -> None:
        for p in self.each():
            p.set_solo(track, on)

    def set_tempo(self, factor: float) -> None:
        try:
            for p in self.each():
                p.set_tempo(factor)
        except (ValueError, SoundfontError) as exc:
            self.errorOccurred.emit(str(exc))

    def set_program(self, track: int, program: int) -> None:
        for p in self.each():
            if p.score is not None and track < len(p.score.tracks):
                p.set_program(track, program)

    def close(self) -> None:
        for qp in self.players.values():
            qp.close()

    # -- reports from the players ----------------------------------------------
    def _on_position(self, side: str, seconds: float, steps: float) -> None:
        if side == self.side:
            self.positionChanged.emit(seconds, steps, self.players[side].player.duration())

    def _on_state(self, side: str, state: str) -> None:
        if side == self.side:
            self.stateChanged.emit(state)

    def _on_output(self, qp: QtPlayer) -> None:
        p = qp.player
        if p.output_name is None and p.output_error:
            self.outputProblem.emit(p.output_error)
        elif p.output_name:
            self.outputFound.emit(p.output_name)
