"""Import a folder of the user's own MIDI files as tagged pieces.

Every file is either imported whole (segments are cut later from "bars per
sample", so a two-bar clip is kept) or skipped with a reason; a bad file
never stops the import. The pieces of one genre live in
``datasets_dir()/imports/<genre>.npz``, written once at the end, atomically:
an import that fails half-way leaves the previous file as it was.

Voices, high -> low (the rule, so results are predictable):

- Pitched (non-drum) instruments with notes are ranked by mean pitch,
  highest first. With ``n`` of them, rank ``j`` goes to voice
  ``floor(j * 3 / (n - 1) + 0.5)`` when ``2 <= n <= 4`` (two instruments:
  melody + bass; three: voices 0, 2, 3; four: one each), and to voice
  ``floor(j * 4 / n)`` when ``n > 4`` (extras merge into the voice of their
  pitch neighbours).
- One instrument: a monophonic line is the melody (voice 0, like the folk
  genre). A polyphonic one is split by pitch order at each onset: of ``k``
  notes starting together (high -> low), note ``j`` goes to voice
  ``floor(j * 3 / (k - 1) + 0.5)`` (the top note is the melody, the lowest
  the bass).
- Time: the file's own beat grid (ticks), so tempo changes don't move notes
  off it; the first tempo and the time signature go into the metadata.
  4/4 only (2/2 counts: same bar); leading empty bars are dropped.

Bounds (gan.data.limits): a file over the bars, notes or events limits is
skipped with the reason, before it is parsed. Everything under the folder is
listed: named pipes, devices, sockets, broken links and links to folders
are skipped with a line each (never opened: a pipe would block, a device
never ends). A data folder that cannot be written gives an
``ImportFolderError`` that says so, and the previous imports stay as they were.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from gan.data.corpus import import_file_for
from gan.data.dataset_file import DatasetFileError, Piece, read_pieces, write_pieces
from gan.data.key import estimate_key
from gan.data.limits import MAX_BARS_PER_FILE
from gan.data.midi_io import MidiContent, MidiReadError, plain_reason, read_midi, special_kind
from gan.data.roll import STEPS_PER_BAR, TRACKS

MIDI_EXTENSIONS = (".mid", ".midi", ".kar", ".smf")
ACCEPTED_SIGNATURES = ((4, 4), (2, 2))
MIN_TEMPO, MAX_TEMPO = 20.0, 400.0


class ImportFolderError(ValueError):
    """The import as a whole cannot run (no such folder, bad tags)."""


@dataclass
class ImportReport:
    folder: str
    genre: str
    path: str = ""
    imported: list[tuple[str, int]] = field(default_factory=list)  # (file, bars)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (file, reason)

    def as_dict(self) -> dict:
        return {
            "folder": self.folder, "genre": self.genre, "path": self.path,
            "imported": [{"file": f, "bars": b} for f, b in self.imported],
            "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
        }


class _Skip(Exception):
    pass


def _spread(rank: int, count: int) -> int:
    if count <= 1:
        return 0
    if count <= TRACKS:
        return int(np.floor(rank * (TRACKS - 1) / (count - 1) + 0.5))
    return int(rank * TRACKS // count)


def _split_by_pitch_order(rows: np.ndarray) -> np.ndarray:
    """Voices for one polyphonic instrument: (start, duration, pitch) -> tracks."""
    order = np.lexsort((-rows[:, 2], rows[:, 0]))  # by onset, then high -> low
    rows = rows[order]
    tracks = np.zeros(len(rows), dtype=np.int64)
    bounds = np.flatnonzero(np.diff(rows[:, 0])) + 1
    for group in np.split(np.arange(len(rows)), bounds):
        k = len(group)
        tracks[group] = [0] if k == 1 else [_spread(j, k) for j in range(k)]
    return np.column_stack([tracks, rows])


def assign_voices(content: MidiContent) -> np.ndarray:
    """Note rows ``(track, start, duration, pitch)`` in 4 voices, high -> low."""
    pitched = [rows for rows, drum in zip(content.instruments, content.is_drum) if not drum and len(rows)]
    if not pitched:
        return np.zeros((0, 4), dtype=np.int64)
    if len(pitched) == 1:
        rows = pitched[0]
        polyphonic = len(np.unique(rows[:, 0])) < len(rows)
        if not polyphonic:
            return np.column_stack([np.zeros(len(rows), dtype=np.int64), rows])
        return _split_by_pitch_order(rows)
    ranked = sorted(pitched, key=lambda r: -float(r[:, 2].mean()))
    return np.concatenate([
        np.column_stack([np.full(len(rows), _spread(j, len(ranked))), rows])
        for j, rows in enumerate(ranked)
    ])


def midi_file_to_piece(path: Path, tags: dict[str, str], name: str | None = None) -> Piece:
    """One MIDI file -> one whole piece; ``_Skip`` / ``MidiReadError`` with a reason."""
    content = read_midi(path)
    for signature in content.time_signatures:
        if tuple(signature) not in ACCEPTED_SIGNATURES:
            raise _Skip(f"time signature {signature[0]}/{signature[1]} is not supported (4/4 only)")
    pitched_notes = sum(len(r) for r, d in zip(content.instruments, content.is_drum) if not d)
    drum_notes = sum(len(r) for r, d in zip(content.instruments, content.is_drum) if d)
    if pitched_notes == 0:
        raise _Skip("drums only (no pitched notes)" if drum_notes else "no notes")
    notes = assign_voices(content).astype(np.int64)
    # one row per (track, start, pitch): merged instruments may double a note
    notes = notes[np.lexsort((-notes[:, 2], notes[:, 3], notes[:, 1], notes[:, 0]))]
    keep = np.ones(len(notes), dtype=bool)
    keep[1:] = np.any(notes[1:, [0, 1, 3]] != notes[:-1, [0, 1, 3]], axis=1)
    notes = notes[keep]
    first_bar = int(notes[:, 1].min()) // STEPS_PER_BAR
    notes[:, 1] -= first_bar * STEPS_PER_BAR
    end = int((notes[:, 1] + notes[:, 2]).max())
    n_bars = max(1, -(-end // STEPS_PER_BAR))
    if n_bars > MAX_BARS_PER_FILE:  # the scan counts ticks; tempo maps can stretch them
        raise _Skip(f"too long: {n_bars:,} bars (limit {MAX_BARS_PER_FILE:,} per file)")
    notes = notes[np.lexsort((notes[:, 3], notes[:, 1], notes[:, 0]))].astype(np.int32)
    tonic, mode = estimate_key(notes)
    piece_tags = {"composer": "unknown", "work": path.stem}
    piece_tags.update(tags)
    piece_tags.update({"key": tonic, "mode": mode, "source": str(path)})
    tempo = min(max(content.tempo, MIN_TEMPO), MAX_TEMPO)
    return Piece(name=name or path.stem, notes=notes, n_bars=n_bars, tags=piece_tags,
                 tempo=float(tempo), time_signature=(4, 4))


def _validate_tags(tags: dict[str, str]) -> dict[str, str]:
    clean = {}
    for key, value in (tags or {}).items():
        key, value = str(key).strip(), str(value).strip()
        if not key or not value or "=" in key:
            raise ImportFolderError(f"bad tag {key!r}={value!r}: tags look like key=value")
        clean[key] = value
    if "genre" not in clean:
        raise ImportFolderError("imports need a genre tag, for example --tag genre=my_songs")
    return clean


def _not_a_file(path: Path) -> str:
    """Why ``path`` is not a plain file to read ('' when it is one)."""
    try:
        if path.is_symlink():
            target = os.readlink(path)
            if not path.exists():
                return f"broken link (points to {target}, which does not exist)"
            if path.is_dir():
                return f"link to a folder ({target}): not followed"
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot open file: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return ""
    where = f" ({os.readlink(path)})" if path.is_symlink() else ""
    return f"not a regular file: {special_kind(mode)}{where}"


def _entries(folder: Path) -> list[Path]:
    """Every entry under ``folder`` except folders themselves and hidden
    names; links to folders are listed, not followed (no loops)."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        base = Path(root)
        found += [base / d for d in dirs if (base / d).is_symlink()]
        found += [base / f for f in files if not f.startswith(".")]
    return sorted(found)


def import_folder(folder: str | os.PathLike, tags: dict[str, str],
                  progress: Callable[[int, int, str], None] | None = None) -> ImportReport:
    """Import every MIDI file under ``folder`` with ``tags`` (``genre`` required).

    Files already imported from the same path are replaced, others kept.
    """
    tags = _validate_tags(tags)
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise ImportFolderError(f"folder not found: {folder}")
    if not folder.is_dir():
        raise ImportFolderError(f"not a folder: {folder}")
    try:
        target = import_file_for(tags["genre"])
    except OSError as exc:
        raise _cannot_write(exc) from None
    existing: list[Piece] = []
    if target.exists():
        try:
            existing = read_pieces(target)
        except DatasetFileError as exc:
            raise ImportFolderError(f"{exc}; move it away to start this genre afresh") from exc
    report = ImportReport(folder=str(folder), genre=tags["genre"], path=str(target))
    files = _entries(folder)
    new: list[Piece] = []
    for i, path in enumerate(files):
        rel = str(path.relative_to(folder))
        try:
            odd = _not_a_file(path)
            if odd:
                raise _Skip(odd)
            if path.suffix.lower() not in MIDI_EXTENSIONS:
                raise _Skip(f"not a MIDI file name ({path.suffix or 'no extension'})")
            piece = midi_file_to_piece(path.resolve(), tags)
            new.append(piece)
            report.imported.append((rel, piece.n_bars))
        except (_Skip, MidiReadError) as exc:
            report.skipped.append((rel, str(exc)))
        except Exception as exc:  # a bug or a case nobody foresaw: report, go on
            report.skipped.append((rel, plain_reason(exc)[:300]))
        if progress:
            progress(i + 1, len(files), rel)
    if new:
        replaced = {p.tags["source"] for p in new}
        kept = [p for p in existing if p.tags.get("source") not in replaced]
        try:
            write_pieces(target, kept + new)
        except OSError as exc:
            raise _cannot_write(exc) from None
    return report


def _cannot_write(exc: OSError) -> ImportFolderError:
    """The data folder refuses the import's file: say where and why."""
    where = exc.filename or "the data folder"
    why = {errno.EROFS: "it is on a read-only disk", errno.EACCES: "it is read-only",
           errno.EPERM: "it is read-only", errno.ENOSPC: "the disk is full"}.get(
        exc.errno, exc.strerror or str(exc))
    return ImportFolderError(
        f"cannot save the import in {where}: {why}. Nothing was changed; set POLYPHONY_HOME to a "
        f"writable folder (or free some space) and import again")
