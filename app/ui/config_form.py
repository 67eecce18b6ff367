"""Every numeric hyperparameter of ``TrainConfig`` as a field with live checks.

Fields are plain text boxes on purpose: a spin box silently clamps what the
user types, while here a bad value stays visible with the reason beside it
in the form's own words (``gan.config.field_problem``: "Batch size must be a
whole number from 1 to 4,096") and the dialog's Start button is disabled.
Tooltips are the config's own plain-words help.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from gan.config import SPECS, TrainConfig, allowed_text, field_problem, label_of

# (group title, [(field, label)]) in the order a musician meets them.
GROUPS = (
    ("How long", [("epochs", "Epochs"), ("steps_per_epoch", "Steps per epoch (0 = all music)"),
                  ("batch_size", "Batch size")]),
    ("The model", [("bars_per_sample", "Bars per piece"), ("width", "Model width"),
                   ("latent_size", "Latent size")]),
    ("How it learns", [("generator_lr", "Composer learning rate"),
                       ("critic_lr", "Critic learning rate"),
                       ("critic_updates", "Critic updates per step"),
                       ("gp_weight", "Gradient-penalty weight"),
                       ("interval_critic", "Critic hears voice intervals (1 = on)"),
                       ("reconstruction_weight", "Reconstruction weight"),
                       ("reconstruction_fade", "Reconstruction fades out over (share of run)"),
                       ("parallel_penalty", "Parallel fifths/octaves penalty"),
                       ("transpose", "Transpose pieces by up to (semitones)"),
                       ("ema_decay", "Composer weight averaging (EMA decay)"),
                       ("lr_floor", "Final learning rate (share of the start)"),
                       ("beta1", "Adam beta1"), ("beta2", "Adam beta2")]),
    ("Listening and measuring", [("part_writing", "Write notes out by the genre's rules (1 = on)"),
                                 ("samples_per_epoch", "Pieces saved per epoch"),
                                 ("metric_samples", "Pieces measured per epoch"),
                                 ("eval_share", "Pieces kept out to score (share)"),
                                 ("judge_genre", "Judge genre fidelity (1 = on)"),
                                 ("keep_every", "Keep a checkpoint every N epochs"),
                                 ("log_every", "Log losses every N steps"),
                                 ("seed", "Random seed"),
                                 ("cuda_graph", "Replay steps as a CUDA graph (1 = on)"),
                                 ("precision", "GPU number precision (auto, bf16, fp32)"),
                                 ("epoch_end", "Epoch ends run (auto, background, inline)")]),
)
# A setting the library gains before it is placed above still gets a field
# (its name as the label), so the form never lacks one and never fails.
_PLACED = {name for _, items in GROUPS for name, _ in items} | {"architecture", "device"}
_UNPLACED = [(name, label_of(name)) for name in SPECS if name not in _PLACED]
if _UNPLACED:
    GROUPS = GROUPS + (("More settings", _UNPLACED),)
FORM_FIELDS = tuple(name for _, items in GROUPS for name, _ in items)

ERROR_STYLE = "color: #b00020;"
BAD_FIELD_STYLE = "QLineEdit { border: 1px solid #b00020; background: #fff0f0; }"


def format_value(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class ConfigForm(QWidget):
    """Emits ``changed`` on every edit; ``problems()`` lists what is wrong."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.edits: dict[str, QLineEdit] = {}
        self.messages: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for title, items in GROUPS:
            box = QGroupBox(title)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
            for name, label in items:
                edit = QLineEdit()
                edit.setObjectName(f"field_{name}")
                edit.setToolTip(SPECS[name].help)
                edit.setMaximumWidth(110)
                edit.textChanged.connect(lambda _text, n=name: self._on_edit(n))
                message = QLabel()
                message.setObjectName(f"message_{name}")
                message.setStyleSheet(ERROR_STYLE)
                message.setWordWrap(True)
                message.setVisible(False)
                row = QHBoxLayout()
                row.addWidget(edit)
                row.addWidget(message, 1)
                caption = QLabel(label)
                caption.setToolTip(SPECS[name].help)
                caption.setMinimumWidth(200)  # same column in every group
                form.addRow(caption, row)
                self.edits[name] = edit
                self.messages[name] = message
            layout.addWidget(box)
        layout.addStretch(1)
        self.set_config(TrainConfig())

    def set_config(self, config: TrainConfig) -> None:
        for name in FORM_FIELDS:
            edit = self.edits[name]
            edit.blockSignals(True)
            edit.setText(format_value(getattr(config, name)))
            edit.blockSignals(False)
            self._show_problem(name, "")
        self.changed.emit()

    def set_value(self, name: str, text: str) -> None:
        """Type ``text`` into a field (as the user would)."""
        self.edits[name].setText(text)

    def _parse(self, name: str):
        """The field's value, or ValueError saying in plain words what it must be."""
        text = self.edits[name].text().strip()
        spec = SPECS[name]
        try:
            value = spec.kind(text) if spec.kind in (int, float) else text
        except ValueError:
            value = None
        message = field_problem(name, value) if value is not None else \
            f"{label_of(name)} must be {allowed_text(name)}"
        if not text:
            message = f"{label_of(name)} is empty: it must be {allowed_text(name)}"
        if message:
            raise ValueError(message)
        return value

    def _on_edit(self, name: str) -> None:
        try:
            self._parse(name)
            self._show_problem(name, "")
        except ValueError as exc:
            self._show_problem(name, str(exc))
        self.changed.emit()

    def _show_problem(self, name: str, message: str) -> None:
        label = self.messages[name]
        label.setText(message)
        label.setVisible(bool(message))
        self.edits[name].setStyleSheet(BAD_FIELD_STYLE if message else "")

    def problems(self) -> dict[str, str]:
        found = {}
        for name in FORM_FIELDS:
            try:
                self._parse(name)
            except ValueError as exc:
                found[name] = str(exc)
        return found

    def config(self, base: TrainConfig) -> TrainConfig | None:
        """``base`` with this form's values, or None while any is invalid."""
        if self.problems():
            return None
        values = {name: self._parse(name) for name in FORM_FIELDS}
        config = dataclasses.replace(base, **values)
        return None if config.problems() else config

