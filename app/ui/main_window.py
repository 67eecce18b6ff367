"""The main window: job list on the left, the selected job on the right.

It watches the job store (one integer polled at 4 Hz, then only the new
rows), so it shows jobs trained by its own queue and by the command line
alike. Training runs beside it in a ``TrainingHost`` (a QThread by default,
or a child process), never on the GUI thread.
"""

from __future__ import annotations

import sys

import shiboken6
from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QApplication, QLabel, QMainWindow, QMessageBox, QSplitter,
                               QStyle, QToolBar)

from gan import __version__ as GAN_VERSION

from app.jobs.errors import InvalidTransition, StoreError
from app.jobs.store import JobStore
from app.ui import ui_settings
from app.ui.chart_data import JobSeries
from app.ui.device_probe import DeviceProbe
from app.ui.icons import app_icon, standard
from app.ui.job_detail import JobDetail
from app.ui.job_list import JobListView
from app.ui.new_job_dialog import JobRequest, NewJobDialog
from app.ui.training_host import DEFAULT_MODE, TrainingHost

POLL_MS = 250
CLOSE_STOP, CLOSE_KEEP = "stop", "keep"


class MainWindow(QMainWindow):
    job_created = Signal(int)

    def __init__(self, db_path=None, training_mode: str = DEFAULT_MODE, torch_threads: int = 0):
        super().__init__()
        self.setWindowTitle("Polyphony")
        self.setWindowIcon(app_icon())
        self.store = JobStore(db_path)
        self.store.recover_orphans()
        self.host = TrainingHost(self.store.path, training_mode, torch_threads, self)
        self.host.running_changed.connect(self._on_host_running)
        self.host.failed.connect(self._on_host_failed)
        # None = ask the user on close; tests and the self-test preset an answer.
        self.close_policy: str | None = None
        self._series: dict[int, JobSeries] = {}
        self._jobs: dict[int, object] = {}
        self._selected = 0
        self._last_counter = -1
        self._closed = False

        self.job_list = JobListView()
        self.detail = JobDetail(self.store.path)
        self.detail.charts.overlay_requested.connect(self._on_overlay)
        splitter = QSplitter()
        splitter.addWidget(self.job_list)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        splitter.setSizes([520, 920])
        self.splitter = splitter
        self.setCentralWidget(splitter)
        self.job_list.selected_job_changed.connect(self._on_selected)

        self._make_actions()
        self.status_job = QLabel()
        self.status_queue = QLabel()
        self.statusBar().addPermanentWidget(self.status_job, 1)
        self.statusBar().addPermanentWidget(self.status_queue)

        self.devices = DeviceProbe(self)
        self.devices.found.connect(self._on_devices)
        self._device_list = DeviceProbe.cached()

        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.poll)
        self._restore_settings()
        self.resize(self.size().expandedTo(self.minimumSizeHint()))
        self.refresh()
        self._poll.start()

    # -- actions ----------------------------------------------------------------
    def _action(self, text, slot, shortcut=None, icon=None, tip="") -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(standard(icon))
        if shortcut:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(k) for k in keys])
            tip = f"{tip} ({QKeySequence(keys[0]).toString(QKeySequence.NativeText)})"
        action.setToolTip(tip.strip())
        action.setStatusTip(tip.strip())
        # triggered(bool) would land in the slot's first parameter (e.g. make
        # delete_selected skip its confirmation): call the slot bare.
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        a = self._action
        self.act_new = a("New job…", self.new_job, QKeySequence.New, QStyle.SP_FileIcon,
                         "Set up a training job")
        self.act_start = a("Start queue", self.start_queue, ["Ctrl+Return", "Ctrl+Enter"],
                           QStyle.SP_MediaPlay, "Train the queued jobs one after another")
        self.act_cancel = a("Cancel job", self.cancel_selected, None, QStyle.SP_MediaStop,
                            "Stop the selected job (it can be resumed later)")
        self.act_resume = a("Resume", self.resume_selected, None, QStyle.SP_BrowserReload,
                            "Continue the selected job from its last checkpoint")
        self.act_clone = a("Clone…", self.clone_selected, None, QStyle.SP_FileDialogNewFolder,
                           "A new job with the selected job's settings")
        self.act_delete = a("Delete…", self.delete_selected, QKeySequence.Delete, QStyle.SP_TrashIcon,
                            "Delete the selected job and its files")
        self.act_refresh = a("Refresh", self.refresh, QKeySequence.Refresh, None,
                             "Read the job list again")
        self.act_quit = a("Quit", self.close, QKeySequence.Quit, None, "Close Polyphony")
        self.act_about = a("About Polyphony", self.about, None, None, "")
        toolbar = QToolBar("Jobs")
        toolbar.setObjectName("jobs_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        toolbar.setMovable(False)
        for action in (self.act_new, self.act_start, None, self.act_cancel, self.act_resume,
                       self.act_clone, self.act_delete):
            toolbar.addSeparator() if action is None else toolbar.addAction(action)
        self.addToolBar(toolbar)
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.act_new)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        job_menu = menu.addMenu("&Job")
        for action in (self.act_start, self.act_cancel, self.act_resume, self.act_clone,
                       self.act_delete, None, self.act_refresh):
            job_menu.addSeparator() if action is None else job_menu.addAction(action)
        menu.addMenu("&Help").addAction(self.act_about)
        self.job_list.context_actions = [self.act_cancel, self.act_resume, self.act_clone, None,
                                         self.act_delete]

    # -- watching the store ----------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._device_list is None:
            # After the first paint: the probe's process start costs a few ms.
            QTimer.singleShot(0, self.devices.start)

    def poll(self) -> None:
        try:
            counter = self.store.change_counter()
        except StoreError as exc:
            self.statusBar().showMessage(f"Cannot read the job store: {exc}", 5000)
            return
        if counter != self._last_counter:
            self.refresh()

    def refresh(self) -> None:
        try:
            self._last_counter = self.store.change_counter()
            jobs = self.store.list()
        except StoreError as exc:
            self.statusBar().showMessage(f"Cannot read the job store: {exc}", 5000)
            return
        self._jobs = {j.id: j for j in jobs}
        self.job_list.set_jobs(jobs)
        self.detail.charts.set_overlay_choices([(j.id, j.name) for j in jobs])
        for job_id in list(self._series):
            if job_id not in self._jobs:
                self._series.pop(job_id)
                self.detail.charts.remove_overlay(job_id)
        if not self.job_list.selected_job_id() and jobs and not self._selected:
            self.job_list.select_job(jobs[0].id)
        self._update_selected()
        for job_id in self.detail.charts.overlay_ids():
            self._feed(job_id)
        self._update_actions()
        self._update_status()

    def _series_for(self, job_id: int) -> JobSeries:
        series = self._series.get(job_id)
        if series is None:
            job = self._jobs.get(job_id)
            series = self._series[job_id] = JobSeries(job_id, job.name if job else "")
        return series

    def _feed(self, job_id: int) -> None:
        """Read only what is new for this job since the last look."""
        job = self._jobs.get(job_id)
        if job is None:
            return
        series = self._series_for(job_id)
        series.add_steps(self.store.steps(job_id, after_step=series.last_step))
        if len(series.epoch_rows) != job.epoch or not series.reference:
            epochs = self.store.epochs(job_id)
            series.set_epochs(epochs)
            if epochs or not series.reference:
                metrics, ceiling = self.store.reference(job_id)
                if metrics != series.reference or (ceiling == ceiling and ceiling != series.ceiling):
                    series.set_reference(metrics, ceiling)

    def _update_selected(self) -> None:
        job = self._jobs.get(self._selected)
        if job is None:
            self.detail.charts.set_series(None)
            self.detail.show_job(None)
            return
        try:
            self._feed(job.id)
            self.detail.add_events(self.store.events(job.id, after_id=self.detail.last_event_id()))
            self.detail.set_samples(job, self.store.samples(job.id))
        except StoreError as exc:
            self.statusBar().showMessage(str(exc), 5000)
        self.detail.charts.set_series(self._series_for(job.id))
        self.detail.show_job(job)

    def _on_selected(self, job_id: int) -> None:
        if job_id == self._selected:
            return
        self._selected = job_id
        self.detail.reset_events(job_id)
        self._update_selected()
        self._update_actions()
        self._update_status()

    def _on_overlay(self, job_id: int, shown: bool) -> None:
        if shown:
            self._feed(job_id)
            self.detail.charts.add_overlay(self._series_for(job_id))
        else:
            self.detail.charts.remove_overlay(job_id)

    def _update_actions(self) -> None:
        job = self._jobs.get(self._selected)
        status = job.status if job else ""
        self.act_cancel.setEnabled(status in ("queued", "running"))
        self.act_resume.setEnabled(status in ("interrupted", "failed", "cancelled"))
        self.act_clone.setEnabled(job is not None)
        self.act_delete.setEnabled(job is not None and status != "running")
        queued = any(j.status == "queued" for j in self._jobs.values())
        self.act_start.setEnabled(queued and not self.host.is_running())

    def _update_status(self) -> None:
        running = [j for j in self._jobs.values() if j.status == "running"]
        queued = sum(1 for j in self._jobs.values() if j.status == "queued")
        shown = running[0] if running else self._jobs.get(self._selected)
        text = self.detail.status_text(shown)
        if shown is not None:
            text = f"#{shown.id} {shown.name} ({shown.status}):  {text}"
        self.status_job.setText(text)
        if self.host.is_running():
            queue = f"Queue running, {queued} waiting"
        elif queued:
            queue = f"{queued} queued: press Start queue (Ctrl+Enter)"
        else:
            queue = "Queue idle"
        self.status_queue.setText(queue)

    # -- training host --------------------------------------------------------
    def _on_host_running(self, running: bool) -> None:
        self._update_actions()
        self._update_status()
        if not running:
            self.refresh()

    def _on_host_failed(self, message: str) -> None:
        QMessageBox.warning(self, "Training stopped", f"The training queue stopped: {message}")

    def start_queue(self) -> bool:
        if self.host.is_running():
            return False
        if self.host.mode == "thread" and "torch" not in sys.modules:
            # Importing torch holds the GIL for most of a second; do it here,
            # announced, rather than as an unexplained freeze mid-training.
            self.statusBar().showMessage("Loading the training engine…")
            QApplication.processEvents()
            import torch  # noqa: F401
            self.statusBar().clearMessage()
        started = self.host.start()
        self._update_actions()
        self._update_status()
        return started

    # -- job actions ------------------------------------------------------------
    def _on_devices(self, devices: list, error: str) -> None:
        self._device_list = devices
        dialog = getattr(self, "_dialog", None)
        # The dialog deletes itself on close; only an open one is updated.
        if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible():
            dialog.set_devices(devices, error)

    def make_new_job_dialog(self, clone_of=None) -> NewJobDialog:
        config, tags, mode, preset = ui_settings.load_last_job()
        name = ""
        if clone_of is not None:
            config, tags, mode, preset = clone_of.config, clone_of.tags, clone_of.tag_mode, None
            name = f"{clone_of.name} (again)"
        dialog = NewJobDialog(self, history=list(self._jobs.values()), devices=self._device_list,
                              initial=config, tags=tags, tag_mode=mode, name=name,
                              preset_name=preset)
        self._dialog = dialog
        dialog.finished.connect(lambda _r: setattr(self, "_dialog", None))
        return dialog

    def new_job(self, clone_of=None) -> None:
        dialog = self.make_new_job_dialog(clone_of)
        dialog.accepted.connect(lambda: self.submit(dialog.request,
                                                    dialog.preset_combo.currentData()))
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()

    def submit(self, request: JobRequest, preset: str = "custom") -> int:
        """Create the job from a filled-in New Job dialog (and start it)."""
        try:
            job_id = self.store.create(request.name, request.config, request.tags, request.tag_mode)
            if request.start_now:
                self.store.move(job_id, 0)
        except (StoreError, ValueError) as exc:
            QMessageBox.warning(self, "Could not create the job", str(exc))
            return 0
        ui_settings.save_last_job(request.config, request.tags, request.tag_mode, preset)
        self.refresh()
        self.job_list.select_job(job_id)
        if request.start_now:
            if not self.start_queue():
                self.statusBar().showMessage(
                    f"Job #{job_id} is next: it starts when the current job ends.", 8000)
        else:
            self.statusBar().showMessage(f"Job #{job_id} added to the queue.", 8000)
        self.job_created.emit(job_id)
        return job_id

    def selected_job(self):
        return self._jobs.get(self._selected)

    def cancel_selected(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        try:
            self.store.cancel(job.id)
        except (InvalidTransition, StoreError) as exc:
            QMessageBox.information(self, "Cancel", str(exc))
            return
        self.statusBar().showMessage(
            f"Stopping job #{job.id} after the current step…" if job.status == "running"
            else f"Job #{job.id} cancelled.", 6000)
        self.refresh()

    def resume_selected(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        try:
            self.store.resume(job.id)
        except (InvalidTransition, StoreError) as exc:
            QMessageBox.information(self, "Resume", str(exc))
            return
        self.refresh()
        self.start_queue()

    def clone_selected(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.new_job(clone_of=job)

    def delete_selected(self, confirm: bool = True) -> bool:
        job = self.selected_job()
        if job is None:
            return False
        if job.status == "running":
            QMessageBox.information(self, "Delete", "This job is training: cancel it first.")
            return False
        if confirm:
            answer = QMessageBox.question(
                self, "Delete job",
                f"Delete job #{job.id} “{job.name}” with its checkpoints and pieces?\n"
                "This cannot be undone.", QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
            if answer != QMessageBox.Yes:
                return False
        try:
            self.store.delete(job.id)
        except (InvalidTransition, StoreError) as exc:
            QMessageBox.warning(self, "Delete", str(exc))
            return False
        self._selected = 0
        self.refresh()
        return True

    def about(self) -> None:
        QMessageBox.about(
            self, "About Polyphony",
            f"<h3>Polyphony {GAN_VERSION}</h3>"
            "<p>A desktop studio for training music GANs on your own machine and "
            "listening to them learn.</p>"
            "<p><b>Charts:</b> the composer (generator) and the critic play against each "
            "other; their losses should settle rather than shrink to zero. The "
            "<b>similarity index</b> (0 to 1) says how close the generated pieces are to "
            "the training music by eight music measures; the dashed line is what real "
            "music scores against itself.</p>"
            "<p>Built-in music from the music21 corpus (Bach chorales, string quartets).</p>")

    # -- closing ----------------------------------------------------------------
    def closeEvent(self, event) -> None:
        if self._closed:
            event.accept()
            return
        policy = self.close_policy
        if self.host.is_running() and policy is None:
            box = QMessageBox(self)
            box.setWindowTitle("A job is training")
            box.setText("A job is training. Stop it, or keep it queued so it continues "
                        "(from its last checkpoint) next time you press Start queue?")
            stop = box.addButton("Stop the job", QMessageBox.DestructiveRole)
            keep = box.addButton("Keep it queued for next time", QMessageBox.AcceptRole)
            box.addButton("Don't close", QMessageBox.RejectRole)
            box.exec()
            clicked = box.clickedButton()
            if clicked is stop:
                policy = CLOSE_STOP
            elif clicked is keep:
                policy = CLOSE_KEEP
            else:
                event.ignore()
                return
        self.shutdown(policy or CLOSE_STOP)
        event.accept()

    def shutdown(self, policy: str = CLOSE_STOP) -> None:
        """Stop training cleanly, remember the layout, release everything."""
        if self._closed:
            return
        self._closed = True
        current = self.host.current_job()
        if self.host.is_running():
            self.statusBar().showMessage("Stopping the training after the current step…")
            QApplication.processEvents()
        self.host.stop()
        if policy == CLOSE_KEEP and current:
            try:
                if self.store.get(current).status in ("cancelled", "interrupted"):
                    self.store.resume(current)
                    self.store.move(current, 0)
                    self.store.add_event(current, "Kept in the queue when the window closed")
            except (InvalidTransition, StoreError):
                pass
        self._save_settings()
        self.statusBar().clearMessage()  # its timeout timer would outlive us
        self._poll.stop()
        self.detail.shutdown()
        self.devices.stop()
        self.store.close()

    # -- settings ---------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = ui_settings.settings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        # restoreGeometry clamps to the current screen's idea of itself (tiny
        # on a headless platform): the plain size is kept too.
        size = s.value("window/size")
        if isinstance(size, QSize) and size.isValid():
            self.resize(size)
        elif not isinstance(geometry, QByteArray) or geometry.isEmpty():
            self.resize(1440, 860)
        state = s.value("window/splitter")
        if isinstance(state, QByteArray):
            self.splitter.restoreState(state)
        self.detail.setCurrentIndex(int(s.value("window/detail_tab", 0)))
        x_axis = s.value("charts/x_axis", "step")
        if x_axis in ("step", "epoch", "time"):
            self.detail.charts.set_x_axis(x_axis)
        try:
            self.detail.charts.set_smoothing(float(s.value("charts/smoothing", 0.6)))
        except (TypeError, ValueError):
            pass

    def _save_settings(self) -> None:
        s = ui_settings.settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/size", self.size())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue("window/detail_tab", self.detail.currentIndex())
        s.setValue("charts/x_axis", self.detail.charts.x_axis())
        s.setValue("charts/smoothing", self.detail.charts.smoothing())
        s.sync()
