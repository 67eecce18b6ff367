"""Where the library finds music: the built-in dataset and the user's cache.

``DATA_DIR`` is the dataset committed with the code (``data/`` beside the
``gan`` package, also in the frozen app). Genres built on demand and MIDI
imports are cached in ``datasets_dir()``, under ``data_home()``:
``POLYPHONY_HOME`` when set (tests always point it at a temporary folder),
else the platform's per-user data folder (``~/.local/share/polyphony`` on
Linux). The desktop app keeps its own files (job database, logs) beside
that cache; those paths live in ``app.paths``, not here.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "polyphony"
REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "data"


def data_home() -> Path:
    """The per-user data folder, created on first use."""
    override = os.environ.get("POLYPHONY_HOME")
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def datasets_dir() -> Path:
    """Genres built on demand and the user's imports live here. Created on
    first use where it can be; on read-only media a missing one is simply
    empty (a writer then fails at its write, saying where)."""
    path = data_home() / "datasets"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
    return path
