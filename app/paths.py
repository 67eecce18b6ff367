"""Where the desktop app keeps its files.

Everything sits under the same per-user folder as the library's dataset
cache (``gan.data.locations.data_home``: ``POLYPHONY_HOME`` or the
platform's data folder): the job database, one folder per job, composed
takes, logs. ``RESOURCES_DIR`` (icons, soundfonts, desktop entry) sits
beside the packages, also in the frozen app.
"""

from __future__ import annotations

from pathlib import Path

from gan.data.locations import REPO_ROOT, data_home

RESOURCES_DIR = REPO_ROOT / "resources"

__all__ = ["REPO_ROOT", "RESOURCES_DIR", "home", "jobs_dir", "database_path", "logs_dir",
           "compose_dir"]


def home() -> Path:
    """The user data directory, created on first use."""
    return data_home()


def _sub(name: str) -> Path:
    path = home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def jobs_dir() -> Path:
    """One folder per training job (checkpoints, samples, logs)."""
    return _sub("jobs")


def database_path() -> Path:
    return home() / "polyphony.db"


def logs_dir() -> Path:
    return _sub("logs")


def compose_dir() -> Path:
    """Takes written by Compose, per job, and the kept ones."""
    return _sub("compose")
