"""Saving the charts: CSV of the numbers and a PNG of the tab shown.

Names say whose charts they are (``job3_chorales-quick_training.png``), the
PNG carries the job's name in a header line, the dialogs start in the last
export's folder (``ui_settings.export_folder``) and the status bar confirms
what was written.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFont, QImage, QPainter
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from app.ui import ui_settings

HEADER_PX = 30


def slug(text: str) -> str:
    """A file-name-safe form of a job name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-._")[:60] or "job"


class ChartExports:
    def __init__(self, panel) -> None:
        self.panel = panel

    # -- names ------------------------------------------------------------------
    def base_name(self) -> str:
        series = self.panel.main_series()
        if series is None:
            return "charts"
        return f"job{series.job_id}_{slug(series.name)}" if series.name else f"job{series.job_id}"

    def title(self) -> str:
        """The PNG's header: the job(s) and the x axis."""
        names = [f"#{s.job_id} {s.name}".strip() for s in self.panel.all_series()]
        shown = names[0] + (f" compared with {', '.join(names[1:])}" if len(names) > 1 else "") \
            if names else "no job"
        tab = self.panel.tabs.tabText(self.panel.tabs.currentIndex())
        return f"Polyphony · {shown} · {tab} · x: {self.panel.x_axis()}"

    # -- writing ----------------------------------------------------------------
    def write_csv(self, folder: Path, base: str | None = None) -> list[Path]:
        """The main job's files as ``<base>_steps/epochs.csv`` (base: the
        job's name), each compared job's as ``job<id>_...``."""
        written: list[Path] = []
        for i, series in enumerate(self.panel.all_series()):
            written += series.write_csv(folder, base if i == 0 else None)
        return written

    def write_png(self, path: Path) -> Path:
        self.panel.refresh_now()
        grab = self.panel.tabs.currentWidget().grab().toImage()
        image = QImage(grab.width(), grab.height() + HEADER_PX, QImage.Format_ARGB32)
        image.fill(self.panel.colors.background)
        painter = QPainter(image)
        painter.setPen(self.panel.colors.foreground)
        font = QFont(painter.font())
        font.setPointSizeF(10.5)
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(QRect(10, 0, grab.width() - 20, HEADER_PX), Qt.AlignVCenter | Qt.AlignLeft,
                         self.title())
        painter.drawImage(0, HEADER_PX, grab)
        painter.end()
        if not image.save(str(path)):
            raise OSError(f"could not write the image {path} (is the folder writable "
                          "and the name ending in .png?)")
        return Path(path)

    # -- dialogs ----------------------------------------------------------------
    def _confirm(self, text: str) -> None:
        window = self.panel.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, 15000)

    def csv_dialog(self) -> None:
        if not self.panel.all_series():
            QMessageBox.information(self.panel, "Export CSV", "Select a job first.")
            return
        suggested = ui_settings.export_folder() / f"{self.base_name()}.csv"
        path, _ = QFileDialog.getSaveFileName(self.panel, "Save the chart data as CSV", str(suggested),
                                              "CSV files (*.csv)")
        if not path:
            return
        target = Path(path)
        base = target.stem[:-len("_steps")] if target.stem.endswith("_steps") else target.stem
        try:
            written = self.write_csv(target.parent, base)
        except OSError as exc:
            QMessageBox.warning(self.panel, "Export CSV", f"Could not write the CSV files: {exc}")
            return
        ui_settings.remember_export_folder(target.parent)
        self._confirm(f"Wrote {', '.join(p.name for p in written)} to {target.parent}")

    def png_dialog(self) -> None:
        tab = slug(self.panel.tabs.tabText(self.panel.tabs.currentIndex()).lower())
        suggested = ui_settings.export_folder() / f"{self.base_name()}_{tab}.png"
        path, _ = QFileDialog.getSaveFileName(self.panel, "Save chart image", str(suggested),
                                              "PNG images (*.png)")
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        try:
            self.write_png(Path(path))
        except OSError as exc:
            QMessageBox.warning(self.panel, "Export PNG", str(exc))
            return
        ui_settings.remember_export_folder(Path(path).parent)
        self._confirm(f"Saved the charts as {path}")
