"""What a drag carries: the local files and folders among its URLs.

Drops onto the window import MIDI music (``MainWindow``); a MIDI file
dropped on the Compose tab becomes the melody (``ComposePanel``,
``MelodyPicker``'s file field, which replaces its text with the path
instead of inserting ``file:///…`` at the cursor).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData

from app.music.dropped import importable, is_midi_file


def local_paths(mime: QMimeData | None) -> list[Path]:
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def music_to_import(mime: QMimeData | None) -> list[Path]:
    """The MIDI files and folders dropped (nothing else)."""
    return importable(local_paths(mime))


def one_midi_file(mime: QMimeData | None) -> Path | None:
    """The dropped file when the drop is exactly one MIDI file."""
    paths = local_paths(mime)
    if len(paths) == 1 and paths[0].is_file() and is_midi_file(paths[0]):
        return paths[0]
    return None
