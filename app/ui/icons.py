"""Icons: Qt's standard ones for actions and statuses, and the app icon."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from app.paths import RESOURCES_DIR

_STATUS_PIXMAPS = {
    "queued": QStyle.SP_FileDialogListView,
    "running": QStyle.SP_MediaPlay,
    "completed": QStyle.SP_DialogApplyButton,
    "failed": QStyle.SP_MessageBoxCritical,
    "cancelled": QStyle.SP_DialogCancelButton,
    "interrupted": QStyle.SP_MessageBoxWarning,
}
APP_ICON_SVG = RESOURCES_DIR / "icons" / "polyphony.svg"
APP_ICON_PNG = RESOURCES_DIR / "icons" / "polyphony.png"


def standard(pixmap: QStyle.StandardPixmap) -> QIcon:
    return QApplication.style().standardIcon(pixmap)


@lru_cache(maxsize=None)
def _status_icon(status: str) -> QIcon:
    return standard(_STATUS_PIXMAPS.get(status, QStyle.SP_MessageBoxQuestion))


def status_icon(status: str) -> QIcon:
    return _status_icon(status)


def app_icon() -> QIcon:
    for path in (APP_ICON_PNG, APP_ICON_SVG):
        if path.exists():
            return QIcon(str(path))
    return QIcon()
