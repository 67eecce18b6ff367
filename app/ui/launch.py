"""Start the window: ``python main.py`` (and ``--self-test [--screenshot FILE]``).

Only Qt and pyqtgraph are imported before the window shows; torch is
imported when the training queue first starts. The time from
process start to the visible window is printed with ``POLYPHONY_TIMING=1``.
"""

from __future__ import annotations

import os
import sys
import time

_T0 = time.perf_counter()


def launch(self_test: bool = False, screenshot: str | None = None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Polyphony")
    app.setOrganizationName("Polyphony")
    app.setDesktopFileName("polyphony")  # lets Wayland match resources/polyphony.desktop
    from app.ui.crash_dialog import install_crash_dialog

    # An uncaught error shows a dialog with the log's path instead of vanishing;
    # the self-test exits non-zero instead of waiting on a dialog.
    install_crash_dialog(quit_on_crash=self_test)
    from app.ui.icons import app_icon

    app.setWindowIcon(app_icon())
    if self_test:
        from app.ui.self_test import run_self_test

        return run_self_test(app, screenshot)

    from app.jobs.errors import StoreError
    from app.ui.main_window import MainWindow
    from app.ui.recovery_dialog import open_store_for_window
    from app.ui.training_host import DEFAULT_MODE

    mode = os.environ.get("POLYPHONY_TRAINING") or DEFAULT_MODE
    threads = int(os.environ.get("POLYPHONY_TORCH_THREADS", "0") or 0)
    # A damaged database is offered recovery first; a read-only data folder
    # opens read-only (the window says so); None: it cannot open, or Quit.
    store = open_store_for_window()
    if store is None:
        return 1
    try:
        window = MainWindow(training_mode=mode, torch_threads=threads, store=store)
    except (StoreError, ValueError) as exc:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, "Polyphony cannot start", str(exc))
        return 1
    window.show()
    if os.environ.get("POLYPHONY_TIMING"):
        QTimer.singleShot(0, lambda: print(f"window visible after {time.perf_counter() - _T0:.3f} s "
                                           f"(torch imported: {'torch' in sys.modules})",
                                           file=sys.stderr))
    return app.exec()
