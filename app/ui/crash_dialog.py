"""An uncaught exception shows a dialog naming the log file, instead of the
window vanishing (or carrying on silently, which is what a PySide6 slot that
raises does by default).

Wiring, in the launcher right after the QApplication exists::

    from app.ui.crash_dialog import install_crash_dialog
    install_crash_dialog(setup_logging(), quit_on_crash=self_test)

Every uncaught exception, from the GUI thread, a Python thread or a QThread,
is written to the log with its traceback (app.logging_setup), still printed
to stderr, and then reported on the GUI thread in a QMessageBox that gives
the log's path. In self-test mode nobody is there to click, so instead the
application quits with ``CRASH_EXIT_CODE`` and the self-test fails loudly.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, QThread, QtMsgType, Signal, Slot, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from app.logging_setup import log_file_path, log_uncaught, unwrap_logging_hook

# EX_SOFTWARE from sysexits.h: "internal software error".
CRASH_EXIT_CODE = 70
# Platforms with no user to answer a modal dialog: never block on them.
_HEADLESS_PLATFORMS = {"offscreen", "minimal", "vnc"}


class CrashReporter(QObject):
    """Lives on the GUI thread; other threads reach it through ``crashed``."""

    crashed = Signal(str, str)  # where, traceback text

    def __init__(self, app: QApplication, log_path: Path, quit_on_crash: bool) -> None:
        super().__init__(app)
        self.log_path = Path(log_path)
        self.quit_on_crash = quit_on_crash
        self.crash_count = 0
        self._count_when_shown = 0
        self.box: QMessageBox | None = None
        # Both hooks log: when install_exception_logging() is already in
        # place, chain to what it wrapped, so each error is logged once.
        self._previous_hook = unwrap_logging_hook(sys.excepthook)
        self._previous_thread_hook = unwrap_logging_hook(threading.excepthook)
        # Queued across threads because self lives on the GUI thread.
        self.crashed.connect(self._report)

    # -- hooks (any thread) -------------------------------------------------

    def excepthook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous_hook(exc_type, exc, tb)
            return
        self._handle(exc_type, exc, tb, None)
        self._previous_hook(exc_type, exc, tb)

    def thread_excepthook(self, args) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "a thread"
        self._handle(args.exc_type, args.exc_value, args.exc_traceback, f"thread {name}")
        self._previous_thread_hook(args)

    def _handle(self, exc_type, exc, tb, where: str | None) -> None:
        try:
            on_gui_thread = self._on_gui_thread()
        except RuntimeError:
            # The QApplication is gone (an error during interpreter exit):
            # the log and stderr are all that is left.
            log_uncaught(exc_type, exc, tb, where or "shutdown")
            return
        if where is None:
            where = "GUI thread" if on_gui_thread else f"thread {threading.current_thread().name}"
        log_uncaught(exc_type, exc, tb, where)
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        try:
            if on_gui_thread:
                self._report(where, text)
            else:
                self.crashed.emit(where, text)
        except Exception:  # noqa: BLE001 - the dialog failing must not hide the error
            logging.getLogger("polyphony.crash").exception("could not show the crash dialog")

    # -- GUI thread ---------------------------------------------------------

    @Slot(str, str)
    def _report(self, where: str, text: str) -> None:
        self.crash_count += 1
        app = QApplication.instance()
        if self.quit_on_crash:
            print(f"polyphony: uncaught exception in {where}; see {self.log_path}",
                  file=sys.stderr)
            app.exit(CRASH_EXIT_CODE)
            return
        if self.box is not None and self.box.isVisible():
            # One dialog at a time: an error repeating on every repaint must
            # not bury the user under windows. The log has every one.
            more = self.crash_count - self._count_when_shown
            self.box.setInformativeText(self._informative(more=more))
            return
        self._count_when_shown = self.crash_count
        self.box = self._make_box(where, text)
        if QThread.currentThread().loopLevel() > 0:
            # Inside the running event loop: keep the app alive behind it, so
            # the user can save work or cancel a job.
            self.box.show()
        elif app.platformName() not in _HEADLESS_PLATFORMS:
            # The exception ended (or preceded) the event loop: the process is
            # about to exit, so hold it until the user has read the message.
            self.box.exec()

    def _make_box(self, where: str, text: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Critical, "Polyphony: unexpected error",
                          f"Polyphony hit an unexpected error in the {where}.")
        box.setInformativeText(self._informative(more=0))
        box.setDetailedText(text)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setObjectName("crashDialog")
        return box

    def _informative(self, more: int) -> str:
        extra = f"\n\n{more} more error(s) since this one." if more else ""
        return ("The details were written to the log file:\n"
                f"{self.log_path}\n\nPlease attach it to a bug report." + extra)

    def _on_gui_thread(self) -> bool:
        return QThread.currentThread() is self.thread()

    def uninstall(self) -> None:
        """Put back the hooks that were there before, minus exception logging (tests)."""
        sys.excepthook = self._previous_hook
        threading.excepthook = self._previous_thread_hook
        qInstallMessageHandler(None)


def install_crash_dialog(log_path: Path | None = None, *, quit_on_crash: bool = False) -> CrashReporter:
    """Install the hooks; call on the GUI thread once the QApplication exists.

    ``log_path`` is what the dialog shows (``setup_logging()``'s return
    value); ``quit_on_crash`` is for ``--self-test``: exit with
    ``CRASH_EXIT_CODE`` instead of showing a dialog nobody can close.
    """
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("install_crash_dialog() needs a QApplication: create it first")
    reporter = CrashReporter(app, log_path or log_file_path(), quit_on_crash)
    sys.excepthook = reporter.excepthook
    threading.excepthook = reporter.thread_excepthook
    qInstallMessageHandler(_qt_message_to_log)
    return reporter


def _qt_message_to_log(mode: QtMsgType, context, message: str) -> None:
    # Qt's own warnings (missing plugins, bad layouts) go to the log too, so a
    # bug report shows them; they still reach stderr as before.
    level = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
             QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
             QtMsgType.QtFatalMsg: logging.CRITICAL}.get(mode, logging.WARNING)
    logging.getLogger("polyphony.qt").log(level, "%s", message)
    if level >= logging.WARNING:
        print(message, file=sys.stderr)
