"""The main window: job list on the left, the selected job on the right.

It watches the job store through ``app.jobs.watcher.JobWatcher`` (one
integer polled at 4 Hz, then only the new rows), so it shows jobs trained
by its own queue and by the command line alike. Training runs beside it in
a ``TrainingHost`` (a worker thread by default, or a child process), never
on the GUI thread. The pieces it is made of:

- ``window_actions``: actions, toolbar and menus
- ``job_actions``: New Job, cancel, resume, clone, delete
- ``queue_control``: loading torch for the queue, the close question
- ``window_settings``: geometry and chart options between runs
- ``midi_import``: MIDI files or folders dropped on the window are imported
  under a genre the user names (progress, Stop, report)
- ``store_notices``: job folders no row names (adopt them), a read-only data folder
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (QApplication, QLabel, QMainWindow, QMessageBox, QSplitter,
                               QStackedWidget, QVBoxLayout, QWidget)

from gan import __version__ as GAN_VERSION

from app.jobs.errors import StoreError
from app.jobs.series import JobSeries
from app.jobs.store import JobStore
from app.jobs.submit import JobRequest
from app.jobs.watcher import JobWatcher
from app.music.dropped import suggested_genre
from app.ui.device_probe import DeviceProbe
from app.ui.drops import music_to_import
from app.ui.icons import app_icon
from app.ui.job_actions import JobActions
from app.ui.job_detail import JobDetail
from app.ui.job_list import JobListView
from app.ui.midi_import import MidiImport, ask_genre
from app.ui.new_job_dialog import NewJobDialog
from app.ui.queue_control import (CLOSE_KEEP, CLOSE_STOP, ask_close_policy, keep_queued,
                                  load_training_engine)
from app.ui.store_notices import AdoptBar, FolderAdoption, ReadOnlyBanner
from app.ui.training_host import DEFAULT_MODE, TrainingHost
from app.ui.window_actions import build_actions
from app.ui.welcome import WelcomePage, first_job_request
from app.ui.window_settings import restore_window, save_window

__all__ = ["CLOSE_KEEP", "CLOSE_STOP", "MainWindow"]

POLL_MS = 250


class MainWindow(QMainWindow):
    job_created = Signal(int)

    def __init__(self, db_path=None, training_mode: str = DEFAULT_MODE, torch_threads: int = 0,
                 store: JobStore | None = None):
        """``store``: one opened already (recovery_dialog.open_store_for_window),
        maybe read-only: then the window only shows, under a banner."""
        super().__init__()
        self.store = store if store is not None else JobStore(db_path)
        self.setWindowTitle("Polyphony (read-only)" if self.store.read_only else "Polyphony")
        self.setWindowIcon(app_icon())
        if not self.store.read_only:
            self.store.recover_orphans()
        self.watcher = JobWatcher(self.store)
        self.host = TrainingHost(self.store.path, training_mode, torch_threads, self)
        self.host.running_changed.connect(self._on_host_running)
        self.host.failed.connect(self._on_host_failed)
        # None = ask the user on close; tests and the self-test preset an answer.
        self.close_policy: str | None = None
        self._selected = 0
        self._closed = False
        self._build()
        self.jobs = JobActions(self)
        self.adoption = FolderAdoption(self.store, self.adopt_bar, self)
        self.adoption.adopted.connect(lambda _report: self.refresh())
        self.jobs.devices = DeviceProbe.cached()
        if self.jobs.devices:
            self.welcome.set_devices(self.jobs.devices, [])
        self.devices = DeviceProbe(self)
        self.devices.found.connect(self.jobs.set_devices)
        self.devices.found.connect(lambda found, _error: self.welcome.set_devices(
            found, list(self.watcher.jobs.values())))
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.poll)
        self.importer = MidiImport(self)
        self._import_genre = ""
        self.importer.finished_report.connect(self._on_import_report)
        self.setAcceptDrops(True)
        restore_window(self)
        self.resize(self.size().expandedTo(self.minimumSizeHint()))
        self.refresh()
        self.adoption.check()  # job folders no row names: offered, never forced
        self._poll.start()

    def _build(self) -> None:
        self.job_list = JobListView()
        self.detail = JobDetail(self.store.path)
        self.detail.charts.overlay_requested.connect(self.overlay)
        splitter = QSplitter()
        # Before the first job the right side says what to do (welcome.py).
        self.welcome = WelcomePage()
        self.welcome.first_job_requested.connect(self.start_first_job)
        self.welcome.new_job_requested.connect(lambda: self.new_job())
        self.right = QStackedWidget()
        self.right.addWidget(self.welcome)
        self.right.addWidget(self.detail)
        self.adopt_bar = AdoptBar()
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.adopt_bar)
        column.addWidget(self.job_list, 1)
        splitter.addWidget(left)
        splitter.addWidget(self.right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        splitter.setSizes([520, 920])
        self.splitter = splitter
        self.read_only_banner = ReadOnlyBanner(self.store) if self.store.read_only else None
        central = QWidget()
        rows = QVBoxLayout(central)
        rows.setContentsMargins(0, 0, 0, 0)
        if self.read_only_banner is not None:
            rows.addWidget(self.read_only_banner)
            self.welcome.set_read_only()
            compose = [i for i in range(self.detail.count()) if self.detail.tabText(i) == "Compose"]
            for index in compose:  # composing writes takes into the data folder
                self.detail.setTabEnabled(index, False)
        rows.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self.job_list.selected_job_changed.connect(self._on_selected)
        listen = self.detail.listen
        if listen is not None:  # exports and sound problems are confirmed in the status bar
            listen.exported.connect(lambda path: self.show_message(f"Exported {path}", 10000))
            listen.errorOccurred.connect(lambda message: self.show_message(message, 10000))
        self.commands = build_actions(self)
        self.status_job = QLabel()
        self.status_queue = QLabel()
        self.statusBar().addPermanentWidget(self.status_job, 1)
        self.statusBar().addPermanentWidget(self.status_queue)

    # -- small public helpers (also what tests drive) ----------------------------------
    def selected_job(self):
        return self.watcher.job(self._selected)

    def select_job(self, job_id: int) -> None:
        self.job_list.select_job(job_id)

    def clear_selection(self) -> None:
        self._selected = 0

    def series(self, job_id: int) -> JobSeries | None:
        """The chart series the window holds for this job (None: never shown)."""
        return self.watcher.series(job_id) if self.watcher.has_series(job_id) else None

    def new_job_dialog(self) -> NewJobDialog | None:
        """The New Job dialog on screen, if any."""
        return self.jobs.open_dialog()

    def device_list(self) -> list | None:
        """The training devices found (None while the check runs)."""
        return self.jobs.devices

    def show_message(self, text: str, ms: int = 0) -> None:
        self.statusBar().showMessage(text, ms)

    def adopt_folders(self, confirm: bool = True):
        """Job > Adopt job folders…: the worker adopting them, or None (none
        found, or the user said no). The adopt bar offers the same."""
        return self.adoption.ask_and_adopt(confirm)

    # -- dropped music ------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if music_to_import(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = music_to_import(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.import_music(paths)

    def import_music(self, paths: list, genre: str | None = None):
        """Import MIDI files and folders under a genre (asked when not given);
        the import's worker, or None when the user cancelled."""
        if self.store.read_only:
            self.show_message("The data folder is read-only: music cannot be imported here.", 8000)
            return None
        if self.importer.worker is not None and self.importer.worker.is_running():
            self.show_message("An import is running: drop the next one when it has finished.", 8000)
            return None
        genre = genre or ask_genre(self, suggested_genre([Path(p) for p in paths]))
        if not genre:
            return None
        self._import_genre = genre
        self.show_message(f"Importing {len(paths)} dropped item(s) as genre {genre}…")
        return self.importer.start(paths, genre)

    def _on_import_report(self, text: str, imported: bool) -> None:
        first = text.splitlines()[0] if text else ""
        if imported:
            first += f" Tick genre {self._import_genre} in New job to train on it."
        self.show_message(first, 15000)

    # -- watching the store -------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.jobs.devices is None:
            # After the first paint: the probe's process start costs a few ms.
            QTimer.singleShot(0, self.devices.start)

    def poll(self) -> None:
        try:
            changed = self.watcher.changed()
        except StoreError as exc:
            self.show_message(f"Cannot read the job store: {exc}", 5000)
            return
        if changed:
            self.refresh()

    def refresh(self) -> None:
        try:
            jobs, gone = self.watcher.refresh()
        except StoreError as exc:
            self.show_message(f"Cannot read the job store: {exc}", 5000)
            return
        self.job_list.set_jobs(jobs)
        self.right.setCurrentWidget(self.detail if jobs else self.welcome)
        charts = self.detail.charts
        charts.set_overlay_choices([(j.id, j.name) for j in jobs])
        for job_id in gone:
            charts.remove_overlay(job_id)
        if not self.job_list.selected_job_id() and jobs and not self._selected:
            self.job_list.select_job(jobs[0].id)
        self._update_selected()
        for job_id in charts.overlay_ids():
            self.watcher.feed(job_id)
        self._update_actions()
        self._update_status()

    def _update_selected(self) -> None:
        job = self.watcher.job(self._selected)
        if job is None:
            self.detail.charts.set_series(None)
            self.detail.show_job(None)
            return
        try:
            self.watcher.feed(job.id)
            self.detail.add_events(self.watcher.events_after(job.id, self.detail.last_event_id()))
            self.detail.set_samples(job, self.watcher.samples(job.id))
        except StoreError as exc:
            self.show_message(str(exc), 5000)
        self.detail.charts.set_series(self.watcher.series(job.id))
        self.detail.show_job(job)

    def _on_selected(self, job_id: int) -> None:
        if job_id == self._selected:
            return
        self._selected = job_id
        self.detail.reset_events(job_id)
        self._update_selected()
        self._update_actions()
        self._update_status()

    def overlay(self, job_id: int, shown: bool = True) -> None:
        """Draw (or stop drawing) another job's curves over the selected job's."""
        if shown:
            self.watcher.feed(job_id)
            self.detail.charts.add_overlay(self.watcher.series(job_id))
        else:
            self.detail.charts.remove_overlay(job_id)

    def _update_actions(self) -> None:
        job = self.selected_job()
        self.commands.update(job.status if job else "", job is not None,
                             self.watcher.queued_count() > 0, self.host.is_running(),
                             writable=not self.store.read_only)

    def _update_status(self) -> None:
        running = self.watcher.running()
        queued = self.watcher.queued_count()
        shown = running[0] if running else self.selected_job()
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

    # -- the training queue -------------------------------------------------------------
    def start_queue(self) -> bool:
        if self.host.is_running():
            return False
        if self.host.mode == "thread":
            load_training_engine(self.statusBar())
        started = self.host.start()
        self._update_actions()
        self._update_status()
        return started

    def _on_host_running(self, running: bool) -> None:
        self._update_actions()
        self._update_status()
        if not running:
            self.refresh()

    def _on_host_failed(self, message: str) -> None:
        QMessageBox.warning(self, "Training stopped", f"The training queue stopped: {message}")

    # -- job commands (see job_actions) -------------------------------------------------
    def make_new_job_dialog(self, clone_of=None) -> NewJobDialog:
        return self.jobs.make_dialog(clone_of)

    def new_job(self, clone_of=None) -> None:
        self.jobs.new_job(clone_of)

    def submit(self, request: JobRequest) -> int:
        return self.jobs.submit(request)

    def start_first_job(self) -> int:
        """The welcome page's one click: the chorales on the quick preset, started."""
        return self.submit(first_job_request())

    def cancel_selected(self) -> None:
        self.jobs.cancel()

    def resume_selected(self) -> None:
        self.jobs.resume()

    def clone_selected(self) -> None:
        self.jobs.clone()

    def delete_selected(self, confirm: bool = True) -> bool:
        return self.jobs.delete(confirm)

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

    # -- closing ------------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        if self._closed:
            event.accept()
            return
        policy = self.close_policy
        if self.host.is_running() and policy is None:
            policy = ask_close_policy(self)
            if policy is None:
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
            self.show_message("Stopping the training after the current step…")
            QApplication.processEvents()
        self.host.stop()
        if policy == CLOSE_KEEP and current:
            keep_queued(self.store, current)
        save_window(self)
        self.statusBar().clearMessage()  # its timeout timer would outlive us
        self._poll.stop()
        self.importer.wait(60000)
        self.adoption.wait(60)
        self.detail.shutdown()
        self.devices.stop()
        self.store.close()
