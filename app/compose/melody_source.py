"""Where a melody comes from, as plain data both faces fill in.

The window's melody picker and ``compose --melody/--builtin/--notes`` each
describe the tune as a ``MelodySource``; ``build_melody`` turns it into a
``gan.compose.melody.Melody`` or raises ``MelodyError`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gan.compose.melody import Melody, MelodyError, MidiTrackInfo

__all__ = ["FILE", "BUILTIN", "TYPED", "ROLL", "MelodyError", "MelodySource", "build_melody",
           "builtin_titles", "midi_tracks"]

FILE, BUILTIN, TYPED, ROLL = "file", "builtin", "typed", "roll"


@dataclass(frozen=True)
class MelodySource:
    kind: str  # FILE, BUILTIN, TYPED or ROLL
    path: str = ""  # FILE: the MIDI file
    track: int | None = None  # FILE: 0-based track, None = the first with notes
    name: str = ""  # BUILTIN: the tune's name
    notes: str = ""  # TYPED: "E4 E4 F4 G4 | G4:4"
    rows: Any = None  # ROLL: note rows (start, duration, pitch) clicked on a roll
    tempo: float = 100.0  # TYPED and ROLL
    pickup: float | None = None  # beats; None = from the file (FILE) or none


def build_melody(source: MelodySource) -> Melody:
    """The tune ``source`` describes; ``MelodyError`` says what is wrong."""
    from gan.compose.melodies import builtin_melody, parse_notes
    from gan.compose.melody import melody_from_midi, melody_from_notes

    if source.kind == FILE:
        text = source.path.strip()
        if not text:
            raise MelodyError("choose a MIDI file with the melody")
        path = Path(text)
        if not path.is_file():
            raise MelodyError(f"the melody file {path} does not exist")
        return melody_from_midi(path, track=source.track, pickup_beats=source.pickup)
    if source.kind == BUILTIN:
        return builtin_melody(source.name)
    pickup = source.pickup or 0.0
    if source.kind == ROLL:
        return melody_from_notes("piano-roll melody", source.rows, tempo=source.tempo,
                                 pickup_beats=pickup)
    if source.kind == TYPED:
        return melody_from_notes("typed melody", parse_notes(source.notes, pickup),
                                 tempo=source.tempo, pickup_beats=pickup)
    raise MelodyError(f"unknown melody source {source.kind!r}")


def builtin_titles() -> dict[str, str]:
    """name -> title of the built-in tunes."""
    from gan.compose.melodies import builtin_titles as titles

    return titles()


def midi_tracks(path: str | Path) -> list[MidiTrackInfo]:
    """The tracks of a MIDI file, to pick the melody's; ``MelodyError`` when
    the file cannot be read."""
    from gan.compose.melody import midi_tracks as tracks
    from gan.data.midi_io import MidiReadError

    try:
        return tracks(path)
    except MidiReadError as exc:
        raise MelodyError(f"{Path(path).name}: {exc}") from None
