"""A MIDI file read once into what the renderer and the piano roll need.

Times are kept in seconds as the file plays at its own tempo ("score
seconds"); the player scales them for a tempo change, and converts them to
piano-roll steps (4 per quarter note, gan/data/roll.py) through the file's tick
map so tempo changes inside a file stay right.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gan.data.roll import STEPS_PER_BEAT

DRUM_CHANNEL = 9


class ScoreError(ValueError):
    """A MIDI file that is missing or cannot be read; the message names it."""


@dataclass
class ScoreTrack:
    name: str
    program: int
    is_drum: bool
    channel: int
    # rows (start seconds, end seconds, pitch, velocity)
    notes: np.ndarray
    controls: list[tuple[float, int, int]] = field(default_factory=list)
    bends: list[tuple[float, int]] = field(default_factory=list)


@dataclass
class Score:
    path: Path
    tracks: list[ScoreTrack]
    end_seconds: float
    tempo_bpm: float
    time_signature: tuple[int, int]
    _midi: object  # pretty_midi.PrettyMIDI, for the tick map

    @property
    def n_channels(self) -> int:
        return 1 + max((t.channel for t in self.tracks), default=0)

    def seconds_to_steps(self, seconds: float) -> float:
        pm = self._midi
        seconds = max(0.0, float(seconds))
        # time_to_tick rounds to whole ticks; interpolate for a smooth playhead
        tick = int(pm.time_to_tick(seconds))
        t0 = pm.tick_to_time(tick)
        t1 = pm.tick_to_time(tick + 1)
        frac = (seconds - t0) / (t1 - t0) if t1 > t0 else 0.0
        return (tick + frac) * STEPS_PER_BEAT / pm.resolution

    def steps_to_seconds(self, steps: float) -> float:
        pm = self._midi
        ticks = max(0.0, float(steps)) * pm.resolution / STEPS_PER_BEAT
        whole = int(ticks)
        t0 = pm.tick_to_time(whole)
        t1 = pm.tick_to_time(whole + 1)
        return t0 + (ticks - whole) * (t1 - t0)

    @property
    def n_steps(self) -> int:
        return int(np.ceil(self.seconds_to_steps(self.end_seconds) - 1e-6))

    def note_rows(self) -> np.ndarray:
        """Integer rows (track, start step, duration steps, pitch), like gan/data/roll.py."""
        rows = []
        for index, track in enumerate(self.tracks):
            for start, end, pitch, _vel in track.notes:
                a = int(round(self.seconds_to_steps(start)))
                b = int(round(self.seconds_to_steps(end)))
                rows.append((index, a, max(1, b - a), int(pitch)))
        if not rows:
            return np.zeros((0, 4), dtype=np.int32)
        return np.asarray(rows, dtype=np.int32)


def _with_silent_tracks(pm, path: Path) -> list:
    """pretty_midi's instruments, plus the named tracks it drops for having no notes.

    A generated sample whose alto is silent still has four tracks; keeping the
    silent one in place keeps track indices (colours, mute, instruments)
    the same across epochs.
    """
    import mido
    import pretty_midi

    try:
        midi = mido.MidiFile(str(path))
    except Exception:
        return list(pm.instruments)
    declared = []
    for track in midi.tracks:
        name, program, channel, has_notes = None, None, None, False
        for msg in track:
            if msg.type == "track_name" and name is None:
                name = msg.name
            elif msg.type == "program_change" and program is None:
                program, channel = msg.program, msg.channel
            elif msg.type == "note_on":
                has_notes = True
        if program is not None or has_notes:
            declared.append((name or "", program or 0, channel == DRUM_CHANNEL, has_notes))
    remaining = list(pm.instruments)
    ordered = []
    for name, program, is_drum, has_notes in declared:
        match = next((i for i in remaining if i.name == name and i.program == program), None)
        if match is not None:
            remaining.remove(match)
            ordered.append(match)
        elif not has_notes:
            ordered.append(pretty_midi.Instrument(program=program, is_drum=is_drum, name=name))
    return ordered + remaining


def load_score(path: str | os.PathLike) -> Score:
    path = Path(path)
    if not path.is_file():
        raise ScoreError(f"MIDI file not found: {path}")
    import pretty_midi

    try:
        pm = pretty_midi.PrettyMIDI(str(path))
    except Exception as exc:  # mido/pretty_midi raise many kinds on bad files
        raise ScoreError(f"{path} is not a readable MIDI file: {exc}") from exc
    tracks = []
    next_channel = 0
    for inst in _with_silent_tracks(pm, path):
        if inst.is_drum:
            channel = DRUM_CHANNEL
        else:
            channel = next_channel % 16
            if channel == DRUM_CHANNEL:
                channel += 1
            next_channel = channel + 1
        notes = np.array([(n.start, n.end, n.pitch, n.velocity) for n in inst.notes], dtype=np.float64)
        notes = notes.reshape(-1, 4)
        tracks.append(ScoreTrack(
            name=inst.name or pretty_midi.program_to_instrument_name(inst.program),
            program=int(inst.program), is_drum=bool(inst.is_drum), channel=channel, notes=notes,
            controls=[(c.time, c.number, c.value) for c in inst.control_changes],
            bends=[(b.time, b.pitch) for b in inst.pitch_bends],
        ))
    tempo_times, tempi = pm.get_tempo_changes()
    ts = pm.time_signature_changes
    return Score(
        path=path, tracks=tracks, end_seconds=float(pm.get_end_time()),
        tempo_bpm=float(tempi[0]) if len(tempi) else 120.0,
        time_signature=(ts[0].numerator, ts[0].denominator) if ts else (4, 4),
        _midi=pm,
    )
