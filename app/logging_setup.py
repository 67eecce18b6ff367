"""The app's log file: one rotating file in the user data directory.

Qt-free, so the command line and the window share it. What goes in: start-up
(version, platform, frozen or not, data directory), errors with tracebacks,
and job events (any logger under ``polyphony``; the job code logs to
``polyphony.jobs``). A bug report then only needs the file this returns.

Wiring (first lines of a program, after argument parsing)::

    from app.logging_setup import setup_logging
    log_path = setup_logging()
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import platform
import sys
import threading
from pathlib import Path

from app import paths

LOG_FILE_NAME = "polyphony.log"
# 1 MiB x (1 + 4 backups): enough for many training runs' job events while
# staying small enough to attach to a bug report.
MAX_BYTES = 1_048_576
BACKUP_COUNT = 4
LOG_FORMAT = "%(asctime)s.%(msecs)03d %(levelname)-7s %(process)d %(threadName)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

log = logging.getLogger("polyphony.startup")


class _PolyphonyFileHandler(logging.handlers.RotatingFileHandler):
    """Marks our handler so a second setup_logging() replaces it, never stacks."""


def setup_logging(level: int = logging.INFO, *, echo: bool = False) -> Path:
    """Send log records to the rotating log file and return its path.

    Safe to call more than once (the command line and the window may both);
    a later call re-opens the file in the current data directory (tests change
    ``POLYPHONY_HOME`` between calls) instead of adding a second handler.
    ``echo`` also copies warnings and errors to stderr, for the command line.
    """
    path = log_file_path()
    root = logging.getLogger()
    _remove_our_handlers(root)
    try:
        handler: logging.Handler = _PolyphonyFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
    except OSError as exc:
        # A log that cannot be written must not stop the app: say so, and
        # keep the records on stderr instead.
        print(f"polyphony: cannot write the log file {path}: {exc}; logging to stderr",
              file=sys.stderr)
        handler = logging.StreamHandler(sys.stderr)
        handler._polyphony = True  # type: ignore[attr-defined]
        echo = False
    handler.setFormatter(logging.Formatter(LOG_FORMAT, DATE_FORMAT))
    handler.setLevel(level)
    root.addHandler(handler)
    if echo:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.WARNING)
        console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        console._polyphony = True  # type: ignore[attr-defined]  # removed with ours
        root.addHandler(console)
    # The root logger gates every record before any handler sees it.
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    logging.captureWarnings(True)
    _log_startup(path)
    return path


def log_uncaught(exc_type, exc, tb, where: str = "main thread") -> None:
    """Write an uncaught exception's traceback to the log (never raises)."""
    try:
        logging.getLogger("polyphony.crash").critical(
            "uncaught exception in %s", where, exc_info=(exc_type, exc, tb))
    except Exception:  # noqa: BLE001 - a broken log must not hide the original error
        pass


def install_exception_logging() -> None:
    """Log uncaught exceptions (any thread) before Python's usual report.

    Qt-free: the command line uses this; the window uses
    ``app.ui.crash_dialog.install_crash_dialog`` which also shows a dialog.
    """
    previous_hook = sys.excepthook
    previous_thread_hook = threading.excepthook

    def excepthook(exc_type, exc, tb):
        if not issubclass(exc_type, KeyboardInterrupt):
            log_uncaught(exc_type, exc, tb)
        previous_hook(exc_type, exc, tb)

    def thread_excepthook(args):
        if args.exc_type is not SystemExit:
            name = args.thread.name if args.thread is not None else "a thread"
            log_uncaught(args.exc_type, args.exc_value, args.exc_traceback, f"thread {name}")
        previous_thread_hook(args)

    # Marked, so the crash dialog can take over without logging twice.
    excepthook.polyphony_previous = previous_hook  # type: ignore[attr-defined]
    thread_excepthook.polyphony_previous = previous_thread_hook  # type: ignore[attr-defined]
    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook


def unwrap_logging_hook(hook):
    """The hook install_exception_logging() replaced, if ``hook`` is its own."""
    return getattr(hook, "polyphony_previous", hook)


def log_file_path() -> Path:
    """Where the current log file is (or would be), in the user data directory."""
    return paths.logs_dir() / LOG_FILE_NAME


def shutdown_logging() -> None:
    """Close and detach the log file (tests; the app can leave it to exit)."""
    _remove_our_handlers(logging.getLogger())
    logging.captureWarnings(False)


def _remove_our_handlers(root: logging.Logger) -> None:
    for handler in list(root.handlers):
        if isinstance(handler, _PolyphonyFileHandler) or getattr(handler, "_polyphony", False):
            root.removeHandler(handler)
            handler.close()


def _log_startup(path: Path) -> None:
    import gan

    frozen = getattr(sys, "frozen", False)
    log.info("Polyphony %s starting (pid %d)", gan.__version__, os.getpid())
    log.info("python %s on %s (%s); %s", platform.python_version(), platform.platform(),
             platform.machine(), "frozen app" if frozen else f"interpreter {sys.executable}")
    log.info("argv: %s", " ".join(sys.argv))
    log.info("data directory: %s; log file: %s", paths.home(), path)
