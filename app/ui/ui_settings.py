"""What the window remembers between runs (QSettings).

Window geometry, splitter and tab positions, chart options, export folders. Tests isolate this by pointing QSettings at a temporary
INI folder (``isolate_settings``) before the window is created.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

ORGANIZATION = "Polyphony"
APPLICATION = "Polyphony"


def isolate_settings(folder: str | Path) -> None:
    """Keep this process's settings in ``folder`` (tests, self-test, screenshots)."""
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))


def settings() -> QSettings:
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANIZATION, APPLICATION)
