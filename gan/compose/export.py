"""Writing composed music as MIDI, keeping what the input said about time and key.

Written with mido rather than pretty_midi because the input's whole tempo
map, its time signatures (including a pick-up's short first bar) and its
key signatures go back in at their exact beats. The melody is track one,
and it also carries those meta events, so "track one" holds the tune in
every program (none of them sees an extra conductor-only track).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from gan.compose.melody import Melody
from gan.data.roll import STEPS_PER_BEAT, VOICE_NAMES
from gan.util.atomic import atomic_path

TICKS_PER_BEAT = 480
VELOCITY = 80
ACCOMPANIMENT_NAMES = VOICE_NAMES[1:]


def _channel(track: int) -> int:
    return track if track < 9 else track + 1  # channel 10 (index 9) is for drums


def write_composition(path: str | os.PathLike, notes: np.ndarray, melody: Melody | None = None, *,
                      programs: Sequence[int] | None = None, track_names: Sequence[str] | None = None,
                      tempo: float = 100.0) -> Path:
    """Write note rows (track, start, duration, pitch) as a four-track MIDI file.

    With ``melody``: its tempo map, time and key signatures, instrument and
    name are kept, and track 0 is named after it. ``programs`` /
    ``track_names`` give the four tracks' instruments and names (the melody's
    own instrument wins for track 0). Written to a temporary name first.
    """
    import mido

    notes = np.asarray(notes, dtype=np.int64).reshape(-1, 4)
    programs = list(programs or (0, 0, 0, 0))
    names = list(track_names or VOICE_NAMES)
    if melody is not None:
        programs[0] = melody.program
        names[0] = melody.track_name
        tempo_map = melody.tempo_map
        signatures = melody.time_signatures
        keys = melody.key_signatures
    else:
        tempo_map, signatures, keys = [(0.0, float(tempo))], [(0.0, 4, 4)], []
    tick = lambda beat: int(round(float(beat) * TICKS_PER_BEAT))  # noqa: E731
    step_ticks = TICKS_PER_BEAT // STEPS_PER_BEAT

    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    for t in range(4):
        events: list[tuple[int, int, object]] = []  # (tick, order, message)
        if t == 0:
            for beat, bpm in tempo_map:
                events.append((tick(beat), 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))))
            for beat, num, den in signatures:
                events.append((tick(beat), 0, mido.MetaMessage("time_signature", numerator=num,
                                                                denominator=den)))
            for beat, key in keys:
                try:
                    events.append((tick(beat), 0, mido.MetaMessage("key_signature", key=key)))
                except (ValueError, KeyError):
                    pass  # a key name mido does not know: leave it out rather than fail
        channel = _channel(t)
        events.append((0, 0, mido.MetaMessage("track_name", name=str(names[t % len(names)]))))
        events.append((0, 1, mido.Message("program_change", program=int(programs[t % len(programs)]) & 127,
                                          channel=channel)))
        for _, start, dur, pitch in notes[notes[:, 0] == t].tolist():
            if not 0 <= pitch <= 127 or dur <= 0:
                continue
            # note-offs sort before note-ons at the same tick: repeated notes stay apart.
            # Notes are made only once their delta time is known (mido checks every
            # field of every message it builds, which dominates large files).
            events.append((start * step_ticks, 3, ("note_on", pitch, VELOCITY)))
            events.append(((start + dur) * step_ticks, 2, ("note_off", pitch, 0)))
        track = mido.MidiTrack()
        now = 0
        for at, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
            if isinstance(msg, tuple):
                kind, pitch, velocity = msg
                track.append(mido.Message(kind, note=pitch, velocity=velocity, channel=channel,
                                          time=at - now))
            else:
                track.append(msg.copy(time=at - now))
            now = at
        track.append(mido.MetaMessage("end_of_track", time=0))
        mid.tracks.append(track)
    path = Path(path)
    with atomic_path(path) as tmp:
        mid.save(str(tmp))
    return path


def write_roll(path: str | os.PathLike, roll: np.ndarray, *, programs: Sequence[int] | None = None,
               track_names: Sequence[str] | None = None, tempo: float = 100.0) -> Path:
    """A generated piece (4, steps, pitches) as MIDI (4/4, one tempo)."""
    from gan.data.roll import roll_to_notes

    return write_composition(path, roll_to_notes(roll), None, programs=programs,
                             track_names=track_names, tempo=tempo)
