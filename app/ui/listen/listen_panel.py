"""The listening panel: pick sample A (and B), play it under a piano roll, switch A/B, export.

Embedding: ``panel = ListenPanel()``, ``panel.set_sources([SampleItem(...), ...])``;
``panel.select(a, b)`` picks by index; ``panel.follow_latest(True)`` keeps A on the
newest epoch of a running job as samples arrive through ``add_source``.
Keys: Space play/pause, X switch A/B (the playhead keeps its place in the music),
Home stop, L loop, +/- zoom. ``shutdown()`` (or closing the widget) stops sound
and every thread the panel started.

Each side has its own player, rendered in the background as soon as it is
chosen, so switching is immediate. Without FluidSynth or a soundfont the
panel still shows the piano roll and exports MIDI; without an output device
it plays silently on a clock (the playhead moves) and says so.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel,
                               QPushButton, QVBoxLayout, QWidget)

from app.audio.availability import audio_status
from app.audio.player import PLAYING
from app.audio.score import Score, ScoreError, load_score
from app.audio.soundfonts import SoundfontError, available_soundfonts, check_soundfont_file
from app.ui.listen.export_actions import ExportActions
from app.ui.listen.piano_roll import PianoRollView
from app.ui.listen.qt_player import QtPlayer
from app.ui.listen.track_strip import TrackStrip
from app.ui.listen.transport import TransportBar


@dataclass(frozen=True)
class SampleItem:
    label: str
    midi_path: Path
    epoch: int | None = None
    job_id: int | str | None = None
    kind: str = "generated"  # "generated" | "reference" (a real training sample)

    @property
    def display(self) -> str:
        return f"{self.label} (reference)" if self.kind == "reference" else self.label


class ListenPanel(ExportActions, QWidget):
    errorOccurred = Signal(str)
    exported = Signal(str)  # path written
    sideChanged = Signal(str)  # "A" / "B"
    _wavDone = Signal(str, str)  # path, error ("" when fine)

    def __init__(self, parent: QWidget | None = None, use_device: bool = True):
        super().__init__(parent)
        self._items: list[SampleItem] = []
        self._follow = False
        self._side = "A"
        self._loaded: dict[str, SampleItem | None] = {"A": None, "B": None}
        self._scores: dict[str, Score | None] = {"A": None, "B": None}
        self._programs: dict[int, int] = {}  # the user's instrument choices, by track
        self._soundfont: Path | None = None
        self._export_threads: list[threading.Thread] = []
        self.status = audio_status()
        self.players: dict[str, QtPlayer] = {}
        if self.status.can_render:
            for side in ("A", "B"):
                qp = QtPlayer(parent=self, use_device=use_device)
                qp.positionChanged.connect(lambda s, st, side=side: self._on_position(side, s, st))
                qp.stateChanged.connect(lambda state, side=side: self._on_state(side, state))
                qp.errorOccurred.connect(self.errorOccurred)
                qp.outputChanged.connect(lambda _msg, qp=qp: self._show_output(qp))
                self.players[side] = qp
        self._build()
        self._wavDone.connect(self._on_wav_done)
        self._show_status()

    # ---- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        self.a_combo = QComboBox()
        self.a_combo.setToolTip("Sample A")
        self.b_combo = QComboBox()
        self.b_combo.setToolTip("Sample B: another epoch, another job, or a real training sample")
        self.a_combo.activated.connect(lambda i: self._choose("A", i))
        self.b_combo.activated.connect(lambda i: self._choose("B", i - 1))  # row 0 = none
        self.ab_button = QPushButton("A")
        self.ab_button.setCheckable(True)
        self.ab_button.setToolTip("Switch between A and B (X); the playhead keeps its place")
        self.ab_button.clicked.connect(self.switch_ab)
        self.follow_box = QCheckBox("Play latest epoch")
        self.follow_box.setToolTip("Follow a running job: A moves to each new epoch's sample")
        self.follow_box.toggled.connect(self.follow_latest)
        top = QHBoxLayout()
        top.addWidget(QLabel("A"))
        top.addWidget(self.a_combo, 1)
        top.addWidget(QLabel("B"))
        top.addWidget(self.b_combo, 1)
        top.addWidget(self.ab_button)
        top.addWidget(self.follow_box)

        self.roll = PianoRollView()
        self.roll.seekRequested.connect(self._seek_steps)
        self.roll.setContextMenuPolicy(Qt.CustomContextMenu)
        self.roll.customContextMenuRequested.connect(
            lambda pos: self.export_menu(self.roll).exec(self.roll.mapToGlobal(pos)))
        self.transport = TransportBar()
        self.transport.playPauseClicked.connect(self.toggle)
        self.transport.stopClicked.connect(self.stop)
        self.transport.seekRequested.connect(self._seek_seconds)
        self.transport.loopToggled.connect(self._set_loop)
        self.transport.volumeChanged.connect(lambda v: self._each(lambda p: p.set_volume(v)))
        self.transport.tempoChanged.connect(self._set_tempo)
        self.tracks = TrackStrip()
        self.tracks.muteToggled.connect(self._mute)
        self.tracks.soloToggled.connect(self._solo)
        self.tracks.programChanged.connect(self._program)

        self.soundfont_combo = QComboBox()
        self.soundfont_combo.setToolTip("General MIDI soundfont used to play and to export WAV")
        for sf in available_soundfonts():
            self.soundfont_combo.addItem(sf.label, str(sf.path))
        self.soundfont_combo.addItem("Other .sf2 file…", None)
        self.soundfont_combo.activated.connect(self._choose_soundfont)
        self.midi_button = QPushButton("Export MIDI…")
        self.midi_button.setToolTip("Save the sample as MIDI (tempo, time signature, track names, instruments)")
        self.midi_button.clicked.connect(self.export_midi_dialog)
        self.wav_button = QPushButton("Export WAV…")
        self.wav_button.setToolTip("Render the sample to WAV with the chosen soundfont")
        self.wav_button.clicked.connect(self.export_wav_dialog)
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel("Soundfont"))
        bottom.addWidget(self.soundfont_combo, 1)
        bottom.addWidget(self.midi_button)
        bottom.addWidget(self.wav_button)

        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.roll, 1)
        layout.addWidget(self.transport)
        layout.addWidget(self.tracks)
        layout.addLayout(bottom)
        layout.addWidget(self.status_label)

        for key, slot in (("Space", self.toggle), ("X", self.switch_ab), ("Home", self.stop),
                          ("L", self.transport.loop.toggle)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # ---- status --------------------------------------------------------------------------
    def _show_status(self) -> None:
        s = self.status
        playable = s.can_render
        self.transport.set_playable(playable)
        self.wav_button.setEnabled(playable)
        self.soundfont_combo.setEnabled(s.library_ok)
        self.ab_button.setEnabled(playable)
        lines = list(s.problems.values())
        if playable and not s.output_ok:
            lines.append("Playing without sound: the playhead runs on a clock.")
        self.status_label.setText("\n".join(lines))
        self.status_label.setVisible(bool(lines))

    def _show_output(self, qp: QtPlayer) -> None:
        p = qp.player
        if p.output_name is None and p.output_error:
            self.status_label.setText(p.output_error + " Playing without sound: the playhead runs on a clock.")
            self.status_label.setVisible(True)

    # ---- sources -------------------------------------------------------------------------
    def set_sources(self, items: list[SampleItem]) -> None:
        """Replace the list; keeps A/B on the same files when they are still there."""
        self._items = list(items)
        self._refresh_combos()
        if self._loaded["B"] is not None and self._loaded["B"] not in self._items:
            self._choose("B", -1)  # another job's list: B no longer exists
        if self._follow and self._latest_index() is not None:
            self._choose("A", self._latest_index())
        elif self._loaded["A"] not in self._items and self._items:
            self._choose("A", 0)

    def add_source(self, item: SampleItem) -> None:
        self.set_sources(self._items + [item])

    def sources(self) -> list[SampleItem]:
        return list(self._items)

    def select(self, a: int | None, b: int | None = None) -> None:
        if a is not None:
            self._choose("A", a)
        self._choose("B", -1 if b is None else b)

    def follow_latest(self, on: bool) -> None:
        self._follow = bool(on)
        if self.follow_box.isChecked() != self._follow:
            self.follow_box.setChecked(self._follow)
        latest = self._latest_index()
        if on and latest is not None:
            self._choose("A", latest)

    def _latest_index(self) -> int | None:
        current = self._loaded["A"]
        job = current.job_id if current is not None else None
        if not any(item.job_id == job for item in self._items):
            job = None  # a new list (another job): its own latest epoch
        best = None
        for i, item in enumerate(self._items):
            if item.kind != "generated" or item.epoch is None:
                continue
            if job is not None and item.job_id != job:
                continue
            if best is None or item.epoch > self._items[best].epoch:
                best = i
        return best

    def _refresh_combos(self) -> None:
        for combo, side, offset in ((self.a_combo, "A", 0), (self.b_combo, "B", 1)):
            combo.blockSignals(True)
            combo.clear()
            if offset:
                combo.addItem("(none)")
            for item in self._items:
                combo.addItem(item.display)
            loaded = self._loaded[side]
            combo.setCurrentIndex(self._items.index(loaded) + offset if loaded in self._items else 0)
            combo.blockSignals(False)

    def _choose(self, side: str, index: int) -> None:
        item = self._items[index] if 0 <= index < len(self._items) else None
        if item is not None and item == self._loaded[side]:
            return
        try:
            score = load_score(item.midi_path) if item is not None else None
        except ScoreError as exc:
            self.errorOccurred.emit(str(exc))
            return
        keep_place = side == self._side and self._playing()
        steps = self.position_steps() if side == self._side else 0.0
        self._loaded[side], self._scores[side] = item, score
        combo, offset = (self.a_combo, 0) if side == "A" else (self.b_combo, 1)
        combo.setCurrentIndex(index + offset if item is not None else 0)
        if side == "A" and score is not None:
            self.tracks.set_tracks([t.name for t in score.tracks], [t.program for t in score.tracks],
                                   [t.is_drum for t in score.tracks])
            self._programs = {}
        qp = self.players.get(side)
        if qp is not None and item is not None:
            p = qp.player
            try:
                p.load(item.midi_path, programs=self._programs_for(score))
            except (ScoreError, SoundfontError) as exc:
                self.errorOccurred.emit(str(exc))
                return
            self._apply_mix(p)
            if side == self._side and steps:
                p.seek_steps(steps)
            if keep_place:
                p.play()
        if side == "B" and item is None and self._side == "B":
            self.switch_ab()
        if side == self._side:
            self._show_score(score)

    def _programs_for(self, score: Score) -> dict[int, int]:
        return {i: prog for i, prog in self._programs.items() if i < len(score.tracks)}

    def _show_score(self, score: Score | None) -> None:
        if score is None:
            self.roll.set_notes([], 16)
            return
        self.roll.set_notes(score.note_rows(), score.n_steps, [t.name for t in score.tracks])
        self.roll.set_playhead(self.position_steps())
        self.roll.fit()

    # ---- transport -----------------------------------------------------------------------
    @property
    def active_side(self) -> str:
        return self._side

    def active_player(self):
        qp = self.players.get(self._side)
        return qp.player if qp is not None else None

    def current_item(self) -> SampleItem | None:
        return self._loaded[self._side]

    def _playing(self) -> bool:
        p = self.active_player()
        return p is not None and p.state == PLAYING

    def position_steps(self) -> float:
        p = self.active_player()
        return p.position_steps() if p is not None and p.score is not None else 0.0

    def _each(self, fn) -> None:
        for qp in self.players.values():
            fn(qp.player)

    def play(self) -> None:
        p = self.active_player()
        if p is not None and p.score is not None:
            p.play()

    def pause(self) -> None:
        p = self.active_player()
        if p is not None:
            p.pause()

    def toggle(self) -> None:
        if self._playing():
            self.pause()
        else:
            self.play()

    def stop(self) -> None:
        self._each(lambda p: p.stop())
        self.roll.set_playhead(0.0)

    def switch_ab(self) -> None:
        """Swap A and B, same place in the music, same playing state."""
        other = "B" if self._side == "A" else "A"
        if self._loaded[other] is None or not self.players:
            self.ab_button.setChecked(self._side == "B")
            return
        current, target = self.players[self._side].player, self.players[other].player
        steps = current.position_steps() if current.score is not None else 0.0
        was_playing = current.state == PLAYING
        current.pause()
        target.seek_steps(steps)
        if was_playing:
            target.play()
        self._side = other
        self.ab_button.setChecked(other == "B")
        self.ab_button.setText(other)
        self._show_score(self._scores[other])
        self.sideChanged.emit(other)

    def _seek_steps(self, steps: float) -> None:
        p = self.active_player()
        if p is not None and p.score is not None:
            p.seek_steps(steps)
        self.roll.set_playhead(steps)

    def _seek_seconds(self, seconds: float) -> None:
        p = self.active_player()
        if p is not None and p.score is not None:
            p.seek(seconds)
            self.roll.set_playhead(p.score.seconds_to_steps(seconds))

    def _on_position(self, side: str, seconds: float, steps: float) -> None:
        if side != self._side:
            return
        self.roll.set_playhead(steps)
        self.transport.set_position(seconds, self.players[side].player.duration())

    def _on_state(self, side: str, state: str) -> None:
        if side == self._side:
            self.transport.set_state(state)

    def _set_loop(self, on: bool) -> None:
        for qp in self.players.values():
            p = qp.player
            p.set_loop(0.0, p.duration(), enabled=True) if on and p.duration() > 0 else p.set_loop(None, None)

    def _set_tempo(self, factor: float) -> None:
        try:
            self._each(lambda p: p.set_tempo(factor))
        except (ValueError, SoundfontError) as exc:
            self.errorOccurred.emit(str(exc))

    # ---- mix -----------------------------------------------------------------------------
    def _apply_mix(self, p) -> None:
        for i, box in enumerate(self.tracks.mutes):
            p.set_mute(i, box.isChecked())
        for i, box in enumerate(self.tracks.solos):
            p.set_solo(i, box.isChecked())
        p.set_volume(self.transport.volume.value() / 100)
        if self.transport.loop.isChecked() and p.duration() > 0:
            p.set_loop(0.0, p.duration())

    def _mute(self, track: int, on: bool) -> None:
        self._each(lambda p: p.set_mute(track, on))
        self.roll.set_muted({i for i, b in enumerate(self.tracks.mutes) if b.isChecked()})

    def _solo(self, track: int, on: bool) -> None:
        self._each(lambda p: p.set_solo(track, on))

    def _program(self, track: int, program: int) -> None:
        self._programs[track] = program
        for qp in self.players.values():
            if qp.player.score is not None and track < len(qp.player.score.tracks):
                qp.player.set_program(track, program)

    def _choose_soundfont(self, index: int) -> None:
        path = self.soundfont_combo.itemData(index)
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Choose a soundfont", "", "SoundFont 2 (*.sf2)")
            if not path:
                return
        self.set_soundfont(path)

    def set_soundfont(self, path) -> None:
        try:
            path = check_soundfont_file(path)
            for qp in self.players.values():
                if qp.player.score is not None:
                    qp.player.set_soundfont(path)
                else:
                    qp.player._soundfont = path
        except SoundfontError as exc:
            self.errorOccurred.emit(str(exc))
            self.status_label.setText(str(exc))
            self.status_label.setVisible(True)
            return
        self._soundfont = path
        if self.soundfont_combo.findData(str(path)) < 0:
            self.soundfont_combo.insertItem(self.soundfont_combo.count() - 1, f"{path.name} (user)", str(path))
        self.soundfont_combo.setCurrentIndex(self.soundfont_combo.findData(str(path)))

    # ---- teardown ------------------------------------------------------------------------
    def shutdown(self) -> None:
        for qp in self.players.values():
            qp.close()
        for thread in self._export_threads:
            thread.join(timeout=10)
        self._export_threads = []

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
