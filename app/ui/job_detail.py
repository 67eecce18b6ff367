"""The selected job: its settings, live charts, samples and events log.

Fed by the window (which reads the store); nothing in here touches SQL.
The Samples tab embeds the audio module's ``ListenPanel`` when it is
installed and otherwise lists the MIDI files with a way to open them.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QTextCursor
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QPlainTextEdit, QPushButton,
                               QTableWidget, QTableWidgetItem, QTabWidget, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from gan.config import SPECS

from app.estimate import format_duration
from app.jobs.disk import disk_use, format_bytes
from app.ui.charts import ChartsPanel
from app.ui.config_form import format_value

try:  # the audio helper's panel; absent in builds without it
    from app.ui.listen import ListenPanel, SampleItem  # type: ignore[attr-defined]
except Exception:  # ImportError, or OSError from a broken libfluidsynth
    ListenPanel = None
    SampleItem = None


def _when(ts) -> str:
    if not ts:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


class SettingsView(QTableWidget):
    def __init__(self, parent=None):
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["Setting", "Value"])
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeToContents)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.setEditTriggers(QTableWidget.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self._disk: tuple[tuple, tuple[str, str]] | None = None

    def forget_disk_use(self) -> None:
        """Files were deleted: read the folder sizes again at the next show."""
        self._disk = None

    def _disk_text(self, job) -> tuple[str, str]:
        """The job folder's size, read again only when the job moved on."""
        key = (job.id, job.epoch, job.status, str(job.job_dir))
        if self._disk is None or self._disk[0] != key:
            use = disk_use(job)
            self._disk = (key, (f"{format_bytes(use.total)} (checkpoints {format_bytes(use.checkpoints)}, "
                                f"samples {format_bytes(use.samples)})",
                                "Job > Free disk space… deletes the checkpoints of finished jobs "
                                "except each job's latest and best."))
        return self._disk[1]

    def show_job(self, job) -> None:
        if job is None:
            self.setRowCount(0)
            return
        rows = [
            ("Status", job.status + (f": {job.error}" if job.error else ""), ""),
            ("Tags", (", ".join(job.tags) or "all music") + f" ({job.tag_mode})", ""),
            ("Progress", f"epoch {job.epoch}/{job.total_epochs}, step {job.step}/{job.total_steps}", ""),
            ("Best similarity", "—" if job.best_similarity is None else
             f"{job.best_similarity:.3f} (epoch {job.best_epoch})", ""),
            ("Device", job.device or "—", ""),
            ("Created", _when(job.created), ""),
            ("Started", _when(job.started), ""),
            ("Finished", _when(job.finished), ""),
            ("Folder", str(job.job_dir), ""),
            ("Disk use", *self._disk_text(job)),
        ]
        rows += [(name, format_value(getattr(job.config, name)), SPECS[name].help)
                 for name in SPECS]
        self.setRowCount(len(rows))
        for i, (key, value, tip) in enumerate(rows):
            k, v = QTableWidgetItem(key), QTableWidgetItem(value)
            for item in (k, v):
                item.setToolTip(tip or value)
            self.setItem(i, 0, k)
            self.setItem(i, 1, v)


class SampleList(QWidget):
    """Fallback when the audio module is absent: the MIDI files by epoch."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.note = QLabel("Listening arrives with the audio module; meanwhile the pieces are "
                           "MIDI files you can open in any player (double-click).")
        self.note.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Epoch", "Piece", "File"])
        self.tree.itemDoubleClicked.connect(self._open)
        self.folder_button = QPushButton("Open samples folder")
        self.folder_button.clicked.connect(self._open_folder)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.tree, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.folder_button)
        layout.addLayout(row)
        self._folder = None

    def set_samples(self, job, rows) -> None:
        self._folder = Path(rows[-1].path).parent if rows else (job.job_dir if job else None)
        self.tree.clear()
        for r in rows:
            item = QTreeWidgetItem([str(r.epoch), str(r.index + 1), Path(r.path).name])
            item.setData(0, Qt.UserRole, r.path)
            self.tree.addTopLevelItem(item)

    def _open(self, item) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(item.data(0, Qt.UserRole)))

    def _open_folder(self) -> None:
        if self._folder:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._folder)))


class JobDetail(QTabWidget):
    def __init__(self, store_path=None, parent=None):
        super().__init__(parent)
        self._store_path = store_path
        self._job_id: int | None = None
        self.charts = ChartsPanel()
        self.settings_view = SettingsView()
        if ListenPanel is not None:
            self.listen = ListenPanel()
            # "Hear it learn": the charts' cursor follows the epoch being played
            self.listen.tour.epochHeard.connect(self.charts.set_cursor_epoch)
            self.samples_fallback = None
        else:
            self.listen = None
            self.samples_fallback = SampleList()
        self.events_view = QPlainTextEdit()
        self.events_view.setReadOnly(True)
        self.events_view.setMaximumBlockCount(20000)
        self.addTab(self.charts, "Charts")
        self.addTab(self.settings_view, "Settings")
        self.addTab(self.listen or self.samples_fallback, "Samples")
        self.addTab(self.events_view, "Events")
        # The Compose tab is built the first time it is shown: it loads an
        # audio player of its own, which the window does not need at start-up.
        self.compose = None
        self._compose_holder = QWidget()
        QVBoxLayout(self._compose_holder).setContentsMargins(0, 0, 0, 0)
        self._compose_index = self.addTab(self._compose_holder, "Compose")
        self.setTabToolTip(self._compose_index, "Use a trained model: accompany a melody "
                           "(U-Net jobs) or write new pieces (MuseGAN jobs)")
        self.currentChanged.connect(self._on_tab_changed)
        self._events_job = 0
        self._last_event = 0
        self._sample_key = None

    def show_job(self, job) -> None:
        self.settings_view.show_job(job)
        job_id = job.id if job is not None else None
        if job_id != self._job_id:
            self._job_id = job_id
            if self.compose is not None and job_id is not None:
                self.compose.set_job(job_id)

    def show_compose(self):
        """Switch to the Compose tab (building it the first time); returns its panel."""
        self.setCurrentIndex(self._compose_index)
        return self.compose

    def _on_tab_changed(self, index: int) -> None:
        if index != self._compose_index or self.compose is not None:
            return
        from app.ui.compose import ComposePanel

        self.compose = ComposePanel(self._store_path)
        self._compose_holder.layout().addWidget(self.compose)
        if self._job_id is not None:
            self.compose.set_job(self._job_id)

    def set_samples(self, job, rows) -> None:
        key = (job.id if job else 0, len(rows))
        if key == self._sample_key:
            return
        self._sample_key = key
        if self.listen is not None:
            items = [SampleItem(f"epoch {r.epoch} · piece {r.index + 1}", Path(r.path), r.epoch,
                                job.id, "generated", job_name=job.name, piece=r.index + 1)
                     for r in rows]
            self.listen.set_sources(items)
            if job is not None and job.status == "running":
                self.listen.follow_running(job.id)
        else:
            self.samples_fallback.set_samples(job, rows)

    def reset_events(self, job_id: int) -> None:
        self._events_job = job_id
        self._last_event = 0
        self.events_view.clear()

    def last_event_id(self) -> int:
        return self._last_event

    def add_events(self, rows) -> None:
        if not rows:
            return
        lines = []
        for r in rows:
            level = "" if r.level == "info" else f"[{r.level.upper()}] "
            lines.append(f"{time.strftime('%H:%M:%S', time.localtime(r.time))}  {level}{r.message}")
            self._last_event = max(self._last_event, r.id)
        self.events_view.appendPlainText("\n".join(lines))
        self.events_view.moveCursor(QTextCursor.End)

    def shutdown(self) -> None:
        self.charts.stop()
        if self.listen is not None and hasattr(self.listen, "shutdown"):
            self.listen.shutdown()
        if self.compose is not None:
            self.compose.shutdown()

    def status_text(self, job) -> str:
        if job is None:
            return ""
        parts = [job.device or "device —"]
        if job.steps_per_second:
            parts.append(f"{job.steps_per_second:.1f} steps/s")
        parts.append(f"epoch {job.epoch}/{job.total_epochs}")
        if job.status == "running":
            parts.append(f"ETA {format_duration(job.eta_seconds)}")
        return "  ·  ".join(parts)
