"""The listening panel: pick sample A (and B), play it under a piano roll, switch A/B, export.

Embedding: ``panel = ListenPanel()``, ``panel.set_sources([SampleItem(...), ...])``;
``panel.select(a, b)`` picks by index; ``panel.follow_latest(True)`` keeps A on the
newest epoch of a running job as samples arrive through ``add_source``, and
``panel.follow_running(job_id)`` does so unless the user turned it off for that
job (unticked the box or chose an epoch for A: a chosen epoch stays chosen).
Following never changes the piece under a playing (or paused) playhead: the
newest epoch waits until playback stops. ``ListenPanel(follow=False)`` has no
such box (takes are not epochs).
Keys: Space play/pause, X switch A/B (the playhead keeps its place in the music),
Home stop, L loop, +/- zoom. ``shutdown()`` (or closing the widget) stops sound
and every thread the panel started.

The panel is made of parts it owns: ``ABPlayers`` (the two players and
which side is heard), ``SampleExporter`` (MIDI and WAV export), the piano
roll, transport and track strip. A sample's MIDI file is read once when it
is chosen; the same ``Score`` feeds the piano roll and the player. Without
FluidSynth or a soundfont the panel still shows the piano roll and exports
MIDI; without an output device it plays silently on a clock (the playhead
moves) and says so.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.audio.availability import audio_status
from app.audio.player import PAUSED, PLAYING, STOPPED
from app.audio.score import Score, ScoreError, load_score
from app.audio.soundfonts import SoundfontError, check_soundfont_file
from app.ui.listen.ab_players import ABPlayers
from app.ui.listen.audio_notice import AudioNotice
from app.ui.listen.export_actions import Mix, SampleExporter
from app.ui.listen.piano_roll import PianoRollView
from app.ui.listen.follow import EpochFollower
from app.ui.listen.learning_tour import LearningTour
from app.ui.listen.samples import SampleItem
from app.ui.listen.soundfont_box import SoundfontBox
from app.ui.listen.track_strip import TrackStrip
from app.ui.listen.transport import TransportBar
from app.ui.rows import hbox

__all__ = ["ListenPanel", "SampleItem"]



class ListenPanel(QWidget):
    errorOccurred = Signal(str)
    exported = Signal(str)  # path written
    sideChanged = Signal(str)  # "A" / "B"

    def __init__(self, parent: QWidget | None = None, use_device: bool = True, follow: bool = True):
        super().__init__(parent)
        self._items: list[SampleItem] = []
        self.follower = EpochFollower(self.sources, lambda: self._loaded["A"],
                                      lambda i: self._choose("A", i), self._mid_piece, follow)
        self._loaded: dict[str, SampleItem | None] = {"A": None, "B": None}
        self._scores: dict[str, Score | None] = {"A": None, "B": None}
        self._programs: dict[int, int] = {}  # the user's instrument choices, by track
        self._soundfont: Path | None = None
        self.status = audio_status()
        self.ab = ABPlayers(self.status.can_render, use_device, self)
        self.players = self.ab.players
        self.ab.positionChanged.connect(self._on_position)
        self.ab.stateChanged.connect(self._on_state)
        self.ab.errorOccurred.connect(self.errorOccurred)
        self.ab.outputProblem.connect(lambda problem: self.status_label.show_no_output(problem))
        self.ab.outputFound.connect(self._on_output_found)
        self.exporter = SampleExporter(self, self.status, self.current_item, self.mix)
        self.exporter.exported.connect(self.exported)
        self.exporter.errorOccurred.connect(self.errorOccurred)
        self.exporter.busyChanged.connect(
            lambda busy: self.wav_button.setEnabled(self.status.can_render and not busy))
        self.tour = LearningTour(self.sources, lambda: self._loaded["A"], self._play_for_tour, self.mix)
        self.tour.started.connect(self.follower.user_chose)
        self.tour.exported.connect(self.exported)
        self.tour.errorOccurred.connect(self.errorOccurred)
        self.tour.setVisible(follow)  # epochs of a job, not Compose's takes
        self.ab.finished.connect(self.tour.piece_finished)
        self._build()
        self._show_status()

    # ---- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        top = self._build_choice_row()
        self._build_player()
        bottom = self._build_export_row()
        self.status_label = AudioNotice()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tour)
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

    def _build_choice_row(self) -> QHBoxLayout:
        """Samples A and B, the A/B switch, follow the latest epoch."""
        self.a_combo = QComboBox()
        self.a_combo.setToolTip("Sample A")
        self.b_combo = QComboBox()
        self.b_combo.setToolTip("Sample B: another epoch, another job, or a real training sample")
        self.a_combo.activated.connect(self.choose_a)
        self.b_combo.activated.connect(lambda i: self._choose("B", i - 1))  # row 0 = none
        self.ab_button = QPushButton("A")
        self.ab_button.setCheckable(True)
        self.ab_button.setToolTip("Switch between A and B (X); the playhead keeps its place")
        self.ab_button.clicked.connect(self.switch_ab)
        self.follow_box = self.follower.box
        return hbox("A", (self.a_combo, 1), "B", (self.b_combo, 1), self.ab_button, self.follow_box)

    def _build_player(self) -> None:
        """Piano roll, transport and the track strip (mute, solo, instrument)."""
        self.roll = PianoRollView()
        self.roll.seekRequested.connect(self._seek_steps)
        self.roll.setContextMenuPolicy(Qt.CustomContextMenu)
        self.roll.customContextMenuRequested.connect(
            lambda pos: self.exporter.menu(self.roll).exec(self.roll.mapToGlobal(pos)))
        self.transport = TransportBar()
        self.transport.playPauseClicked.connect(self.toggle)
        self.transport.stopClicked.connect(self.stop)
        self.transport.seekRequested.connect(self._seek_seconds)
        self.transport.loopToggled.connect(self.ab.set_loop)
        self.transport.volumeChanged.connect(lambda v: [p.set_volume(v) for p in self.ab.each()])
        self.transport.tempoChanged.connect(self.ab.set_tempo)
        self.tracks = TrackStrip()
        self.tracks.muteToggled.connect(self._mute)
        self.tracks.soloToggled.connect(self.ab.set_solo)
        self.tracks.programChanged.connect(self._program)

    def _build_export_row(self) -> QHBoxLayout:
        self.soundfont_combo = SoundfontBox()
        self.soundfont_combo.picked.connect(self.set_soundfont)
        self.midi_button = QPushButton("Export MIDI…")
        self.midi_button.setToolTip("Save the sample as MIDI (tempo, time signature, track names, instruments)")
        self.midi_button.clicked.connect(self.exporter.midi_dialog)
        self.wav_button = QPushButton("Export WAV…")
        self.wav_button.setToolTip("Render the sample to WAV with the chosen soundfont")
        self.wav_button.clicked.connect(self.exporter.wav_dialog)
        return hbox("Soundfont", (self.soundfont_combo, 1), self.midi_button, self.wav_button)

    # ---- status --------------------------------------------------------------------------
    def _show_status(self) -> None:
        s = self.status
        playable = s.can_render
        self.transport.set_playable(playable)
        self.wav_button.setEnabled(playable)
        self.soundfont_combo.setEnabled(s.library_ok)
        self.ab_button.setEnabled(playable)
        self.status_label.show_status(s)

    def _on_output_found(self, _name: str) -> None:
        """Play found a device after all (the player tries again after a failure)."""
        self.status = self.exporter.status = audio_status()
        self._show_status()

    # ---- sources -------------------------------------------------------------------------
    def set_sources(self, items: list[SampleItem]) -> None:
        """Replace the list; keeps A/B on the same files when they are still there."""
        self._items = list(items)
        self._refresh_combos()
        if self._loaded["B"] is not None and self._loaded["B"] not in self._items:
            self._choose("B", -1)  # another job's list: B no longer exists
        if self._loaded["A"] not in self._items and self._items:
            latest = self.follower.latest() if self.follower.on else None
            self._choose("A", 0 if latest is None else latest)
        else:
            self.follower.update()
        self.tour.refresh()

    def add_source(self, item: SampleItem) -> None:
        self.set_sources(self._items + [item])

    def sources(self) -> list[SampleItem]:
        return list(self._items)

    def select(self, a: int | None, b: int | None = None) -> None:
        if a is not None:
            self._choose("A", a)
        self._choose("B", -1 if b is None else b)

    def follow_latest(self, on: bool) -> None:
        """Keep A on the newest epoch (``on``) or leave it where it is."""
        self.follower.set(on)

    def following(self) -> bool:
        return self.follower.on

    def follow_running(self, job_id) -> None:
        """A running job's samples are shown: follow its newest epoch unless
        the user turned following off for this job."""
        self.follower.offer(job_id)

    def set_follow_by_user(self, on: bool) -> None:
        """As a click on "Play latest epoch" does (remembered per job)."""
        self.follower.set_by_user(on)

    def choose_a(self, index: int) -> None:
        """The user picks sample A: that epoch stays chosen (following and
        "Hear it learn" stop)."""
        self.follower.user_chose()
        self.tour.end()
        self._choose("A", index)

    def waiting_sample(self) -> SampleItem | None:
        """The newest epoch held back until playback stops (None: none)."""
        return self.follower.waiting

    def _mid_piece(self) -> bool:
        return any(p.state in (PLAYING, PAUSED) for p in self.ab.each())

    def _on_state(self, state: str) -> None:
        self.transport.set_state(state)
        if state == STOPPED:
            self.follower.stopped()

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
        try:  # the one read of this file: the roll and the player share the score
            score = load_score(item.midi_path) if item is not None else None
        except ScoreError as exc:
            self.errorOccurred.emit(str(exc))
            return
        heard = side == self.ab.side
        keep_place = heard and self.ab.playing()
        steps = self.ab.position_steps() if heard else 0.0
        self._loaded[side], self._scores[side] = item, score
        # one pitch range for A and B: switching keeps the vertical zoom
        self.roll.share_pitch_range([s.note_rows() for s in self._scores.values() if s is not None])
        combo, offset = (self.a_combo, 0) if side == "A" else (self.b_combo, 1)
        combo.setCurrentIndex(index + offset if item is not None else 0)
        if side == "A" and score is not None:
            self.tracks.set_tracks([t.name for t in score.tracks], [t.program for t in score.tracks],
                                   [t.is_drum for t in score.tracks])
            self._programs = {}
        if score is not None and not self._load_player(side, score, steps if heard else 0.0, keep_place):
            return
        if side == "B" and item is None and self.ab.side == "B":
            self.switch_ab()
        if side == self.ab.side:
            self._show_score(score)

    def _load_player(self, side: str, score: Score, steps: float, play: bool) -> bool:
        try:
            p = self.ab.load(side, score, self._programs)
        except (ScoreError, SoundfontError) as exc:
            self.errorOccurred.emit(str(exc))
            return False
        if p is not None:
            self.ab.apply_mix(p, [b.isChecked() for b in self.tracks.mutes],
                              [b.isChecked() for b in self.tracks.solos],
                              self.transport.volume.value() / 100, self.transport.loop.isChecked())
            if steps:
                p.seek_steps(steps)
            if play:
                p.play()
        return True

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
        return self.ab.side

    def active_player(self):
        return self.ab.active()

    def current_item(self) -> SampleItem | None:
        return self._loaded[self.ab.side]

    def position_steps(self) -> float:
        return self.ab.position_steps()

    def play(self) -> None:
        self.ab.play()

    def pause(self) -> None:
        self.ab.pause()

    def toggle(self) -> None:
        if self.ab.playing():
            self.pause()
        else:
            self.play()

    def stop(self) -> None:
        self.tour.end()
        self.ab.stop()
        self.roll.set_playhead(0.0)

    def switch_ab(self) -> None:
        """Swap A and B, same place in the music, same playing state."""
        other = "B" if self.ab.side == "A" else "A"
        if self._loaded[other] is None or not self.players:
            self.ab_button.setChecked(self.ab.side == "B")
            return
        self.ab.switch_to(other)
        self.ab_button.setChecked(other == "B")
        self.ab_button.setText(other)
        self._show_score(self._scores[other])
        self.sideChanged.emit(other)

    def _play_for_tour(self, item: SampleItem) -> None:
        """Hear it learn: ``item`` as A, from its start."""
        if self.ab.side != "A":
            self.switch_ab()
        self._choose("A", self._items.index(item))
        self.ab.stop()
        self.play()

    def _seek_steps(self, steps: float) -> None:
        self.ab.seek_steps(steps)
        self.roll.set_playhead(steps)

    def _seek_seconds(self, seconds: float) -> None:
        steps = self.ab.seek_seconds(seconds)
        if steps is not None:
            self.roll.set_playhead(steps)

    def _on_position(self, seconds: float, steps: float, duration: float) -> None:
        self.roll.set_playhead(steps)
        self.transport.set_position(seconds, duration)

    # ---- mix -----------------------------------------------------------------------------
    def mix(self) -> Mix:
        """How the heard sample sounds now (for export)."""
        p = self.active_player()
        return Mix(dict(self._programs), self._soundfont, sorted(p.muted) if p else [],
                   sorted(p.soloed) if p else [])

    def _mute(self, track: int, on: bool) -> None:
        self.ab.set_mute(track, on)
        self.roll.set_muted({i for i, b in enumerate(self.tracks.mutes) if b.isChecked()})

    def _program(self, track: int, program: int) -> None:
        self._programs[track] = program
        self.ab.set_program(track, program)

    def set_soundfont(self, path) -> None:
        try:
            path = check_soundfont_file(path)
            for p in self.ab.each():
                p.set_soundfont(path)
        except SoundfontError as exc:
            self.errorOccurred.emit(str(exc))
            self.status_label.show_problem(str(exc))
            return
        self._soundfont = path
        self.soundfont_combo.show_chosen(path)

    # ---- export (see export_actions) ------------------------------------------------------
    def export_midi_to(self, path) -> Path | None:
        return self.exporter.export_midi_to(path)

    def export_wav_to(self, path) -> None:
        self.exporter.export_wav_to(path)

    # ---- teardown ------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.tour.shutdown()
        self.ab.close()
        self.exporter.shutdown()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
