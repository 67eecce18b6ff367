"""Where the melody comes from: a MIDI file (with its track), a built-in tune, typed notes,
or notes clicked on a small piano roll."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QDoubleSpinBox, QFileDialog, QGridLayout,
                               QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QRadioButton, QWidget)

from app.compose.melody_source import (BUILTIN, FILE, ROLL, TYPED, MelodyError, MelodySource,
                                       build_melody, builtin_titles, midi_tracks)
from app.ui.compose.note_entry import NoteEntry
from app.ui.drops import one_midi_file

FROM_FILE = -0.25  # the pick-up spin box's "from the file" value


class MidiPathEdit(QLineEdit):
    """The melody file's path: a MIDI file dropped here replaces the text
    (a plain line edit inserted "file:///…" where the cursor was)."""

    dropped = Signal(str)

    def dragEnterEvent(self, event) -> None:
        if one_midi_file(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if one_midi_file(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        path = one_midi_file(event.mimeData())
        if path is None:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        self.dropped.emit(str(path))


class MelodyPicker(QGroupBox):
    """``source()`` describes the chosen tune (``app.compose.MelodySource``);
    ``melody()`` builds it or raises ``MelodyError`` with the reason;
    ``changed`` fires on any edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Melody", parent)
        self.file_radio = QRadioButton("MIDI file")
        self.builtin_radio = QRadioButton("Built-in")
        self.typed_radio = QRadioButton("Typed notes")
        self.roll_radio = QRadioButton("Piano roll")
        self.group = QButtonGroup(self)
        for i, radio in enumerate((self.file_radio, self.builtin_radio, self.typed_radio, self.roll_radio)):
            self.group.addButton(radio, i)
        self.builtin_radio.setChecked(True)
        self.group.idToggled.connect(lambda _id, on: on and self._sync())

        self.path_edit = MidiPathEdit()
        self.path_edit.setPlaceholderText("a .mid file with the tune (or drop one here)")
        self.path_edit.dropped.connect(self.set_file)
        self.path_edit.editingFinished.connect(self._load_tracks)
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        self.track_combo = QComboBox()
        self.track_combo.setToolTip("Which track holds the melody; a track with chords gives its top line")
        self.track_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())

        self.builtin_combo = QComboBox()
        for name, title in builtin_titles().items():
            self.builtin_combo.addItem(title, name)
        self.builtin_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())

        self.notes_edit = QLineEdit("E5 D5 C5 D5 | E5 E5 E5:2 | D5:1 D5 D5:2 | E5:1 G5 G5:2")
        self.notes_edit.setToolTip("Pitches like C4, F#4, Bb3 (C4 = middle C), r for a rest; "
                                   ":beats sets the length (E4:2 = a half note, :0.5 = an eighth); "
                                   "| marks bar lines and is checked")
        self.tempo_spin = QDoubleSpinBox()
        self.tempo_spin.setRange(20, 300)
        self.tempo_spin.setValue(100)
        self.tempo_spin.setSuffix(" bpm")

        self.note_entry = NoteEntry()
        self.note_entry.changed.connect(self.changed)

        self.pickup_spin = QDoubleSpinBox()
        self.pickup_spin.setRange(FROM_FILE, 3.75)
        self.pickup_spin.setSingleStep(0.25)
        self.pickup_spin.setValue(FROM_FILE)
        self.pickup_spin.setSpecialValueText("none, or from the file")
        self.pickup_spin.setSuffix(" beats")
        self.pickup_spin.setToolTip("A melody that starts on an upbeat: the length of its pick-up")
        self._lay_out()
        self._sync()

    def _lay_out(self) -> None:
        """One row per source: the radio button, then its fields."""
        grid = QGridLayout(self)
        grid.addWidget(self.file_radio, 0, 0)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse)
        file_row.addWidget(self.track_combo, 1)
        grid.addLayout(file_row, 0, 1)
        grid.addWidget(self.builtin_radio, 1, 0)
        grid.addWidget(self.builtin_combo, 1, 1)
        grid.addWidget(self.typed_radio, 2, 0)
        typed_row = QHBoxLayout()
        typed_row.addWidget(self.notes_edit, 1)
        typed_row.addWidget(self.tempo_spin)
        grid.addLayout(typed_row, 2, 1)
        pickup_row = QHBoxLayout()
        pickup_row.addWidget(self.pickup_spin)
        pickup_row.addStretch(1)
        grid.addWidget(self.roll_radio, 3, 0)
        grid.addWidget(self.note_entry, 4, 0, 1, 2)
        grid.addWidget(QLabel("Pick-up"), 5, 0)
        grid.addLayout(pickup_row, 5, 1)

    def _sync(self) -> None:
        source = self.group.checkedId()
        for widget in (self.path_edit, self.browse, self.track_combo):
            widget.setEnabled(source == 0)
        self.builtin_combo.setEnabled(source == 1)
        self.notes_edit.setEnabled(source == 2)
        self.tempo_spin.setEnabled(source in (2, 3))
        self.note_entry.setVisible(source == 3)
        self.pickup_spin.setEnabled(source != 1)
        self.changed.emit()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Melody", "", "MIDI (*.mid *.midi)")
        if path:
            self.set_file(path)

    def set_file(self, path) -> None:
        self.path_edit.setText(str(path))
        self.file_radio.setChecked(True)
        self._load_tracks()

    def _load_tracks(self) -> None:
        self.track_combo.clear()
        path = Path(self.path_edit.text().strip())
        if not path.is_file():
            return
        try:
            tracks = midi_tracks(path)
        except MelodyError:
            return  # melody() reports the reason when asked
        self.track_combo.addItem("first track with notes", None)
        for info in tracks:
            self.track_combo.addItem(info.label(), info.index)
        self.changed.emit()

    def source(self) -> MelodySource:
        """The tune as the form describes it now."""
        kind = (FILE, BUILTIN, TYPED, ROLL)[self.group.checkedId()]
        pickup = self.pickup_spin.value()
        return MelodySource(kind, path=self.path_edit.text(), track=self.track_combo.currentData(),
                            name=self.builtin_combo.currentData() or "",
                            notes=self.notes_edit.text(),
                            rows=self.note_entry.rows() if kind == ROLL else None,
                            tempo=self.tempo_spin.value(), pickup=None if pickup < 0 else pickup)

    def melody(self):
        """The chosen ``gan.compose.melody.Melody``; ``MelodyError`` says why not."""
        return build_melody(self.source())
