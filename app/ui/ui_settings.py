"""What the window remembers between runs (QSettings).

Window geometry, splitter and tab positions, chart options, and the folder
save dialogs open in (the last export's, else the user's music folder).
Tests isolate this by pointing QSettings at a temporary INI folder
(``isolate_settings``) before the window is created.
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


EXPORT_FOLDER_KEY = "export/folder"


def music_folder() -> Path:
    """The user's music folder (QStandardPaths.MusicLocation) when it exists, else home."""
    from PySide6.QtCore import QStandardPaths

    found = QStandardPaths.writableLocation(QStandardPaths.MusicLocation)
    return Path(found) if found and Path(found).is_dir() else Path.home()


def export_folder() -> Path:
    """Where a save dialog opens: the folder of the last export, else the music folder."""
    last = settings().value(EXPORT_FOLDER_KEY, "")
    if last and Path(str(last)).is_dir():
        return Path(str(last))
    return music_folder()


def remember_export_folder(path: str | Path) -> None:
    """Exported to ``path`` (a file or a folder): the next dialog opens there."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    s = settings()
    s.setValue(EXPORT_FOLDER_KEY, str(folder))
    s.sync()
