"""The job list: name, genre tags, status with icon, progress, similarity.

Like the hosted console's job table: one row per job, newest first, queued
jobs showing their place in the queue. The model is refreshed from plain
``Job`` records (it never touches the database itself).

It fits whatever width the window gives it: names elide in the middle (the
job number and the end of the name stay: "#1 Chorales…wider"), and when the
pane is narrow the less needed columns step aside (genre tags first, then
similarity, then progress); the name's tooltip says everything.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QHeaderView, QMenu,
                               QStyle, QStyledItemDelegate, QStyleOptionProgressBar,
                               QTableView, QWidget)

from app.ui.icons import status_icon
from app.ui.theme import status_color

COLUMNS = ("Name", "Genre tags", "Status", "Progress", "Similarity")
NAME, TAGS, STATUS, PROGRESS, SIMILARITY = range(len(COLUMNS))
COLUMN_WIDTHS = {TAGS: 100, STATUS: 104, PROGRESS: 72, SIMILARITY: 64}
DROP_ORDER = (TAGS, SIMILARITY, PROGRESS)  # hidden in this order when the pane is narrow
NAME_MIN_WIDTH = 120
STATUS_TIPS = {
    "queued": "Waiting for its turn in the queue.",
    "running": "Training now.",
    "completed": "Finished every epoch.",
    "failed": "Stopped by an error (see Events). It can be resumed from its last checkpoint.",
    "cancelled": "Stopped by you. It can be resumed from its last checkpoint.",
    "interrupted": "The app closed while it trained. It can be resumed from its last checkpoint.",
}
STATUS_COLORS = {"running": QColor(31, 119, 180), "completed": QColor(44, 140, 44),
                 "failed": QColor(200, 40, 40), "cancelled": QColor(120, 120, 120),
                 "interrupted": QColor(190, 120, 0), "queued": QColor(90, 90, 90)}


def tag_label(tag: str) -> str:
    """'genre=chorale' -> 'chorale' (the key is noise in a narrow column)."""
    return tag.split("=", 1)[1] if "=" in tag else tag


class JobTableModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._jobs: list = []

    def set_jobs(self, jobs: list) -> None:
        """Replace the rows; keeps row identity stable when only values change."""
        old_ids = [j.id for j in self._jobs]
        new_ids = [j.id for j in jobs]
        if old_ids == new_ids:
            self._jobs = list(jobs)
            if jobs:
                self.dataChanged.emit(self.index(0, 0),
                                      self.index(len(jobs) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self._jobs = list(jobs)
        self.endResetModel()

    def job_at(self, row: int):
        return self._jobs[row] if 0 <= row < len(self._jobs) else None

    def row_of(self, job_id: int) -> int:
        for i, job in enumerate(self._jobs):
            if job.id == job_id:
                return i
        return -1

    def jobs(self) -> list:
        return list(self._jobs)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        job = self.job_at(index.row())
        if job is None:
            return None
        col = index.column()
        if role == Qt.DisplayRole:
            if col == 0:
                return f"#{job.id}  {job.name}"
            if col == 1:
                return ", ".join(tag_label(t) for t in job.tags) or "all music"
            if col == 2:
                if job.status == "queued" and job.queue_position >= 0:
                    return f"queued ({job.queue_position + 1})"
                return job.status
            if col == 3:
                return f"{job.progress * 100:.0f}%"
            if col == 4:
                return "—" if job.similarity is None else f"{job.similarity:.2f}"
        if role == Qt.UserRole and col == 3:
            return job.progress
        if role == Qt.DecorationRole and col == 2:
            return status_icon(job.status)
        if role == Qt.ForegroundRole and col == 2:
            return status_color(job.status)  # lighter on a dark palette
        if role == Qt.ToolTipRole:
            if col == 2:
                tip = STATUS_TIPS.get(job.status, job.status)
                return tip + (f"\n{job.error}" if job.error else "")
            if col == 4:
                return ("Similarity index of the latest epoch: how close the generated "
                        "pieces are to the training music by the music metrics (1 = alike)."
                        + (f"\nBest: {job.best_similarity:.2f} at epoch {job.best_epoch}"
                           if job.best_similarity is not None else ""))
            if col == 1:
                return f"Tags ({job.tag_mode}): " + (", ".join(job.tags) or "all music")
            if col == 3:
                return f"epoch {job.epoch}/{job.total_epochs}, step {job.step}/{job.total_steps}"
            if col == 0:
                return self._name_tip(job)
        if role == Qt.TextAlignmentRole and col in (3, 4):
            return int(Qt.AlignCenter)
        return None


    @staticmethod
    def _name_tip(job) -> str:
        """The whole row in words: the columns may be elided or hidden."""
        similarity = "—" if job.similarity is None else f"{job.similarity:.2f}"
        return (f"#{job.id} {job.name}\n{job.status}, {job.progress * 100:.0f}% "
                f"(epoch {job.epoch}/{job.total_epochs}), similarity {similarity}\n"
                f"Tags ({job.tag_mode}): " + (", ".join(job.tags) or "all music"))


class ProgressDelegate(QStyledItemDelegate):
    """Draws the progress column as a bar."""

    def paint(self, painter, option, index):
        value = index.data(Qt.UserRole)
        if value is None:
            return super().paint(painter, option, index)
        bar = QStyleOptionProgressBar()
        bar.rect = QRect(option.rect.adjusted(4, 4, -4, -4))
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(value * 1000)
        bar.text = index.data(Qt.DisplayRole)
        bar.textVisible = True
        # without State_Horizontal Qt 6 draws the bar vertical, filling from the bottom
        bar.state = option.state | QStyle.State_Horizontal
        QApplication.style().drawControl(QStyle.CE_ProgressBar, bar, painter)


class JobListView(QTableView):
    """The table plus its context menu; the actions come from the window."""

    selected_job_changed = Signal(int)  # 0 when nothing is selected

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.job_model = JobTableModel(self)
        self.setModel(self.job_model)
        self.setItemDelegateForColumn(3, ProgressDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.setShowGrid(False)
        self.setTextElideMode(Qt.ElideMiddle)
        self.setWordWrap(False)  # one line per job: long names elide instead
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        header = self.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.Stretch)
        header.setMinimumSectionSize(40)
        for col, width in COLUMN_WIDTHS.items():
            header.setSectionResizeMode(col, QHeaderView.Fixed)
            self.setColumnWidth(col, width)
        self.setContextMenuPolicy(Qt.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.context_actions: list[QAction] = []
        self.selectionModel().selectionChanged.connect(self._emit_selection)
        self.job_model.modelReset.connect(self._restore_selection)
        self._wanted = 0

    def set_jobs(self, jobs: list) -> None:
        self._wanted = self.selected_job_id()
        self.job_model.set_jobs(jobs)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Show the columns that fit beside a readable name, the least needed
        stepping aside first; the name takes the rest of the width."""
        free = self.viewport().width() - NAME_MIN_WIDTH
        shown = set(COLUMN_WIDTHS)
        for col in DROP_ORDER:
            if sum(COLUMN_WIDTHS[c] for c in shown) <= free:
                break
            shown.discard(col)
        for col in COLUMN_WIDTHS:
            self.setColumnHidden(col, col not in shown)

    def visible_columns(self) -> list[str]:
        return [COLUMNS[c] for c in range(len(COLUMNS)) if not self.isColumnHidden(c)]

    def selected_job_id(self) -> int:
        rows = self.selectionModel().selectedRows()
        if not rows:
            return 0
        job = self.job_model.job_at(rows[0].row())
        return job.id if job else 0

    def selected_job(self):
        rows = self.selectionModel().selectedRows()
        return self.job_model.job_at(rows[0].row()) if rows else None

    def select_job(self, job_id: int) -> None:
        row = self.job_model.row_of(job_id)
        if row >= 0:
            self.selectRow(row)

    def _restore_selection(self) -> None:
        if self._wanted and self.job_model.row_of(self._wanted) >= 0:
            self.select_job(self._wanted)
        else:
            self.selected_job_changed.emit(0)

    def _emit_selection(self) -> None:
        self.selected_job_changed.emit(self.selected_job_id())

    def _context_menu(self, pos) -> None:
        index = self.indexAt(pos)
        if index.isValid():
            self.selectRow(index.row())
        menu = QMenu(self)
        for action in self.context_actions:
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.exec(self.viewport().mapToGlobal(pos))

    def keyPressEvent(self, event):
        # Delete is a window shortcut; keep the table from swallowing it.
        if event.matches(QKeySequence.Delete):
            event.ignore()
            return
        super().keyPressEvent(event)
