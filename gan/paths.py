"""Where Polyphony keeps its files.

``POLYPHONY_HOME`` overrides the per-user data directory everywhere (tests
always point it at a temporary folder); otherwise platformdirs picks the
platform's usual place (``~/.local/share/polyphony`` on Linux).
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "polyphony"
REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
RESOURCES_DIR = REPO_ROOT / "resources"


def home() -> Path:
    """The user data directory, created on first use."""
    override = os.environ.get("POLYPHONY_HOME")
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def datasets_dir() -> Path:
    """Genres built on demand and the user's imports live here."""
    path = home() / "datasets"
    path.mkdir(parents=True, exist_ok=True)
    return path


def jobs_dir() -> Path:
    """One folder per training job (checkpoints, samples, logs)."""
    path = home() / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_path() -> Path:
    return home() / "polyphony.db"


def logs_dir() -> Path:
    path = home() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path
