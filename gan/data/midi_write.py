"""Writing MIDI files (pretty_midi): four named tracks, one tempo, one time
signature, notes from exact note rows (so a sixteenth stays a sixteenth and
repeated notes stay apart). The file goes to a temporary name first."""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from gan.data.roll import STEPS_PER_BEAT, TRACKS, VOICE_NAMES, roll_to_notes
from gan.util.atomic import atomic_path

# General MIDI programs (0-based) per genre, top voice first.
GENRE_PROGRAMS: dict[str, tuple[int, int, int, int]] = {
    "chorale": (52, 52, 52, 52),          # choir aahs
    "string_quartet": (40, 40, 41, 42),   # violin, violin, viola, cello
    "renaissance": (52, 74, 74, 52),      # choir, recorders, choir
    "folk": (73, 0, 0, 0),                # flute melody
    "default": (0, 0, 0, 0),              # acoustic grand piano
}
GENRE_TRACK_NAMES: dict[str, tuple[str, str, str, str]] = {
    "string_quartet": ("violin I", "violin II", "viola", "cello"),
    "default": VOICE_NAMES,
}
VELOCITY = 80


def programs_for(genre: str | None) -> tuple[int, int, int, int]:
    return GENRE_PROGRAMS.get(genre or "default", GENRE_PROGRAMS["default"])


def track_names_for(genre: str | None) -> tuple[str, str, str, str]:
    return GENRE_TRACK_NAMES.get(genre or "default", GENRE_TRACK_NAMES["default"])


def notes_to_midi(notes: np.ndarray, path: str | os.PathLike, tempo: float = 100.0,
                  programs: Sequence[int] | None = None, track_names: Sequence[str] | None = None,
                  time_signature: tuple[int, int] = (4, 4)) -> None:
    """Write note rows ``(track, start, duration, pitch)`` as a four-track MIDI file."""
    import pretty_midi

    if not (0 < float(tempo) <= 1000):
        raise ValueError(f"tempo must be in (0, 1000] quarter notes per minute, not {tempo}")
    programs = list(programs or GENRE_PROGRAMS["default"])
    track_names = list(track_names or VOICE_NAMES)
    notes = np.asarray(notes, dtype=np.int64).reshape(-1, 4)
    n_tracks = max(TRACKS, int(notes[:, 0].max()) + 1 if len(notes) else 0)
    seconds_per_step = 60.0 / float(tempo) / STEPS_PER_BEAT
    pm = pretty_midi.PrettyMIDI(initial_tempo=float(tempo))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(int(time_signature[0]), int(time_signature[1]), 0.0))
    for t in range(n_tracks):
        inst = pretty_midi.Instrument(program=int(programs[t % len(programs)]),
                                      name=str(track_names[t % len(track_names)]))
        for _, start, dur, pitch in notes[notes[:, 0] == t]:
            if not 0 <= pitch <= 127 or dur <= 0:
                continue
            inst.notes.append(pretty_midi.Note(velocity=VELOCITY, pitch=int(pitch),
                                               start=start * seconds_per_step,
                                               end=(start + dur) * seconds_per_step))
        pm.instruments.append(inst)
    with atomic_path(path) as tmp:
        pm.write(str(tmp))


def roll_to_midi(roll: np.ndarray, path: str | os.PathLike, tempo: float = 100.0,
                 programs: Sequence[int] | None = None, track_names: Sequence[str] | None = None,
                 time_signature: tuple[int, int] = (4, 4)) -> None:
    """Write a roll ``(4, steps, 84)`` (bool or scores > 0.5) as MIDI."""
    notes_to_midi(roll_to_notes(roll), path, tempo=tempo, programs=programs,
                  track_names=track_names, time_signature=time_signature)
