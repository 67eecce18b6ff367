"""What the main window remembers of itself: geometry, splitter, tab, chart options."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSize

from app.ui import ui_settings


def restore_window(window) -> None:
    """Put ``window`` (a MainWindow) back as it was when it last closed."""
    s = ui_settings.settings()
    geometry = s.value("window/geometry")
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        window.restoreGeometry(geometry)
    # restoreGeometry clamps to the current screen's idea of itself (tiny
    # on a headless platform): the plain size is kept too.
    size = s.value("window/size")
    if isinstance(size, QSize) and size.isValid():
        window.resize(size)
    elif not isinstance(geometry, QByteArray) or geometry.isEmpty():
        window.resize(1440, 860)
    state = s.value("window/splitter")
    if isinstance(state, QByteArray):
        window.splitter.restoreState(state)
    window.detail.setCurrentIndex(int(s.value("window/detail_tab", 0)))
    x_axis = s.value("charts/x_axis", "step")
    if x_axis in ("step", "epoch", "time"):
        window.detail.charts.set_x_axis(x_axis)
    try:
        window.detail.charts.set_smoothing(float(s.value("charts/smoothing", 0.6)))
    except (TypeError, ValueError):
        pass


def save_window(window) -> None:
    s = ui_settings.settings()
    s.setValue("window/geometry", window.saveGeometry())
    s.setValue("window/size", window.size())
    s.setValue("window/splitter", window.splitter.saveState())
    s.setValue("window/detail_tab", window.detail.currentIndex())
    s.setValue("charts/x_axis", window.detail.charts.x_axis())
    s.setValue("charts/smoothing", window.detail.charts.smoothing())
    s.sync()
