"""Importing what the user dropped on the window: MIDI files, folders, or both.

The importer reads one folder at a time (``app.music.imports``). Dropped
folders are imported one after another; dropped files are imported together
through a temporary folder of links to them (so each piece's source is the
file itself: dropping it again replaces it, as a folder import does), or of
copies where links cannot be made. The reports are merged into one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

from app.music.imports import Progress, import_midi_folder

MIDI_SUFFIXES = (".mid", ".midi", ".kar", ".smf")


def is_midi_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in MIDI_SUFFIXES


def importable(paths: list[str | Path]) -> list[Path]:
    """The dropped paths worth importing: folders and MIDI files."""
    return [Path(p) for p in paths if Path(p).is_dir() or (Path(p).is_file() and is_midi_file(p))]


def suggested_genre(paths: list[Path]) -> str:
    """A genre name to offer: the folder's name, or the files' folder's."""
    first = paths[0]
    name = first.name if first.is_dir() else first.parent.name or first.stem
    return "_".join(name.split()) or "my_music"


def import_dropped(paths: list[str | Path], tags: dict[str, str], progress: Progress | None = None,
                   should_stop: Callable[[], bool] | None = None) -> Any:
    """Import the dropped folders and MIDI files with ``tags``; one report."""
    paths = importable(paths)
    folders = [p for p in paths if p.is_dir()]
    files = [p for p in paths if not p.is_dir()]
    merged = None
    for folder in folders:
        merged = _merge(merged, import_midi_folder(folder, tags, progress, should_stop))
    if files:
        with tempfile.TemporaryDirectory(prefix="polyphony-drop-") as tmp:
            for i, path in enumerate(files):
                target = Path(tmp) / path.name
                if target.exists() or target.is_symlink():  # the same name from two folders
                    target = Path(tmp) / f"{i}_{path.name}"
                try:
                    os.symlink(path.resolve(), target)
                except OSError:  # no links here (e.g. Windows without the right): a copy
                    shutil.copyfile(path, target)
            merged = _merge(merged, import_midi_folder(tmp, tags, progress, should_stop))
    if merged is None:
        raise ValueError("nothing to import: drop MIDI files (.mid, .midi) or folders holding them")
    return merged


def _merge(into: Any, report: Any) -> Any:
    if into is None:
        return report
    into.imported.extend(report.imported)
    into.skipped.extend(report.skipped)
    return into
