"""The Compose tab's list of takes: the job's takes on disk, kept or not.

Tick a take to keep a copy in the kept folder; "Delete unticked" removes
the other takes' files. ``TakeList`` owns the list and the files' fate
(through ``app.compose.takes``); the panel hears ``shown`` (the takes now
listed and the row to play) and ``chosen`` (the user clicked a take), and
``message`` / ``failed`` for its message line.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMessageBox,
                               QPushButton, QVBoxLayout, QWidget)

from app.compose import takes as tasks


class TakeList(QWidget):
    shown = Signal(list, int)  # the takes listed, the row chosen (-1: none)
    chosen = Signal(int)  # the user picked a row
    message = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._takes: list[tasks.TakeFile] = []
        self._kept: set[Path] = set()
        self.list = QListWidget()
        self.list.setToolTip("Takes: click to play it as A; tick to keep it")
        self.list.setMinimumHeight(48)
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentRowChanged.connect(lambda row: 0 <= row < len(self._takes) and self.chosen.emit(row))
        self.delete_button = QPushButton("Delete unticked")
        self.delete_button.setToolTip("Delete the files of the takes that are not ticked")
        self.delete_button.clicked.connect(lambda: self.delete_unkept())
        heading = QHBoxLayout()
        heading.addWidget(QLabel("Takes"))
        heading.addStretch(1)
        heading.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(heading)
        layout.addWidget(self.list, 1)

    def takes(self) -> list[tasks.TakeFile]:
        return list(self._takes)

    def load_job(self, job_id: int) -> None:
        """The job's takes on disk (earlier sessions' too), the kept ones ticked."""
        self._takes = tasks.job_takes(job_id)
        self._kept = {t.path for t in self._takes if tasks.is_kept(t)}
        self._show()

    def add(self, new: list[tasks.TakeFile]) -> None:
        """New takes go last; the first of them is chosen."""
        self._takes = self._takes + list(new)
        self._show(select=len(self._takes) - len(new))

    def _show(self, select: int | None = None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for take in self._takes:
            item = QListWidgetItem(take.label)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if take.path in self._kept else Qt.Unchecked)
            item.setToolTip(f"{take.path}\nTick to keep this take")
            self.list.addItem(item)
        row = -1
        if self._takes:
            row = select if select is not None and 0 <= select < len(self._takes) else 0
            self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        self.shown.emit(list(self._takes), row)

    def delete_unkept(self, confirm: bool = True) -> int:
        """Delete the files of the unticked takes; how many went."""
        doomed = [t for t in self._takes if t.path not in self._kept]
        if not doomed:
            return 0
        if confirm and QMessageBox.question(
                self, "Delete takes", f"Delete the {len(doomed)} unticked take(s)' files?",
                QMessageBox.Yes | QMessageBox.No, QMessageBox.No) != QMessageBox.Yes:
            return 0
        for take in doomed:
            try:
                tasks.discard(take)
            except OSError as exc:
                self.failed.emit(f"could not delete {take.path}: {exc}")
                return 0
        self._takes = [t for t in self._takes if t.path in self._kept]
        self._show()
        self.message.emit(f"Deleted {len(doomed)} take(s).")
        return len(doomed)

    def set_kept(self, row: int, keep: bool) -> None:
        """Tick (or untick) a take, as a click would."""
        self.list.item(row).setCheckState(Qt.Checked if keep else Qt.Unchecked)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        row = self.list.row(item)
        if not 0 <= row < len(self._takes):
            return
        take = self._takes[row]
        keep = item.checkState() == Qt.Checked
        try:
            if keep and take.path not in self._kept:
                tasks.keep(take)
                self._kept.add(take.path)
                self.message.emit(f"Kept {take.label} (in {tasks.kept_dir()}).")
            elif not keep and take.path in self._kept:
                self._kept.discard(take.path)
                tasks.unkeep(take)
                if take.path.parent == tasks.kept_dir():
                    # a take kept in an earlier session: its only copy is gone now
                    self._takes.pop(row)
                    self._show()
        except OSError as exc:
            self.failed.emit(f"could not keep {take.label}: {exc}")
