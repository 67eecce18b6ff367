"""What the window shows before the first job: what to do, and a one-click first job.

A new user met an empty job list and blank 0-1 charts. This page says what
the app does and offers the first job in one click: the built-in Bach
chorales on the ``quick`` preset, with how long it should take here
(``app.estimate.first_job_minutes``), or a New Job of their own, or a drop
of their own MIDI music. The window shows it while the job store is empty.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from gan.config import DEFAULT_PRESET, PRESETS

from app.estimate import first_job_minutes
from app.jobs.submit import JobRequest
from app.ui.new_job_dialog import FIRST_JOB_TAGS

FIRST_JOB_NAME = "Bach chorales (first job)"


def cpu_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def first_job_request() -> JobRequest:
    return JobRequest(name=FIRST_JOB_NAME, config=PRESETS[DEFAULT_PRESET], tags=list(FIRST_JOB_TAGS),
                      tag_mode="any", start_now=True)


class WelcomePage(QWidget):
    first_job_requested = Signal()
    new_job_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.read_only_reason = ""
        title = QLabel("<h2>Welcome to Polyphony</h2>")
        intro = QLabel("Train a model on music on this computer, watch it learn, and listen to the "
                       "pieces it writes after every epoch.")
        intro.setWordWrap(True)
        self.first_button = QPushButton()
        self.first_button.setObjectName("first_job")
        self.first_button.setDefault(True)
        self.first_button.setMinimumHeight(48)
        self.first_button.clicked.connect(self.first_job_requested)
        self.first_note = QLabel()
        self.first_note.setWordWrap(True)
        self.new_button = QPushButton("New job… (choose the music and the settings)")
        self.new_button.clicked.connect(self.new_job_requested)
        own = QLabel("To train on your own music, drop MIDI files or a folder of them on this "
                     "window: they are imported under a genre you name, and New job lists it.")
        own.setWordWrap(True)
        column = QWidget()
        column.setMaximumWidth(680)  # lines a reader can follow on a wide screen
        inner = QVBoxLayout(column)
        inner.setSpacing(10)
        for widget in (title, intro, self.first_button, self.first_note, self.new_button, own):
            inner.addWidget(widget)
        inner.addStretch(1)
        # centred between stretches, not by an alignment flag: an aligned
        # widget gets its size hint's width, and its wrapped lines were cut
        layout = QHBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addStretch(1)
        layout.addWidget(column, 100)
        layout.addStretch(1)
        self.set_devices(None, [])

    def set_read_only(self) -> None:
        """The data folder cannot be written: no job can be made from here."""
        self.read_only_reason = why = ("The data folder is read-only (see the banner above): "
                                       "no new job can be saved.")
        for button in (self.first_button, self.new_button):
            button.setEnabled(False)
            button.setToolTip(why)
        self.first_note.setText(why)

    def set_devices(self, devices: list | None, history: list) -> None:
        """Say how long the first job takes on the best device found."""
        kind = devices[0]["kind"] if devices else "cpu"
        minutes = first_job_minutes(PRESETS[DEFAULT_PRESET], None, history, kind, cpu_cores())
        where = (f"{cpu_cores()} CPU cores" if kind == "cpu" else
                 f"{devices[0]['label']}; probably less than that")
        self.first_button.setText(f"Train on Bach chorales: about {max(1, round(minutes))} minutes")
        self.first_note.setText(
            f"The built-in Bach chorales on the quick preset ({PRESETS[DEFAULT_PRESET].epochs} "
            f"epochs), about {max(1, round(minutes))} minutes on this machine ({where}). It starts "
            "at once; the charts fill in as it learns and the Samples tab plays what it writes.")
        if self.read_only_reason:  # the devices found later do not bring the offer back
            self.first_note.setText(self.read_only_reason)
