"""What the window does to jobs: create one from the New Job dialog, and
cancel, resume, clone or delete the selected one.

Each command asks the store (``app.jobs``) and reports a refusal in a
message box; the window's job list follows by watching the store. Used by
``MainWindow`` through its public methods only (``store``, ``refresh``,
``selected_job``, ``clear_selection``, ``start_queue``, ``show_message``, ``job_list``).
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from gan.config import DEFAULT_PRESET

from app.jobs.errors import InvalidTransition, StoreError
from app.jobs.submit import JobRequest, submit
from app.ui.new_job_dialog import FIRST_JOB_TAGS, NewJobDialog


class JobActions:
    def __init__(self, window) -> None:
        self.window = window
        self.devices: list | None = None  # the device probe's answer, once known
        self._dialog: NewJobDialog | None = None

    # -- New Job ----------------------------------------------------------------
    def open_dialog(self) -> NewJobDialog | None:
        """The New Job dialog on screen (or just made), else None."""
        dialog = self._dialog
        return dialog if dialog is not None and shiboken6.isValid(dialog) else None

    def set_devices(self, devices: list, error: str) -> None:
        self.devices = devices
        dialog = self.open_dialog()
        # The dialog deletes itself on close; only an open one is updated.
        if dialog is not None and dialog.isVisible():
            dialog.set_devices(devices, error)

    def make_dialog(self, clone_of=None) -> NewJobDialog:
        """A New Job dialog on the ``quick`` preset and chorales, or with
        ``clone_of``'s settings: the last job's settings are never reused
        silently (Clone is the way to reuse them)."""
        config, tags, mode, preset, name = None, list(FIRST_JOB_TAGS), "any", DEFAULT_PRESET, ""
        if clone_of is not None:
            config, tags, mode, preset = clone_of.config, clone_of.tags, clone_of.tag_mode, None
            name = f"{clone_of.name} (again)"
        dialog = NewJobDialog(self.window, history=list(self.window.watcher.jobs.values()),
                              devices=self.devices, initial=config, tags=tags, tag_mode=mode,
                              name=name, preset_name=preset)
        self._dialog = dialog
        dialog.finished.connect(self._forget_dialog)
        return dialog

    def _forget_dialog(self, _result: int = 0) -> None:
        self._dialog = None

    def new_job(self, clone_of=None) -> None:
        dialog = self.make_dialog(clone_of)
        dialog.accepted.connect(lambda: self.submit(dialog.request))
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()

    def submit(self, request: JobRequest) -> int:
        """Create the job from a filled-in New Job dialog (and start it)."""
        window = self.window
        try:
            job_id = submit(window.store, request)
        except (StoreError, ValueError) as exc:
            QMessageBox.warning(window, "Could not create the job", str(exc))
            return 0
        window.refresh()
        window.job_list.select_job(job_id)
        if request.start_now:
            if not window.start_queue():
                window.show_message(f"Job #{job_id} is next: it starts when the current job ends.", 8000)
        else:
            window.show_message(f"Job #{job_id} added to the queue.", 8000)
        window.job_created.emit(job_id)
        return job_id

    # -- the selected job ------------------------------------------------------------
    def _on_selected(self, title: str, change) -> object | None:
        """``change(job_id)`` on the selected job; the job, or None when there
        is none or the store refused (the reason goes to a message box)."""
        job = self.window.selected_job()
        if job is None:
            return None
        try:
            change(job.id)
        except (InvalidTransition, StoreError) as exc:
            QMessageBox.information(self.window, title, str(exc))
            return None
        return job

    def cancel(self) -> None:
        window = self.window
        job = self._on_selected("Cancel", window.store.cancel)
        if job is None:
            return
        window.show_message(f"Stopping job #{job.id} after the current step…" if job.status == "running"
                            else f"Job #{job.id} cancelled.", 6000)
        window.refresh()

    def resume(self) -> None:
        if self._on_selected("Resume", self.window.store.resume) is not None:
            self.window.refresh()
            self.window.start_queue()

    def clone(self) -> None:
        job = self.window.selected_job()
        if job is not None:
            self.new_job(clone_of=job)

    def delete(self, confirm: bool = True) -> bool:
        window, job = self.window, self.window.selected_job()
        if job is None:
            return False
        if job.status == "running":
            QMessageBox.information(window, "Delete", "This job is training: cancel it first.")
            return False
        if confirm:
            answer = QMessageBox.question(
                window, "Delete job",
                f"Delete job #{job.id} “{job.name}” with its checkpoints and pieces?\n"
                "This cannot be undone.", QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
            if answer != QMessageBox.Yes:
                return False
        try:
            window.store.delete(job.id)
        except (InvalidTransition, StoreError) as exc:
            QMessageBox.warning(window, "Delete", str(exc))
            return False
        window.clear_selection()
        window.refresh()
        return True
