"""Pick the genre tags a job learns from; import a MIDI folder from here.

Lists the built-in genres and the user's imports with their segment counts at
the chosen piece length and shows the total the job would train on. Imports
run on a QThread (reading hundreds of MIDI files takes seconds) and end with
their report: how many files came in, and which were skipped and why.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QDialog, QDialogButtonBox, QFileDialog,
                               QHBoxLayout, QInputDialog, QLabel, QMessageBox, QPlainTextEdit,
                               QProgressDialog, QPushButton, QRadioButton, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from app.ui.corpus_tags import CorpusUnavailable, load_corpus, selected_segments, tag_rows


class ImportThread(QThread):
    """Runs ``gan.data.importer.import_folder`` off the GUI thread."""

    progressed = Signal(int, int, str)  # done, total, current file
    done = Signal(object)  # the importer's report
    failed = Signal(str)

    def __init__(self, folder: str, genre: str, parent=None):
        super().__init__(parent)
        self.folder, self.genre = folder, genre

    def run(self) -> None:
        try:
            from gan.data.importer import import_folder
        except ImportError as exc:
            self.failed.emit(f"MIDI import is not available in this build ({exc})")
            return

        def progress(*args) -> None:
            done = int(args[0]) if len(args) > 0 else 0
            total = int(args[1]) if len(args) > 1 else 0
            name = str(args[2]) if len(args) > 2 else ""
            self.progressed.emit(done, total, name)
            return self.isInterruptionRequested()

        try:
            report = import_folder(self.folder, {"genre": self.genre}, progress)
        except Exception as exc:  # report a bad folder instead of crashing the window
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.done.emit(report)


def report_text(report) -> str:
    """The importer's report in plain words (tolerates lists or counts)."""
    imported = getattr(report, "imported", 0)
    skipped = getattr(report, "skipped", [])
    n_in = len(imported) if isinstance(imported, (list, tuple)) else int(imported)
    lines = [f"Imported {n_in} file(s)."]
    if isinstance(skipped, dict):
        skipped = list(skipped.items())
    if isinstance(skipped, (list, tuple)):
        lines.append(f"Skipped {len(skipped)} file(s)" + (":" if skipped else "."))
        for entry in skipped:
            if isinstance(entry, (tuple, list)) and len(entry) >= 2:
                lines.append(f"  {Path(str(entry[0])).name}: {entry[1]}")
            else:
                path = getattr(entry, "path", entry)
                reason = getattr(entry, "reason", "")
                lines.append(f"  {Path(str(path)).name}: {reason}" if reason else f"  {path}")
    else:
        lines.append(f"Skipped {int(skipped)} file(s).")
    extra = getattr(report, "segments", None)
    if extra is not None:
        lines.append(f"New training segments: {extra}")
    return "\n".join(lines)


class TagPicker(QWidget):
    """Checkable tags with counts, any/all, total, and the import button."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._corpus = None
        self._bars = 4
        self._error = ""
        self._import: ImportThread | None = None
        self.last_report = ""
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
            return selected_segments(self._corpus, self.tags(), self.mode(), self._bars)
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

    # -- import -----------------------------------------------------------------
    def _ask_import(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with MIDI files")
        if not folder:
            return
        genre, ok = QInputDialog.getText(self, "Genre for these pieces",
                                         "Name the music in this folder (e.g. my_hymns); it "
                                         "becomes a genre you can tick:",
                                         text=Path(folder).name.replace(" ", "_"))
        if not ok or not genre.strip():
            return
        self.start_import(folder, genre.strip())

    def start_import(self, folder: str, genre: str) -> ImportThread:
        """Import a folder as ``genre=<genre>``; the report is shown at the end."""
        self._import = ImportThread(folder, genre, self)
        self._progress = QProgressDialog("Importing MIDI files…", "Stop", 0, 0, self)
        self._progress.setWindowTitle("Import")
        self._progress.setMinimumDuration(300)
        self._progress.canceled.connect(self._import.requestInterruption)
        self._import.progressed.connect(self._on_import_progress)
        self._import.done.connect(self._on_import_done)
        self._import.failed.connect(self._on_import_failed)
        self._import.finished.connect(self._progress.reset)
        self._import.start()
        return self._import

    def _on_import_progress(self, done: int, total: int, name: str) -> None:
        self._progress.setMaximum(max(total, 0))
        self._progress.setValue(done)
        self._progress.setLabelText(f"Importing {Path(name).name}…" if name else "Importing…")

    def _on_import_done(self, report) -> None:
        self._corpus = None  # the imports changed: read the corpus again
        self.load(self._bars)
        self.last_report = report_text(report)
        self.report_dialog = show_report(self, self.last_report)

    def _on_import_failed(self, message: str) -> None:
        self.last_report = f"Nothing was imported: {message}"
        QMessageBox.warning(self, "Import failed", self.last_report)

    def wait_import(self, ms: int = 60000) -> bool:
        return self._import is None or self._import.wait(ms)


def show_report(parent: QWidget, text: str) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle("Import report")
    view = QPlainTextEdit(text)
    view.setReadOnly(True)
    buttons = QDialogButtonBox(QDialogButtonBox.Ok)
    buttons.accepted.connect(dialog.accept)
    layout = QVBoxLayout(dialog)
    layout.addWidget(view)
    layout.addWidget(buttons)
    dialog.resize(520, 320)
    dialog.setAttribute(Qt.WA_DeleteOnClose)
    dialog.open()
    return dialog
