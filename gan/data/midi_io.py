"""Reading MIDI files (pretty_midi) onto the 16th-note grid of ``gan.data.roll``.
Writing is ``gan.data.midi_write``.

Reading: every failure of the MIDI stack (mido's struct/Index/EOF/Value/Key
errors, pretty_midi's "likely corrupt" checks, files that are not MIDI at
all) becomes a ``MidiReadError`` whose message is a reason a user can read
(never a library's exception name); nothing escapes as a crash. Before
anything parses a file, ``gan.data.midi_scan`` counts its events, notes and
bars within the limits of ``gan.data.limits``, so a hostile file is refused
in bounded time and memory. Only regular files are opened (a named pipe
would block, a device never ends). Times are converted through the file's
own tempo map in ticks, so a file with tempo changes still lands on its
beat grid.
"""

from __future__ import annotations

import io
import os
import re
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gan.data import limits
from gan.data.midi_scan import MidiRefused, scan
from gan.data.roll import STEPS_PER_BEAT, empty_notes

MAX_FILE_BYTES = limits.MAX_FILE_BYTES  # far above any real score; stops runaway parses


class MidiReadError(ValueError):
    """A MIDI file that cannot be used; ``str(exc)`` is the reason."""


@dataclass
class MidiContent:
    """What a MIDI file holds, on the 16th grid, one entry per instrument."""

    instruments: list[np.ndarray]  # per instrument: (n, 3) start, duration, pitch (steps)
    names: list[str]
    programs: list[int]
    is_drum: list[bool]
    tempo: float
    tempo_changes: int
    time_signature: tuple[int, int] | None
    time_signatures: list[tuple[int, int]] = field(default_factory=list)
    off_grid_notes: int = 0
    # When the file has one instrument per track: each instrument's position
    # among the file's music tracks, and those tracks' names and programs, so
    # a silent voice (a track without notes) keeps its place.
    slots: list[int] | None = None
    track_names: list[str] = field(default_factory=list)
    track_programs: list[int] = field(default_factory=list)


def _file_bytes(path: Path) -> bytes:
    """The whole file, if it is a regular file within the size limit."""
    try:
        info = path.stat()
    except OSError as exc:
        raise MidiReadError(f"cannot open file: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise MidiReadError(f"not a regular file ({special_kind(info.st_mode)})")
    if info.st_size == 0:
        raise MidiReadError("empty file (0 bytes)")
    if info.st_size > MAX_FILE_BYTES:
        raise MidiReadError(f"file too large ({info.st_size // (1024 * 1024)} MB; "
                            f"limit {MAX_FILE_BYTES // (1024 * 1024)} MB)")
    try:
        with open(path, "rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise MidiReadError(f"cannot open file: {exc.strerror or exc}") from exc


def special_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    for test, words in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                        (stat.S_ISDIR, "a folder")):
        if test(mode):
            return words
    return "not a plain file"


# Library messages -> reasons a user can act on (first match wins).
_REASONS = [
    (r"running status without", "a track's events are garbled (a data byte where an event "
                                "should start)"),
    (r"Message length (\d+) exceeds", "an event claims to be {0} bytes long"),
    (r"data byte must be in range", "an event holds a value above 127"),
    (r"undefined status byte (0x[0-9a-f]+)", "unknown event type {0}"),
    (r"empty sequence", "nothing to read: no tracks with events"),
    (r"denominator must be a power of 2|not a valid `numerator`|numerator",
     "impossible time signature"),
    (r"Could not decode key with (\d+ \w+)", "impossible key signature ({0})"),
    (r"Note end time must be greater", "a note ends before it starts"),
    (r"largest tick of (\d+)", "a time of {0} ticks, far beyond any piece"),
    (r"MThd not found|not a MIDI|no MThd", "not a MIDI file (no MThd header)"),
    (r"division by zero|divide by zero", "impossible timing (a tempo or ticks per beat of 0)"),
]


def plain_reason(exc: BaseException) -> str:
    """Why a MIDI file could not be read, in words (``unreadable MIDI: ...``)."""
    if isinstance(exc, EOFError):
        return "unreadable MIDI: truncated (the file ends early)"
    if isinstance(exc, MemoryError):
        return "unreadable MIDI: needs too much memory (corrupt timing?)"
    if isinstance(exc, RecursionError):
        return "unreadable MIDI: structure too deep"
    text = str(exc).strip()
    for pattern, words in _REASONS:
        match = re.search(pattern, text)
        if match:
            return f"unreadable MIDI: {words.format(*match.groups())}"
    detail = re.sub(r"\s+", " ", text)[:120] or "no details"
    return f"unreadable MIDI: damaged data ({detail})"


def _open_pretty_midi(path: Path):
    import pretty_midi

    data = _file_bytes(path)
    try:
        scan(data)
    except MidiRefused as exc:
        raise MidiReadError(str(exc)) from exc
    try:
        import mido

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pretty_midi warns about meta events on other tracks
            mid = mido.MidiFile(file=io.BytesIO(data), charset="latin1")
            slots = _track_slots(mid)  # before pretty_midi rewrites the event times
            return pretty_midi.PrettyMIDI(mido_object=mid), slots
    except Exception as exc:  # mido/struct/Index/EOF/Value/Key/Memory/Recursion errors ...
        raise MidiReadError(plain_reason(exc)) from exc


def _track_slots(mid) -> tuple[int, list[bool], list[str], list[int]]:
    """pretty_midi makes instruments only for tracks with notes; remember,
    per music track (one with channel messages), whether it has notes, its
    name and program, so silent voices keep their place."""
    music = [trk for trk in mid.tracks if any(not m.is_meta and m.type != "sysex" for m in trk)]
    has_notes = [any(m.type == "note_on" and m.velocity > 0 for m in trk) for trk in music]
    names = [next((m.name for m in trk if m.type == "track_name"), "") for trk in music]
    programs = [next((m.program for m in trk if m.type == "program_change"), 0) for trk in music]
    return mid.type, has_notes, names, programs


def read_midi(path: str | os.PathLike) -> MidiContent:
    """Every instrument's notes on the 16th grid; ``MidiReadError`` if unusable."""
    path = Path(path)
    pm, slots = _open_pretty_midi(path)
    try:
        content = _content(pm)
        _apply_slots(content, slots)
        return content
    except MidiReadError:
        raise
    except Exception as exc:  # odd event values deep inside a file that parsed
        raise MidiReadError(plain_reason(exc)) from exc


def _apply_slots(content: MidiContent, slots) -> None:
    midi_type, has_notes, names, programs = slots
    if midi_type != 1 or sum(has_notes) != len(content.instruments):
        return  # several instruments in one track: fall back to instrument order
    content.slots = [i for i, h in enumerate(has_notes) if h]
    content.track_names = names
    content.track_programs = programs


def _content(pm) -> MidiContent:
    ticks_per_step = pm.resolution / STEPS_PER_BEAT
    tempo_times, tempi = pm.get_tempo_changes()
    instruments, off_grid = [], 0
    for inst in pm.instruments:
        if not inst.notes:
            instruments.append(np.zeros((0, 3), dtype=np.int64))
            continue
        starts = np.array([pm.time_to_tick(n.start) for n in inst.notes], dtype=float) / ticks_per_step
        ends = np.array([pm.time_to_tick(n.end) for n in inst.notes], dtype=float) / ticks_per_step
        pitch = np.array([n.pitch for n in inst.notes], dtype=np.int64)
        # a quarter of a step of slack: humanised or quantised-with-swing files
        off_grid += int(np.count_nonzero(np.abs(starts - np.round(starts)) > 0.25))
        s = np.round(starts).astype(np.int64)
        e = np.maximum(np.round(ends).astype(np.int64), s + 1)
        rows = np.stack([s, e - s, pitch], axis=1)
        instruments.append(rows[np.lexsort((rows[:, 2], rows[:, 0]))])
    signatures = [(ts.numerator, ts.denominator) for ts in pm.time_signature_changes]
    return MidiContent(
        instruments=instruments,
        names=[inst.name for inst in pm.instruments],
        programs=[inst.program for inst in pm.instruments],
        is_drum=[inst.is_drum for inst in pm.instruments],
        tempo=float(tempi[0]) if len(tempi) else 120.0,
        tempo_changes=max(0, len(tempi) - 1),
        time_signature=signatures[0] if signatures else None,
        time_signatures=signatures,
        off_grid_notes=off_grid,
    )


def midi_to_notes(path: str | os.PathLike) -> tuple[np.ndarray, dict]:
    """Note rows ``(track, start, duration, pitch)`` and info from a MIDI file.

    ``track`` is the position of the note's track among the file's music
    tracks when each track holds one instrument (so a file written by
    ``notes_to_midi`` comes back with its four tracks, silent ones included),
    else the order of the (non-drum) instruments. ``info``:
    tempo, tempo_changes, time_signature, n_bars, track_names, programs,
    drum_tracks, off_grid_notes. Raises ``MidiReadError`` with a reason.
    """
    content = read_midi(path)
    rows = []
    drum_tracks = sum(content.is_drum)
    if content.slots is not None and not any(content.is_drum):
        names, programs = list(content.track_names), list(content.track_programs)
        for inst, slot in zip(content.instruments, content.slots):
            rows.append(np.column_stack([np.full(len(inst), slot), inst]))
    else:
        names, programs = [], []
        for inst, name, program, drum in zip(content.instruments, content.names, content.programs,
                                             content.is_drum):
            if drum:
                continue
            rows.append(np.column_stack([np.full(len(inst), len(names)), inst]))
            names.append(name)
            programs.append(program)
    notes = np.concatenate(rows).astype(np.int32) if rows else empty_notes()
    notes = notes[np.lexsort((notes[:, 3], notes[:, 1], notes[:, 0]))] if len(notes) else notes
    steps_per_bar = STEPS_PER_BEAT * 4
    end = int((notes[:, 1] + notes[:, 2]).max()) if len(notes) else 0
    info = {
        "tempo": content.tempo,
        "tempo_changes": content.tempo_changes,
        "time_signature": content.time_signature or (4, 4),
        "time_signatures": content.time_signatures,
        "n_bars": -(-end // steps_per_bar),
        "track_names": names,
        "programs": programs,
        "drum_tracks": drum_tracks,
        "off_grid_notes": content.off_grid_notes,
    }
    return notes, info
