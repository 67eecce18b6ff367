"""The Compose tab: use a trained job's model.

U-Net jobs: pick an epoch (default: the best similarity index) and a
melody, press Compose; each seed gives a take. MuseGAN jobs: generate N
pieces from a seed or walk between two seeds. Takes appear in a list (the
job's takes on disk, listed again after a restart; tick one to keep a copy
in the kept folder; "Delete unticked" removes the others' files) and in the
listening panel below, which plays them under a piano roll, switches A/B
between two takes and exports MIDI or WAV.

Embedding: ``ComposePanel(store_path=None, parent=None)``, then
``set_job(job_id)`` when the user selects a job; ``refresh()`` re-reads the
job list; ``shutdown()`` (or closing the widget) waits for a running
composition and stops sound.

The model runs on a ``Worker`` (app/ui/worker.py) through the Qt-free
compose service (``app.compose``); its result comes back on the GUI thread,
where alone widgets are touched.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFrame, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QSpinBox, QSplitter, QVBoxLayout, QWidget)

from app.compose import takes as tasks
from app.compose.choice import ModelChoice, choose_checkpoint, epoch_checkpoints, jobs_with_checkpoints
from app.compose.melody_source import MelodyError
from app.ui.compose.melody_picker import MelodyPicker
from app.ui.compose.take_list import TakeList
from app.ui.drops import one_midi_file
from app.ui.listen import ListenPanel, SampleItem
from app.ui.rows import hbox
from app.ui.worker import Worker


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    return box


class ComposePanel(QWidget):
    composed = Signal(list)  # list of TakeFile, after each successful run
    errorOccurred = Signal(str)

    def __init__(self, store_path: Path | None = None, parent: QWidget | None = None,
                 use_device: bool = True):
        super().__init__(parent)
        from app.jobs.store import JobStore

        self.store = JobStore(store_path)
        self._job_id: int | None = None
        self._choice: ModelChoice | None = None  # of the chosen epoch
        self._worker: Worker | None = None
        self._sized = False  # the splitter's first sharing of the height is done on show
        self.setAcceptDrops(True)  # a MIDI file dropped here becomes the melody
        self._build(use_device)
        self.refresh()

    # ---- layout ------------------------------------------------------------------------------
    def _build(self, use_device: bool) -> None:
        """The job row and the message line, then a splitter: the settings
        (the melody scrolling when the window is short, the row with Compose
        always in sight below it), the takes, the listening panel. Nothing
        here sets a minimum height the window would have to grow to (a
        laptop's 1280x720 fits, and composing never resizes the window)."""
        top = self._build_job_row()
        self._build_accompany()
        self._build_generate()
        self.message_label = QLabel("Pick a trained job.")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.settings_area = QScrollArea()
        self.settings_area.setWidget(self.accompany_box)
        self.settings_area.setWidgetResizable(True)
        self.settings_area.setFrameShape(QFrame.NoFrame)
        self.settings_area.setMinimumHeight(60)
        # At 1280x720 the melody's settings scroll; the buttons that act on
        # them never do (the Compose button sat below the fold there).
        self.settings_pane = QWidget()
        column = QVBoxLayout(self.settings_pane)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.settings_area, 1)
        column.addWidget(self.accompany_actions)
        column.addWidget(self.generate_box)
        split = self._build_takes(use_device)
        split.insertWidget(0, self.settings_pane)
        split.setStretchFactor(0, 0)
        split.setCollapsible(0, False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        # Above the splitter, not in the settings: a message that grows to two
        # lines must hide no control.
        layout.addWidget(self.message_label)
        layout.addWidget(split, 1)
        self._update_mode()

    def _build_job_row(self) -> QHBoxLayout:
        self.job_combo = QComboBox()
        self.job_combo.setToolTip("A job with at least one saved epoch")
        self.job_combo.activated.connect(lambda i: self.set_job(self.job_combo.itemData(i)))
        self.epoch_combo = QComboBox()
        self.epoch_combo.setToolTip("Which epoch's model to use (default: the best similarity index)")
        self.epoch_combo.activated.connect(lambda _i: self._choose_epoch())
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        return hbox("Job", (self.job_combo, 2), "Epoch", (self.epoch_combo, 1), self.refresh_button)

    def _build_accompany(self) -> None:
        """U-Net jobs: the melody, seed and takes, Compose."""
        self.melody_picker = MelodyPicker()
        self.seed_spin = _spin(0, 2**31 - 1, 0, "Seed of the first take; the next takes use the next seeds")
        self.takes_spin = _spin(1, 16, 3, "How many takes (one per seed)")
        self.compose_button = QPushButton("Compose")
        self.compose_button.setToolTip("Accompany the melody with the chosen model")
        self.compose_button.clicked.connect(self.compose)
        self.accompany_actions = QWidget()
        acc_row = QHBoxLayout(self.accompany_actions)
        acc_row.setContentsMargins(0, 0, 0, 0)
        acc_row.addWidget(QLabel("Seed"))
        acc_row.addWidget(self.seed_spin)
        acc_row.addWidget(QLabel("Takes"))
        acc_row.addWidget(self.takes_spin)
        acc_row.addStretch(1)
        acc_row.addWidget(self.compose_button)
        self.accompany_box = QWidget()  # scrolls when the window is short
        acc_layout = QVBoxLayout(self.accompany_box)
        acc_layout.setContentsMargins(0, 0, 0, 0)
        acc_layout.addWidget(self.melody_picker)
        acc_layout.addStretch(1)

    def _build_generate(self) -> None:
        """MuseGAN jobs: pieces from seed A, or a walk to seed B."""
        self.generate_box = QGroupBox("Generate (MuseGAN)")
        self.gen_seed_spin = _spin(0, 2**31 - 1, 0, "Seed A: picks the pieces' starting noise")
        self.pieces_spin = _spin(1, 64, 4, "How many pieces to write from seed A")
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(self.generate)
        self.seed_b_spin = _spin(0, 2**31 - 1, 1, "Seed B: where the walk ends")
        self.steps_spin = _spin(2, 32, 5, "Pieces along the walk, both ends included")
        self.interpolate_button = QPushButton("Interpolate")
        self.interpolate_button.setToolTip("Pieces that move step by step from seed A's piece to seed B's")
        self.interpolate_button.clicked.connect(self.interpolate)
        gen = QHBoxLayout(self.generate_box)
        for widget in (QLabel("Seed A"), self.gen_seed_spin, QLabel("Pieces"), self.pieces_spin,
                       self.generate_button, QLabel("to seed B"), self.seed_b_spin, QLabel("Steps"),
                       self.steps_spin, self.interpolate_button):
            gen.addWidget(widget)
        gen.addStretch(1)

    def _build_takes(self, use_device: bool) -> QSplitter:
        """The takes list above the listening panel that plays them."""
        self.takes_view = TakeList()
        self.take_list = self.takes_view.list
        self.takes_view.shown.connect(self._on_takes_shown)
        self.takes_view.chosen.connect(lambda row: self.listen.select(row))
        self.takes_view.message.connect(self.message_label.setText)
        self.takes_view.failed.connect(self._show_error)
        self.listen = ListenPanel(use_device=use_device, follow=False)  # takes are not epochs
        self.listen.errorOccurred.connect(self._show_error)
        self.listen.exported.connect(lambda p: self.message_label.setText(f"Exported {p}"))
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.takes_view)
        split.addWidget(self.listen)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        self.splitter = split
        return split

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            QTimer.singleShot(0, self._share_height)  # once the layout has its height

    def _share_height(self) -> None:
        """First show: the settings get the height they ask for (up to half
        the splitter), the takes list a few rows, the listening panel the rest."""
        total = sum(self.splitter.sizes())
        if total <= 0:
            return
        settings = min(self.settings_pane.sizeHint().height() + 4, total // 2)
        takes = min(96, total // 6)
        self.splitter.setSizes([settings, takes, max(0, total - settings - takes)])

    # ---- a dropped MIDI file is the melody ------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if one_midi_file(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:  # folders and several files: the window imports them
            event.ignore()

    def dropEvent(self, event) -> None:
        path = one_midi_file(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.use_melody_file(path)

    def use_melody_file(self, path) -> None:
        self.melody_picker.set_file(path)
        self.message_label.setText(f"Melody from {Path(path).name}: pick its track if needed, "
                                   "then Compose.")

    # ---- jobs and epochs ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the jobs that have a checkpoint; keeps the chosen job when it is still there."""
        current = self._job_id
        self.job_combo.clear()
        for job in jobs_with_checkpoints(self.store):
            self.job_combo.addItem(f"#{job.id} {job.name} ({job.config.architecture}, {job.status})", job.id)
        if current is not None and self.job_combo.findData(current) >= 0:
            self.set_job(current)
        elif self.job_combo.count():
            self.set_job(self.job_combo.itemData(0))
        else:
            self._job_id = None
            self._choice = None
            self.epoch_combo.clear()
            self.message_label.setText("No job has a saved epoch yet: train one, then compose with it here.")
            self._update_mode()

    def set_job(self, job_id: int | None) -> None:
        """Show ``job_id`` (its epochs, default the best similarity index, and its kept takes)."""
        if job_id is None:
            return
        index = self.job_combo.findData(int(job_id))
        if index < 0:
            self.message_label.setText(f"Job {job_id} has no saved epoch yet: nothing to compose with.")
            self._job_id, self._choice = None, None
            self.epoch_combo.clear()
            self._update_mode()
            return
        self.job_combo.setCurrentIndex(index)
        changed = self._job_id != int(job_id)
        self._job_id = int(job_id)
        try:
            best = choose_checkpoint(self.store, self._job_id)
        except ValueError as exc:
            self._show_error(str(exc))
            return
        self.epoch_combo.clear()
        for epoch, _path, similarity in epoch_checkpoints(self.store, self._job_id):
            score = "" if similarity is None else f" · similarity {similarity:.3f}"
            star = " ★ best" if epoch == best.epoch and "best" in best.why else ""
            self.epoch_combo.addItem(f"epoch {epoch}{score}{star}", epoch)
        # the same job again (a refresh): keep the epoch the user chose, if it is still there
        previous = self._choice.epoch if (self._choice is not None and not changed) else None
        if previous is not None and previous != best.epoch and self.epoch_combo.findData(previous) >= 0:
            self.epoch_combo.setCurrentIndex(self.epoch_combo.findData(previous))
            self._choose_epoch()
        else:
            self.epoch_combo.setCurrentIndex(self.epoch_combo.findData(best.epoch))
            self._choice = best
        if changed:  # the job's takes on disk, those from earlier sessions too
            self.takes_view.load_job(self._job_id)
        if changed:  # a refresh of the same job leaves the last message in place
            self.message_label.setText(f"Job {self._job_id}: epoch {self._choice.epoch} ({self._choice.why}).")
        self._update_mode()

    def job_id(self) -> int | None:
        """The job composed with now."""
        return self._job_id

    def choice(self) -> ModelChoice | None:
        """The model (job and epoch) composed with now."""
        return self._choice

    def choose_epoch(self, epoch: int) -> bool:
        """Pick ``epoch``'s checkpoint as the user would in the Epoch list."""
        index = self.epoch_combo.findData(epoch)
        if index < 0:
            return False
        self.epoch_combo.setCurrentIndex(index)
        self._choose_epoch()
        return True

    def _choose_epoch(self) -> None:
        if self._job_id is None:
            return
        try:
            self._choice = choose_checkpoint(self.store, self._job_id, self.epoch_combo.currentData())
        except ValueError as exc:
            self._show_error(str(exc))

    def _update_mode(self) -> None:
        arch = self._choice.architecture if self._choice else None
        self.settings_area.setVisible(arch != "musegan")
        self.accompany_actions.setVisible(arch != "musegan")
        self.generate_box.setVisible(arch == "musegan")
        busy = self.is_busy()
        for button in (self.compose_button, self.generate_button, self.interpolate_button):
            button.setEnabled(self._choice is not None and not busy)

    # ---- running -------------------------------------------------------------------------------
    def compose(self) -> bool:
        """Accompany the chosen melody; False (with the reason shown) when it cannot start."""
        if self._choice is None or self.is_busy():
            return False
        try:
            melody = self.melody_picker.melody()
        except MelodyError as exc:
            self._show_error(str(exc))
            return False
        seeds = [self.seed_spin.value() + i for i in range(self.takes_spin.value())]
        choice = self._choice  # the worker gets plain data, read here on the GUI thread
        return self._start(Worker(lambda _ctx: tasks.accompany_takes(choice, melody, seeds),
                                  name="polyphony-compose"),
                           f"Composing {len(seeds)} take(s) of {melody.name}…")

    def generate(self) -> bool:
        return self._start_generation(None)

    def interpolate(self) -> bool:
        return self._start_generation(self.seed_b_spin.value())

    def _start_generation(self, seed_b: int | None) -> bool:
        if self._choice is None or self.is_busy():
            return False
        choice = self._choice
        n, seed, steps = self.pieces_spin.value(), self.gen_seed_spin.value(), self.steps_spin.value()
        return self._start(Worker(lambda _ctx: tasks.generated_takes(choice, n, seed, seed_b, steps),
                                  name="polyphony-compose"), "Writing pieces…")

    def _start(self, worker: Worker, message: str) -> bool:
        self.message_label.setText(message)
        self._worker = worker
        worker.returned.connect(self._on_composed)
        worker.errored.connect(self._on_compose_failed)
        worker.finished.connect(self._update_mode)
        worker.start()
        self._update_mode()
        return True

    def _on_compose_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValueError):  # MelodyError, ComposeError, checkpoint problems
            self._show_error(str(exc))
        else:  # shown to the user, never lost in the thread
            self._show_error(f"{type(exc).__name__}: {exc}")

    def _on_composed(self, result: tasks.TaskResult) -> None:
        self.takes_view.add(result.takes)  # the new ones last, the first of them chosen
        self.message_label.setText(" ".join(result.messages) or f"{len(result.takes)} new take(s).")
        self.composed.emit(list(result.takes))

    def is_busy(self) -> bool:
        return self._worker is not None and self._worker.is_running()

    # ---- takes (see take_list) ----------------------------------------------------------------------
    def takes(self) -> list[tasks.TakeFile]:
        return self.takes_view.takes()

    def set_kept(self, row: int, keep: bool) -> None:
        self.takes_view.set_kept(row, keep)

    def delete_unkept(self, confirm: bool = True) -> int:
        return self.takes_view.delete_unkept(confirm)

    def _on_takes_shown(self, takes: list, row: int) -> None:
        self.listen.set_sources([SampleItem(t.label, t.path, t.epoch if t.epoch >= 0 else None, t.job_id)
                                 for t in takes])
        if row >= 0:
            self.listen.select(row, row + 1 if row + 1 < len(takes) else None)

    # ---- messages and teardown ---------------------------------------------------------------------
    def _show_error(self, message: str) -> None:
        self.message_label.setText(f"⚠ {message}")
        self.errorOccurred.emit(message)

    def shutdown(self) -> None:
        if self._worker is not None:
            self._worker.quit()
            self._worker.wait(60)
        self.listen.shutdown()
        self.store.close()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
