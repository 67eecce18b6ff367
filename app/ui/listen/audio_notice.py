"""The listening panel's notice: what sound cannot do here, in one short line.

The long how-to-fix texts of ``app.audio.availability`` are kept for the
tooltip; a missing output device gets one line (the player plays on a
clock, and tries the device again at the next Play).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

NO_OUTPUT_LINE = ("No audio output found: Playing without sound (the playhead runs on a clock). "
                  "Play tries again; hover here for how to fix it.")


class AudioNotice(QLabel):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.setVisible(False)

    def show_status(self, status) -> None:
        """Every problem of an ``AudioStatus`` (none: hidden)."""
        playable = status.can_render
        lines = [text for key, text in status.problems.items() if key != "output" or not playable]
        if playable and not status.output_ok:
            lines.append(NO_OUTPUT_LINE)
        self.setText("\n".join(lines))
        self.setToolTip("\n\n".join(status.problems.values()))
        self.setVisible(bool(lines))

    def show_no_output(self, problem: str) -> None:
        self.setText(NO_OUTPUT_LINE)
        self.setToolTip(problem)
        self.setVisible(True)

    def show_problem(self, text: str) -> None:
        self.setText(text)
        self.setToolTip(text)
        self.setVisible(True)
