"""MIDI files for the audio tests, written with pretty_midi (real files on disk); no tests here."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_a4(path: Path, seconds: float = 2.0, program: int = 0) -> Path:
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=program, name="A4")
    inst.notes.append(pretty_midi.Note(velocity=100, pitch=69, start=0.0, end=seconds))
    pm.instruments.append(inst)
    pm.write(str(path))
    return path


def write_sample(path: Path, bars: int = 2, tempo: float = 100.0, seed: int = 0, genre: str = "chorale") -> Path:
    """A four-voice sample as the training loop writes it (gan.data.midi_io on the 16-step grid)."""
    from gan.data.midi_write import notes_to_midi, programs_for, track_names_for

    rng = np.random.default_rng(seed)
    rows = []
    for track, low in enumerate((67, 60, 52, 40)):
        start = 0
        while start < bars * 16:
            dur = int(rng.choice([2, 4, 4, 8]))
            dur = min(dur, bars * 16 - start)
            rows.append((track, start, dur, low + int(rng.integers(0, 10))))
            start += dur
    notes_to_midi(np.array(rows), path, tempo=tempo, programs=programs_for(genre),
                  track_names=track_names_for(genre))
    return path


def dominant_frequency(audio: np.ndarray, sample_rate: int) -> float:
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1.0 / sample_rate)[int(np.argmax(spectrum))])
