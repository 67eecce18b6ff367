"""Pick the genre tags a job learns from; import a MIDI folder from here.

Lists the built-in genres and the user's imports with their segment counts at
the chosen piece length and shows the total the job would train on. Imports
run through ``app.ui.midi_import`` (in the background, with Stop, ending with
their report: how many files came in, and which were skipped and why).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QFileDialog, QHBoxLayout, QLabel, QPushButton,
                               QRadioButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from app.music.selection import segment_total
from app.music.tags import CorpusUnavailable, load_corpus, tag_rows
from app.ui.midi_import import MidiImport, ask_genre
from app.ui.worker import Worker


class TagPicker(QWidget):
    """Checkable tags with counts, any/all, total, and the import button."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._corpus = None
        self._bars = 4
        self._error = ""
        self.importer = MidiImport(self)
        self.importer.finished_report.connect(self._on_import_finished)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Tag", "Segments"])
        self.tree.setRootIsDecorated(True)
        self.tree.setColumnWidth(0, 190)
        self.tree.setToolTip("Tick the music the model should learn from. With no tag "
                             "ticked it learns from all of it.")
        self.tree.itemChanged.connect(self._on_item_changed)
        self.any_button = QRadioButton("any tag")
        self.all_button = QRadioButton("all tags")
        self.any_button.setToolTip("Use a piece if it has at least one of the ticked tags.")
        self.all_button.setToolTip("Use a piece only if it has every ticked tag "
                                   "(e.g. genre and composer).")
        self.any_button.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.any_button)
        group.addButton(self.all_button)
        self.any_button.toggled.connect(lambda _on: self._update_total())
        self.total_label = QLabel()
        self.total_label.setObjectName("tag_total")
        self.total_label.setWordWrap(True)
        self.import_button = QPushButton("Import MIDI folder…")
        self.import_button.setToolTip("Add your own MIDI files (4/4, up to four voices) "
                                      "under a tag of your choice.")
        self.import_button.clicked.connect(self._ask_import)

        mode = QHBoxLayout()
        mode.addWidget(QLabel("Use pieces with"))
        mode.addWidget(self.any_button)
        mode.addWidget(self.all_button)
        mode.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(mode)
        layout.addWidget(self.total_label)
        layout.addWidget(self.import_button)

    # -- data -----------------------------------------------------------------
    def load(self, bars: int) -> None:
        """(Re)read the corpus and list its tags, keeping the ticks."""
        self._bars = bars
        keep = set(self.tags())
        self._error = ""
        try:
            if self._corpus is None:
                self._corpus = load_corpus()
            rows = tag_rows(self._corpus, bars)
        except CorpusUnavailable as exc:
            self._error = str(exc)
            rows = []
        except Exception as exc:  # a damaged import must not stop the dialog opening
            self._error = f"the music library could not be listed: {exc}"
            rows = []
        self.tree.blockSignals(True)
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for row in rows:
            parent = groups.get(row.group)
            if parent is None:
                parent = QTreeWidgetItem([row.group, ""])
                parent.setFlags(Qt.ItemIsEnabled)
                self.tree.addTopLevelItem(parent)
                parent.setExpanded(True)
                groups[row.group] = parent
            item = QTreeWidgetItem([row.label, f"{row.count:,}"])
            item.setData(0, Qt.UserRole, row.tag)
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable)
            item.setCheckState(0, Qt.Checked if row.tag in keep else Qt.Unchecked)
            item.setTextAlignment(1, Qt.AlignRight | Qt.AlignVCenter)
            parent.addChild(item)
        self.tree.blockSignals(False)
        self._update_total()

    def set_bars(self, bars: int) -> None:
        if bars != self._bars:
            self.load(bars)

    def _items(self):
        for i in range(self.tree.topLevelItemCount()):
            parent = self.tree.topLevelItem(i)
            for j in range(parent.childCount()):
                yield parent.child(j)

    def tag_counts(self) -> dict[str, int]:
        """Every listed tag and the segment count shown beside it."""
        return {item.data(0, Qt.UserRole): int(item.text(1).replace(",", "")) for item in self._items()}

    def tick(self, tag: str, on: bool = True) -> bool:
        """Tick (or untick) ``tag`` as a click would; False when it is not listed."""
        for item in self._items():
            if item.data(0, Qt.UserRole) == tag:
                item.setCheckState(0, Qt.Checked if on else Qt.Unchecked)
                return True
        return False

    def tags(self) -> list[str]:
        return [item.data(0, Qt.UserRole) for item in self._items()
                if item.checkState(0) == Qt.Checked]

    def set_tags(self, tags: list[str], mode: str = "any") -> None:
        wanted = set(tags)
        self.tree.blockSignals(True)
        for item in self._items():
            item.setCheckState(0, Qt.Checked if item.data(0, Qt.UserRole) in wanted else Qt.Unchecked)
        self.tree.blockSignals(False)
        (self.all_button if mode == "all" else self.any_button).setChecked(True)
        self._update_total()

    def mode(self) -> str:
        return "all" if self.all_button.isChecked() else "any"

    def segment_total(self) -> int | None:
        if self._corpus is None:
            return None
        try:
            return segment_total(self.tags(), self.mode(), self._bars, self._corpus)
        except Exception:
            return None

    def problem(self) -> str:
        """Why no job can start with this choice ('' when fine)."""
        if self._error:
            return self._error
        total = self.segment_total()
        if total == 0:
            return "the ticked tags select no music at this piece length"
        return ""

    def _on_item_changed(self, *_args) -> None:
        self._update_total()

    def _update_total(self) -> None:
        if self._error:
            self.total_label.setText(f"<span style='color:#b00020'>{self._error}</span>")
        else:
            total = self.segment_total()
            what = "all music" if not self.tags() else f"{len(self.tags())} tag(s), {self.mode()}"
            shown = "?" if total is None else f"{total:,}"
            self.total_label.setText(f"<b>Selected: {shown} segments</b> of {self._bars} bar(s) "
                                     f"({what})")
        self.changed.emit()

    # -- import (see midi_import) -------------------------------------------------
    def _ask_import(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with MIDI files")
        if not folder:
            return
        genre = ask_genre(self, Path(folder).name)
        if genre:
            self.start_import(folder, genre)

    def start_import(self, folder: str, genre: str) -> Worker:
        """Import a folder as ``genre=<genre>``; the report is shown at the end."""
        return self.importer.start([folder], genre)

    @property
    def last_report(self) -> str:
        return self.importer.last_report

    @property
    def report_dialog(self):
        return self.importer.report_dialog

    def _on_import_finished(self, _text: str, imported: bool) -> None:
        if imported:
            self._corpus = None  # the imports changed: read the corpus again
            self.load(self._bars)

    def wait_import(self, ms: int = 60000) -> bool:
        return self.importer.wait(ms)
