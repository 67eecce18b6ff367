"""What the window remembers between runs (QSettings).

Window geometry, splitter and tab positions, chart options, and the last
New Job choices. Tests isolate this by pointing QSettings at a temporary
INI folder (``isolate_settings``) before the window is created.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings

from gan.config import SPECS, TrainConfig

ORGANIZATION = "Polyphony"
APPLICATION = "Polyphony"


def isolate_settings(folder: str | Path) -> None:
    """Keep this process's settings in ``folder`` (tests, self-test, screenshots)."""
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))


def settings() -> QSettings:
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANIZATION, APPLICATION)


def save_last_job(config: TrainConfig, tags: list[str], tag_mode: str, preset: str) -> None:
    s = settings()
    s.setValue("new_job/config", config.to_json())
    s.setValue("new_job/tags", json.dumps(tags))
    s.setValue("new_job/tag_mode", tag_mode)
    s.setValue("new_job/preset", preset)
    s.sync()


def load_last_job() -> tuple[TrainConfig | None, list[str], str, str | None]:
    """The last choices; a damaged or outdated entry is ignored, not fatal."""
    s = settings()
    config = None
    try:
        values = json.loads(s.value("new_job/config", "") or "{}")
        if values:
            config = TrainConfig(**{k: v for k, v in values.items() if k in SPECS})
            if config.problems():
                config = None
    except (ValueError, TypeError):
        config = None
    try:
        tags = [str(t) for t in json.loads(s.value("new_job/tags", "[]") or "[]")]
    except (ValueError, TypeError):
        tags = []
    mode = s.value("new_job/tag_mode", "any")
    preset = s.value("new_job/preset", None)
    return config, tags, mode if mode in ("any", "all") else "any", preset
