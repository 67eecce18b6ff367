"""Importing a folder of the user's MIDI files under a tag (both faces).

``import_midi_folder`` wraps ``gan.data.importer.import_folder`` with a
progress callback and a stop flag: the window's Stop button (or its
closing) ends the import between two files, and nothing is written then.
``report_text`` says in plain words what came in and what was skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

Progress = Callable[[int, int, str], None]


class ImportStopped(Exception):
    """The user stopped the import; nothing was written."""


def import_midi_folder(folder: str | Path, tags: dict[str, str], progress: Progress | None = None,
                       should_stop: Callable[[], bool] | None = None) -> Any:
    """Import every MIDI file under ``folder`` with ``tags`` (``genre``
    required); returns the importer's report. ``ImportFolderError`` for a
    bad folder or tags, ``ImportStopped`` when ``should_stop()`` turned true."""
    from gan.data.importer import import_folder

    def on_file(done: int, total: int, name: str) -> None:
        if progress is not None:
            progress(done, total, name)
        # The importer writes only after the last file: stopping here loses nothing.
        if should_stop is not None and should_stop() and done < total:
            raise ImportStopped(f"stopped after {done} of {total} files; nothing was imported")

    return import_folder(folder, tags, on_file)


def report_text(report: Any) -> str:
    """The importer's report in plain words (tolerates lists or counts)."""
    imported = getattr(report, "imported", 0)
    skipped = getattr(report, "skipped", [])
    n_in = len(imported) if isinstance(imported, (list, tuple)) else int(imported)
    lines = [f"Imported {n_in} file(s)."]
    if isinstance(skipped, dict):
        skipped = list(skipped.items())
    if isinstance(skipped, (list, tuple)):
        lines.append(f"Skipped {len(skipped)} file(s)" + (":" if skipped else "."))
        for entry in skipped:
            if isinstance(entry, (tuple, list)) and len(entry) >= 2:
                lines.append(f"  {Path(str(entry[0])).name}: {entry[1]}")
            else:
                path = getattr(entry, "path", entry)
                reason = getattr(entry, "reason", "")
                lines.append(f"  {Path(str(path)).name}: {reason}" if reason else f"  {path}")
    else:
        lines.append(f"Skipped {int(skipped)} file(s).")
    extra = getattr(report, "segments", None)
    if extra is not None:
        lines.append(f"New training segments: {extra}")
    return "\n".join(lines)
