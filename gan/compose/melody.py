"""The melody that the accompaniment model is given: reading and checking it.

A ``Melody`` keeps the tune's notes exactly as they were given (16th steps
from the start of the file, MIDI pitches) plus everything the exported
result must keep: tempo map, time signatures, key signatures, the melody's
instrument. Composing never changes these notes; it only shifts a copy of
them (pick-up padding, octave transposition) for the model.

Refusals (``MelodyError``, a ``ValueError`` whose text is the reason):
a file that is not 4/4, that holds no notes, or that holds only drums, and
a melody too wide for the model's pitch range.

Pick-up bars: a file whose bar lines are shifted by an anacrusis says so
the way notation programs export it: a short first bar (for example a 1/4
time signature at the start) followed by 4/4 from the first downbeat. Such
a file counts as 4/4 with a pick-up of that length; a pick-up can also be
given by hand (``pickup_beats``) for files that do not say it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gan.data.roll import STEPS_PER_BAR, STEPS_PER_BEAT

# Bars of 16 steps in these metres; 2/2 (alla breve) is a 4/4 bar counted in halves.
FOUR_FOUR_LIKE = ((4, 4), (2, 2))


class MelodyError(ValueError):
    """A melody Polyphony will not accompany; ``str(exc)`` says why."""


@dataclass
class MidiTrackInfo:
    """One non-drum track of a MIDI file, for "which track is the melody?"."""

    index: int  # as in gan.data.midi_io.midi_to_notes (non-drum instruments, in order)
    name: str
    program: int
    n_notes: int
    lowest: int
    highest: int
    polyphonic: bool  # notes overlap: a top line would be taken

    def label(self) -> str:
        name = self.name.strip() or f"track {self.index + 1}"
        if not self.n_notes:
            return f"{self.index + 1}: {name} (empty)"
        chords = ", chords: top line" if self.polyphonic else ""
        return f"{self.index + 1}: {name} ({self.n_notes} notes, MIDI {self.lowest}-{self.highest}{chords})"


@dataclass
class Melody:
    name: str
    notes: np.ndarray  # (n, 3) int: start step, duration in steps, MIDI pitch
    tempo: float = 100.0  # first tempo, quarter notes per minute
    pickup_steps: int = 0  # length of the anacrusis; 0 = starts on a bar line
    tempo_map: list[tuple[float, float]] = field(default_factory=list)  # (beat, bpm), for export
    time_signatures: list[tuple[float, int, int]] = field(default_factory=list)  # (beat, num, den)
    key_signatures: list[tuple[float, str]] = field(default_factory=list)  # (beat, "Eb", "F#m", ...)
    program: int = 0
    track_name: str = "melody"
    messages: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.notes = np.asarray(self.notes, dtype=np.int64).reshape(-1, 3)
        if len(self.notes):
            self.notes = self.notes[np.lexsort((-self.notes[:, 2], self.notes[:, 0]))]
        if not self.tempo_map:
            self.tempo_map = [(0.0, float(self.tempo))]
        if not self.time_signatures:
            self.time_signatures = _pickup_signatures(self.pickup_steps)

    @property
    def end_step(self) -> int:
        return int((self.notes[:, 0] + self.notes[:, 1]).max()) if len(self.notes) else 0

    @property
    def n_bars(self) -> int:
        """Bars the melody spans, counted on its own bar lines (pick-up aware)."""
        pad = padding_for(self.pickup_steps)
        return -(-(pad + self.end_step) // STEPS_PER_BAR)

    def check(self) -> "Melody":
        if len(self.notes) == 0:
            raise MelodyError(f"{self.name}: the melody is empty (no notes)")
        if not 0 <= self.pickup_steps < STEPS_PER_BAR:
            raise MelodyError(f"{self.name}: a pick-up must be shorter than a 4/4 bar "
                              f"(0 to 3.75 beats), not {self.pickup_steps / STEPS_PER_BEAT:g} beats")
        if (self.notes[:, 0] < 0).any() or (self.notes[:, 1] < 1).any():
            raise MelodyError(f"{self.name}: notes must start at step 0 or later and last at least one step")
        return self


def padding_for(pickup_steps: int) -> int:
    """Steps of silence put in front so the first downbeat lands on a bar line."""
    return (STEPS_PER_BAR - int(pickup_steps)) % STEPS_PER_BAR


def _pickup_signatures(pickup_steps: int) -> list[tuple[float, int, int]]:
    """A short first bar then 4/4: how notation programs write a pick-up."""
    if not pickup_steps:
        return [(0.0, 4, 4)]
    if pickup_steps % STEPS_PER_BEAT == 0:
        first = (pickup_steps // STEPS_PER_BEAT, 4)
    elif pickup_steps % 2 == 0:
        first = (pickup_steps // 2, 8)
    else:
        first = (pickup_steps, 16)
    return [(0.0, *first), (pickup_steps / STEPS_PER_BEAT, 4, 4)]


def top_line(notes: np.ndarray) -> tuple[np.ndarray, int]:
    """The highest line of a track that has chords or a bass under the tune.

    At each onset the highest note wins; a note that starts under a higher
    note still sounding is dropped; a kept note is cut short where the next
    kept note starts. Returns (notes (n, 3), how many notes were left out).
    """
    notes = np.asarray(notes, dtype=np.int64).reshape(-1, 3)
    if len(notes) == 0:
        return notes, 0
    order = np.lexsort((-notes[:, 2], notes[:, 0]))
    kept: list[list[int]] = []
    for start, dur, pitch in notes[order]:
        if kept:
            prev = kept[-1]
            if start == prev[0]:
                continue  # a lower note of the same chord
            if start < prev[0] + prev[1] and pitch < prev[2]:
                continue  # under a melody note that still sounds
            prev[1] = min(prev[1], start - prev[0])
        kept.append([int(start), int(dur), int(pitch)])
    out = np.array(kept, dtype=np.int64).reshape(-1, 3)
    return out, len(notes) - len(out)


def is_polyphonic(notes: np.ndarray) -> bool:
    """Do any two notes of this track sound at once?"""
    notes = np.asarray(notes).reshape(-1, 3)
    if len(notes) < 2:
        return False
    order = np.argsort(notes[:, 0], kind="stable")
    starts, ends = notes[order, 0], notes[order, 0] + notes[order, 1]
    return bool((starts[1:] < np.maximum.accumulate(ends)[:-1]).any())


# -- MIDI files ---------------------------------------------------------------

@dataclass
class _MetaEvents:
    ticks_per_beat: int
    tempos: list[tuple[int, float]]  # (tick, bpm)
    signatures: list[tuple[int, int, int]]  # (tick, num, den)
    keys: list[tuple[int, str]]  # (tick, key)


def _meta_events(path: Path) -> _MetaEvents:
    """Tempo, time-signature and key events with absolute ticks (all tracks)."""
    import mido

    mid = mido.MidiFile(str(path))
    tempos, sigs, keys = [], [], []
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((tick, float(mido.tempo2bpm(msg.tempo))))
            elif msg.type == "time_signature":
                sigs.append((tick, int(msg.numerator), int(msg.denominator)))
            elif msg.type == "key_signature":
                keys.append((tick, str(msg.key)))
    dedupe = lambda rows: sorted(dict((r[0], r) for r in sorted(rows, key=lambda r: r[0])).values())  # noqa: E731
    return _MetaEvents(mid.ticks_per_beat, dedupe(tempos), dedupe(sigs), dedupe(keys))


def _pickup_from_signatures(sigs: list[tuple[int, int, int]], tpb: int, name: str) -> int:
    """Pick-up length in steps from the time signatures; refuses other metres."""
    if not sigs:
        return 0  # no time signature: MIDI's default is 4/4
    steps_per_tick = STEPS_PER_BEAT / tpb
    first_tick, num, den = sigs[0]
    bar_steps = num * STEPS_PER_BAR / den
    rest = sigs[1:]
    if (first_tick == 0 and (num, den) not in FOUR_FOUR_LIKE and bar_steps < STEPS_PER_BAR
            and rest and all((n, d) in FOUR_FOUR_LIKE for _, n, d in rest)
            and abs(rest[0][0] * steps_per_tick - bar_steps) < 1e-6 and float(bar_steps).is_integer()):
        return int(bar_steps)  # a short first bar, then 4/4: a pick-up
    for tick, n, d in sigs:
        if (n, d) not in FOUR_FOUR_LIKE:
            bar = 1 + int(tick * steps_per_tick // STEPS_PER_BAR)
            where = "" if tick == 0 else f" from about bar {bar}"
            raise MelodyError(f"{name}: the music is in {n}/{d}{where}; Polyphony's models "
                              f"play 4/4 only, so it cannot accompany it")
    return 0


def midi_tracks(path: str | os.PathLike) -> list[MidiTrackInfo]:
    """The file's non-drum tracks (``MidiReadError`` if it cannot be read)."""
    from gan.data.midi_io import read_midi

    content = read_midi(path)
    out = []
    for inst, name, program, drum in zip(content.instruments, content.names,
                                         content.programs, content.is_drum):
        if drum:
            continue
        out.append(MidiTrackInfo(index=len(out), name=name, program=int(program), n_notes=len(inst),
                                 lowest=int(inst[:, 2].min()) if len(inst) else 0,
                                 highest=int(inst[:, 2].max()) if len(inst) else 0,
                                 polyphonic=is_polyphonic(inst)))
    return out


def melody_from_midi(path: str | os.PathLike, track: int | None = None,
                     pickup_beats: float | None = None) -> Melody:
    """The melody of a MIDI file.

    ``track`` indexes the file's non-drum tracks (as ``midi_tracks`` lists
    them); ``None`` takes the first one that has notes. A track with chords
    or a bass under the tune gives its top line. ``pickup_beats`` overrides
    the pick-up found in the file's time signatures.
    """
    from gan.data.midi_io import MidiReadError, read_midi

    path = Path(path)
    name = path.name
    try:
        content = read_midi(path)
        meta = _meta_events(path)
    except MidiReadError as exc:
        raise MelodyError(f"{name}: {exc}") from None
    except Exception as exc:  # mido on a file pretty_midi accepted: still the file's fault
        raise MelodyError(f"{name}: unreadable MIDI: {type(exc).__name__}: {exc}"[:300]) from None

    pickup = _pickup_from_signatures(meta.signatures, meta.ticks_per_beat, name)
    tracks = [(inst, n, p) for inst, n, p, drum in zip(content.instruments, content.names,
                                                       content.programs, content.is_drum) if not drum]
    drums_with_notes = sum(1 for inst, drum in zip(content.instruments, content.is_drum)
                           if drum and len(inst))
    if not any(len(inst) for inst, _, _ in tracks):
        if drums_with_notes:
            raise MelodyError(f"{name}: the file holds only drums (channel 10); there is no "
                              f"melody to accompany")
        raise MelodyError(f"{name}: the file holds no notes; there is no melody to accompany")
    messages = []
    if track is None:
        track = next(i for i, (inst, _, _) in enumerate(tracks) if len(inst))
        if sum(1 for inst, _, _ in tracks if len(inst)) > 1:
            label = tracks[track][1].strip() or f"track {track + 1}"
            messages.append(f"The file has several tracks; using track {track + 1} ({label}) "
                            f"as the melody (choose another with the track setting).")
    elif not 0 <= int(track) < len(tracks):
        raise MelodyError(f"{name}: there is no track {int(track) + 1}; the file has "
                          f"{len(tracks)} non-drum track(s)")
    inst, track_name, program = tracks[int(track)]
    if len(inst) == 0:
        raise MelodyError(f"{name}: track {int(track) + 1} ({track_name.strip() or 'unnamed'}) "
                          f"is empty; choose a track with notes")
    notes = inst
    if is_polyphonic(inst):
        notes, dropped = top_line(inst)
        messages.append(f"Track {int(track) + 1} plays chords or several lines; its top line "
                        f"({len(notes)} notes) is the melody, {dropped} lower notes left out.")
    if content.off_grid_notes:
        messages.append(f"{content.off_grid_notes} note(s) off the 16th-note grid were rounded to it.")
    if content.tempo_changes:
        messages.append(f"The file has {content.tempo_changes} tempo change(s); they are kept.")
    if pickup_beats is not None:
        pickup = _pickup_steps(pickup_beats, name)
    tpb = float(meta.ticks_per_beat)
    melody = Melody(
        name=name, notes=notes, tempo=content.tempo, pickup_steps=pickup,
        tempo_map=[(t / tpb, bpm) for t, bpm in meta.tempos] or [(0.0, content.tempo)],
        time_signatures=([(t / tpb, n, d) for t, n, d in meta.signatures]
                         if pickup_beats is None and meta.signatures else []),
        key_signatures=[(t / tpb, k) for t, k in meta.keys],
        program=int(program), track_name=track_name.strip() or "melody", messages=messages)
    return melody.check()


def _pickup_steps(beats: float, name: str) -> int:
    steps = float(beats) * STEPS_PER_BEAT
    if not steps.is_integer() or not 0 <= steps < STEPS_PER_BAR:
        raise MelodyError(f"{name}: a pick-up of {beats:g} beats is not possible: give 0 to 3.75 "
                          f"beats in steps of a 16th (0.25)")
    return int(steps)


def melody_from_notes(name: str, notes: np.ndarray, *, tempo: float = 100.0,
                      pickup_beats: float = 0.0, key: str | None = None, program: int = 0) -> Melody:
    """A melody from note rows (start, duration, pitch) or (track, start, duration, pitch)."""
    notes = np.asarray(notes, dtype=np.int64)
    if notes.ndim == 2 and notes.shape[1] == 4:
        notes = notes[:, 1:]
    if not 0 < float(tempo) <= 1000:
        raise MelodyError(f"{name}: tempo must be in (0, 1000] beats per minute, not {tempo}")
    pickup = _pickup_steps(pickup_beats, name)
    return Melody(name=name, notes=notes, tempo=float(tempo), pickup_steps=pickup,
                  key_signatures=[(0.0, key)] if key else [], program=program).check()
