"""New job: architecture, preset, every hyperparameter, device, genre tags.

Start stays disabled while any value is invalid (the reason is shown beside
the field and summed up above the buttons). The dialog only collects a
``JobRequest``; the window creates the job in the store.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QScrollArea, QSplitter, QVBoxLayout, QWidget)

from gan.config import ARCHITECTURES, DEFAULT_PRESET, PRESETS, SPECS, TrainConfig, field_problem

from app.estimate import describe_estimate, device_kind
from app.jobs.submit import JobRequest
from app.ui.config_form import ERROR_STYLE, ConfigForm
from app.ui.tag_picker import TagPicker

PRESET_TIPS = {
    "smoke": "A few seconds: checks that everything works (the music will be noise).",
    "quick": ("A small model for a laptop CPU: the accompaniment model learns chorale "
              "style in about 5-10 minutes on 2 cores."),
    "lab": "The hosted console's lab settings: better music, hours on a CPU.",
    "full": "A large model for a GPU.",
}
ARCH_LABELS = {"unet": "Accompaniment (U-Net): melody in, three voices out",
               "musegan": "MuseGAN: four voices from nothing"}
CUSTOM = "custom"
# What a new job learns from unless the user ticks otherwise: the built-in
# chorales (a few minutes on a laptop with the quick preset).
FIRST_JOB_TAGS = ("genre=chorale",)


class NewJobDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, *, history: list | None = None,
                 devices: list | None = None, initial: TrainConfig | None = None,
                 tags: list[str] | None = None, tag_mode: str = "any", name: str = "",
                 preset_name: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("New training job")
        self._history = history or []
        self._updating = False
        self.request: JobRequest | None = None
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_header(name))
        layout.addWidget(self._build_body(), 1)
        layout.addLayout(self._build_buttons())
        self._fit_screen(parent)

        self.set_devices(devices)
        config = initial or PRESETS[DEFAULT_PRESET]
        self._apply_config(config)
        chosen_preset = preset_name or self._matching_preset(config)
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(chosen_preset))
        self.tag_picker.load(config.bars_per_sample)
        self.tag_picker.set_tags(tags or [], tag_mode)

        self.arch_combo.currentIndexChanged.connect(self._revalidate)
        self.preset_combo.currentIndexChanged.connect(self._on_preset)
        self.device_combo.currentIndexChanged.connect(self._revalidate)
        self.form.changed.connect(self._on_form_changed)
        self.tag_picker.changed.connect(self._revalidate)
        self._revalidate()

    # -- layout ---------------------------------------------------------------
    def _build_header(self, name: str) -> QFormLayout:
        """Name, architecture, preset, device and the time estimate."""
        self.name_edit = QLineEdit(name)
        self.name_edit.setPlaceholderText("e.g. chorales, small model")
        self.name_edit.setToolTip("A name to find the job again; left empty, one is made "
                                  "from the architecture and tags.")
        self.arch_combo = QComboBox()
        for arch in ARCHITECTURES:
            self.arch_combo.addItem(ARCH_LABELS.get(arch, arch), arch)
        self.arch_combo.setToolTip(SPECS["architecture"].help)
        self.preset_combo = QComboBox()
        for key in PRESETS:
            self.preset_combo.addItem(key, key)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, PRESET_TIPS.get(key, ""),
                                          Qt.ToolTipRole)
        self.preset_combo.addItem(CUSTOM, CUSTOM)
        self.preset_combo.setToolTip("Starting values for every setting below. Editing a "
                                     "value turns the preset into 'custom'.")
        self.device_combo = QComboBox()
        self.device_combo.setToolTip(SPECS["device"].help)
        self.device_message = QLabel()
        self.device_message.setStyleSheet("color: #555;")
        self.estimate_label = QLabel()
        self.estimate_label.setObjectName("estimate")
        self.estimate_label.setWordWrap(True)

        top = QFormLayout()
        top.addRow("Name", self.name_edit)
        top.addRow("Architecture", self.arch_combo)
        top.addRow("Preset", self.preset_combo)
        device_row = QHBoxLayout()
        device_row.addWidget(self.device_combo, 1)
        device_row.addWidget(self.device_message)
        top.addRow("Device", device_row)
        top.addRow("Estimate", self.estimate_label)
        return top

    def _build_body(self) -> QSplitter:
        """Every setting on the left, the music to learn from on the right."""
        self.form = ConfigForm()
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(430)
        self.tag_picker = TagPicker()
        tags_box = QWidget()
        tags_layout = QVBoxLayout(tags_box)
        tags_layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("<b>Music to learn from</b>")
        tags_layout.addWidget(heading)
        tags_layout.addWidget(self.tag_picker, 1)
        splitter = QSplitter()
        splitter.addWidget(scroll)
        splitter.addWidget(tags_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        return splitter

    def _build_buttons(self) -> QHBoxLayout:
        """What is wrong (if anything), Cancel, Add to queue, Start now."""
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setStyleSheet(ERROR_STYLE)
        self.summary.setWordWrap(True)
        self.start_button = QPushButton("Start now")
        self.start_button.setObjectName("start")
        self.start_button.setDefault(True)
        self.start_button.setToolTip("Create the job and train it next (Ctrl+Enter).")
        self.queue_button = QPushButton("Add to queue")
        self.queue_button.setObjectName("queue")
        self.queue_button.setToolTip("Create the job at the end of the queue.")
        cancel = QPushButton("Cancel")
        self.start_button.clicked.connect(lambda: self._finish(True))
        self.queue_button.clicked.connect(lambda: self._finish(False))
        cancel.clicked.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self._start_shortcut)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.queue_button)
        buttons.addWidget(self.start_button)
        return buttons

    def _fit_screen(self, parent: QWidget | None) -> None:
        """1040x700, or less on a small screen (a 1280x720 laptop): the form scrolls."""
        screen = parent.screen() if parent is not None else QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        width, height = 1040, 700
        if room is not None and room.width() > 200 and room.height() > 200:
            width, height = min(width, room.width() - 40), min(height, room.height() - 60)
        self.resize(width, height)

    # -- devices --------------------------------------------------------------
    def set_devices(self, devices: list | None, error: str = "") -> None:
        """Fill the picker from ``describe_devices()`` (None: still detecting)."""
        keep = self.device_combo.currentData() or getattr(self, "_wanted_device", "auto")
        self.device_combo.blockSignals(True)
        self.device_combo.clear()
        if devices is None:
            self.device_combo.addItem("auto (detecting devices…)", "auto")
            self.device_message.setText("")
        else:
            best = devices[0]["label"] if devices else "cpu"
            self.device_combo.addItem(f"auto: {best}", "auto")
            for d in devices:
                memory = f", {d['memory_gb']} GB" if d.get("memory_gb") else ""
                self.device_combo.addItem(f"{d['label']}{memory}", d["name"])
            self.device_message.setText(f"device check: {error}" if error else "")
        index = self.device_combo.findData(keep)
        if index < 0 and keep and keep != "auto":
            # A device saved with the last settings that this machine lacks:
            # keep it visible so the user sees why it will fail.
            self.device_combo.addItem(f"{keep} (not found here)", keep)
            index = self.device_combo.count() - 1
        self.device_combo.setCurrentIndex(max(0, index))
        self.device_combo.blockSignals(False)
        self._devices = devices
        if hasattr(self, "summary"):
            self._revalidate()

    def _device_kind(self) -> str:
        name = self.device_combo.currentData() or "auto"
        if name == "auto" and self._devices:
            name = self._devices[0]["name"]
        return device_kind(name)

    # -- presets ----------------------------------------------------------------
    def _matching_preset(self, config: TrainConfig) -> str:
        for key, cfg in PRESETS.items():
            if dataclasses.replace(cfg, architecture=config.architecture,
                                   device=config.device) == config:
                return key
        return CUSTOM

    def _apply_config(self, config: TrainConfig) -> None:
        self._updating = True
        self.arch_combo.setCurrentIndex(max(0, self.arch_combo.findData(config.architecture)))
        self._wanted_device = config.device
        index = self.device_combo.findData(config.device)
        if index >= 0:
            self.device_combo.setCurrentIndex(index)
        self.form.set_config(config)
        self._updating = False

    def _on_preset(self) -> None:
        key = self.preset_combo.currentData()
        if key in PRESETS and not self._updating:
            base = dataclasses.replace(PRESETS[key], architecture=self.arch_combo.currentData(),
                                       device=self.device_combo.currentData() or "auto")
            self._apply_config(base)
            self.tag_picker.set_bars(base.bars_per_sample)
        self._revalidate()

    def _on_form_changed(self) -> None:
        if self._updating:
            return
        config = self.current_config()
        if config is not None:
            self.tag_picker.set_bars(config.bars_per_sample)
            match = self._matching_preset(config)
            if match != self.preset_combo.currentData():
                self._updating = True
                self.preset_combo.setCurrentIndex(self.preset_combo.findData(match))
                self._updating = False
        elif self.preset_combo.currentData() != CUSTOM:
            self._updating = True
            self.preset_combo.setCurrentIndex(self.preset_combo.findData(CUSTOM))
            self._updating = False
        self._revalidate()

    # -- validation -------------------------------------------------------------
    def current_config(self) -> TrainConfig | None:
        base = TrainConfig(architecture=self.arch_combo.currentData() or "unet",
                           device=self.device_combo.currentData() or "auto")
        return self.form.config(base)

    def problems(self) -> list[str]:
        found = list(self.form.problems().values())
        device = self.device_combo.currentData() or "auto"
        if field_problem("device", device):
            found.append(field_problem("device", device))
        if self._devices is not None and device not in ("auto",) and \
                device not in [d["name"] for d in self._devices]:
            found.append(f"The device {device} is not available on this machine: pick another")
        tag_problem = self.tag_picker.problem()
        if tag_problem:
            found.append(tag_problem)
        return found

    def _revalidate(self) -> None:
        problems = self.problems()
        ok = not problems
        self.start_button.setEnabled(ok)
        self.queue_button.setEnabled(ok)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.summary.setText(f"Fix this to start: {problems[0]}{more}")
        else:
            self.summary.setText("")
        config = self.current_config()
        if config is None:
            self.estimate_label.setText("—")
        else:
            self.estimate_label.setText(describe_estimate(
                config, self.tag_picker.segment_total(), self._history, self._device_kind()))

    # -- finishing --------------------------------------------------------------
    def _start_shortcut(self) -> None:
        if self.start_button.isEnabled():
            self._finish(True)

    def _finish(self, start_now: bool) -> None:
        config = self.current_config()
        if config is None or self.problems():
            self._revalidate()
            return
        self.request = JobRequest(name=self.name_edit.text().strip(), config=config,
                                  tags=self.tag_picker.tags(), tag_mode=self.tag_picker.mode(),
                                  start_now=start_now)
        self.accept()

    def done(self, result: int) -> None:
        self.tag_picker.wait_import()
        super().done(result)
