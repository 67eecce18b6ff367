"""Start the window (placeholder until the main-window issue lands)."""

from __future__ import annotations

import sys


def launch(self_test: bool = False, screenshot: str | None = None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Polyphony")
    label = QLabel("Polyphony")
    label.resize(640, 400)
    label.show()
    if self_test:
        def finish() -> None:
            if screenshot:
                label.grab().save(screenshot)
            app.quit()

        QTimer.singleShot(200, finish)
    return app.exec()
