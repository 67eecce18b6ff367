"""Opening the job store for the window, with recovery when it is damaged.

``open_store_for_window()`` opens the store as app.jobs.access does for
every command that only looks: writable when it can be, else read-only (the
window then shows a banner and changes nothing). A damaged database shows
``RecoveryDialog`` first: what is damaged, and what Recover does
(app.jobs.recovery.recover_store: the damaged file is kept beside it as
``polyphony.db.damaged-YYYYmmdd-HHMMSS``, and a new database is rebuilt
from the job folders, with the names, tags and losses the damaged file can
still give). Recovery runs on the window's one background helper
(app/ui/worker.py) behind a busy bar, so the dialog never freezes; it then
says what came back and the window opens.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLayout,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.jobs.access import open_for_reading
from app.jobs.errors import RECOVER_COMMAND, StoreError
from app.jobs.recovery import RecoveryReport, recover_store
from app.jobs.store import JobStore
from app.ui.worker import TaskContext, Worker

# Jobs listed by name in the report before "and N more".
LISTED = 8


def _recover_task(_ctx: TaskContext, database: Path, jobs_root: Path) -> RecoveryReport:
    return recover_store(database, jobs_root)


def explanation(database: Path, damage: str, jobs_root: Path) -> str:
    """What is damaged and what Recover does, as rich text."""
    e = html.escape
    return (
        f"<p><b>The job database is damaged.</b><br>{e(str(database))}<br>"
        f"SQLite reports: {e(damage)}</p>"
        f"<p>Nothing has been written to it. The trained models and pieces are safe in "
        f"the job folders in {e(str(jobs_root))}.</p>"
        f"<p><b>Recover</b> keeps the damaged file beside it, renamed "
        f"<i>{e(database.name)}.damaged-&lt;date&gt;-&lt;time&gt;</i>, and builds a new job "
        f"list from the job folders (their checkpoints, epoch logs and samples). Names, "
        f"tags and losses that the damaged file can still give are kept. Do not train "
        f"from the command line on this data folder meanwhile.</p>"
        f"<p><b>Quit</b> changes nothing; <code>{e(RECOVER_COMMAND)}</code> does the same "
        f"recovery later.</p>")


def report_text(report: RecoveryReport) -> str:
    """What recovery did, as rich text."""
    e = html.escape
    if not report.recovered:
        return (f"<p>{e(str(report.database))} is not damaged any more: nothing needed "
                f"recovering.</p>")
    adopted, refused = report.adopted.adopted, report.adopted.refused
    kept = e(str(report.backups[0]))
    lines = [f"<p><b>Recovered.</b> {len(adopted)} job(s) rebuilt from their folders. The "
             + f"damaged database is kept as {kept}.</p>"]
    if adopted:
        items = "".join(f"<li>#{job_id} ({e(status)}, {epochs} epoch(s)) from "
                        f"folder {e(folder.name)}</li>"
                        for folder, job_id, status, epochs in adopted[:LISTED])
        more = f"<li>… and {len(adopted) - LISTED} more</li>" if len(adopted) > LISTED else ""
        lines.append(f"<ul>{items}{more}</ul>")
    for folder, reason in refused:
        lines.append(f"<p>Not rebuilt: {e(str(folder))}: {e(reason)} (the folder is kept as "
                     f"it is).</p>")
    return "".join(lines)


class RecoveryDialog(QDialog):
    """Recover or Quit; while recovering, a busy bar; then what came back.

    ``recover()`` starts the work (the Recover button calls it); ``accept``
    ("Open Polyphony") is offered when it is done."""

    def __init__(self, database: Path, damage: str, jobs_root: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Polyphony: the job database is damaged")
        self.database, self.jobs_root = Path(database), Path(jobs_root)
        self.damage = damage
        self.worker: Worker | None = None
        self.report: RecoveryReport | None = None
        self.error: str = ""
        self.message = QLabel(explanation(self.database, damage, self.jobs_root))
        self.message.setTextFormat(Qt.RichText)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.message.setMinimumWidth(520)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # busy: how long depends on the folders
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.result_label = QLabel()
        self.result_label.setTextFormat(Qt.RichText)
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.result_label.hide()
        buttons = QDialogButtonBox()
        self.recover_button = QPushButton("Recover")
        self.recover_button.setDefault(True)
        self.quit_button = QPushButton("Quit")
        self.open_button = QPushButton("Open Polyphony")
        buttons.addButton(self.recover_button, QDialogButtonBox.ActionRole)
        buttons.addButton(self.open_button, QDialogButtonBox.AcceptRole)
        buttons.addButton(self.quit_button, QDialogButtonBox.RejectRole)
        self.open_button.hide()  # after addButton, which shows it
        self.recover_button.clicked.connect(self.recover)
        self.open_button.clicked.connect(self.accept)
        self.quit_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        # The dialog grows with what it says (the busy bar, the report).
        layout.setSizeConstraint(QLayout.SetMinimumSize)
        layout.addWidget(self.message)
        layout.addWidget(self.busy)
        layout.addWidget(self.result_label)
        layout.addWidget(buttons)

    def is_busy(self) -> bool:
        return self.worker is not None and self.worker.is_running()

    def recover(self) -> Worker:
        """Start recovering (the running worker when it already is)."""
        if self.is_busy():
            return self.worker
        self.error = ""
        self.recover_button.setEnabled(False)
        self.quit_button.setEnabled(False)
        self.busy.show()
        self.result_label.setText("Recovering: reading the job folders…")
        self.result_label.show()
        self.adjustSize()  # room for the busy bar below the explanation
        worker = Worker(_recover_task, self.database, self.jobs_root, name="polyphony-recover")
        worker.returned.connect(self._on_recovered)
        worker.errored.connect(self._on_failed)
        self.worker = worker
        return worker.start()

    def _on_recovered(self, report: RecoveryReport) -> None:
        self.report = report
        self.busy.hide()
        # What Recover would do is done: the damage in one line, then the report.
        self.message.setText(f"<p>The job database {html.escape(str(self.database))} was "
                             f"damaged ({html.escape(self.damage)}).</p>")
        self.result_label.setText(report_text(report))
        self.recover_button.hide()
        self.quit_button.setEnabled(True)
        self.open_button.show()
        self.open_button.setDefault(True)
        self.open_button.setFocus()
        self.adjustSize()  # the shorter text: no empty band above the report

    def _on_failed(self, exc: BaseException) -> None:
        self.error = str(exc) or type(exc).__name__
        self.busy.hide()
        self.result_label.setText(
            f"<p><b>Recovery failed:</b> {html.escape(self.error)}</p><p>Nothing was deleted: "
            f"the job folders are as they were.</p>")
        self.recover_button.setText("Try again")
        self.recover_button.setEnabled(True)
        self.quit_button.setEnabled(True)
        self.adjustSize()

    def reject(self) -> None:
        # Escape or the close button while recovering would leave the work
        # half seen: wait for it (it ends on its own, in seconds).
        if not self.is_busy():
            super().reject()


def _run_modal(dialog: RecoveryDialog) -> int:
    return dialog.exec()


def open_store_for_window(path: str | Path | None = None, parent: QWidget | None = None,
                          run_dialog: Callable[[RecoveryDialog], int] = _run_modal
                          ) -> JobStore | None:
    """The store the window shows (maybe read-only), or None when it cannot
    open or the user chose Quit. A damaged file is offered recovery first
    (``run_dialog`` shows the dialog and returns its result: modal by default)."""
    for attempt in range(2):
        try:
            store = open_for_reading(path).store
        except StoreError as exc:
            QMessageBox.critical(parent, "Polyphony cannot start", str(exc))
            return None
        if not store.damage or store.read_only:
            return store  # read-only and damaged: shown as far as it reads, with the banner
        database, damage, jobs_root = store.path, store.damage, store.jobs_root
        store.close()
        if attempt:  # recovered, and still damaged: say so rather than loop
            QMessageBox.critical(parent, "Polyphony cannot start",
                                 f"The job database {database} is still damaged after "
                                 f"recovery ({damage}).")
            return None
        dialog = RecoveryDialog(database, damage, jobs_root, parent)
        accepted = run_dialog(dialog) == QDialog.Accepted
        dialog.deleteLater()
        if not accepted:
            return None
    return None
