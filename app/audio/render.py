"""Offline rendering: a MIDI file to float32 stereo audio or a WAV file.

A rendered file does not stop dead at the last note-off: the notes' release
and the soundfont's reverb ring on (up to ``MAX_TAIL_SECONDS``) until they
fall below ``TAIL_FLOOR_DB`` of the piece's peak, and the last
``END_FADE_SECONDS`` fade to zero so the file ends without a click. The
player keeps to the MIDI length instead (its audio lines up with the roll).
"""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np

from gan.util.atomic import atomic_path

from app.audio.score import Score, load_score
from app.audio.soundfonts import SoundfontError, default_soundfont
from app.audio.synth import DEFAULT_SAMPLE_RATE, StemRenderer

MAX_TAIL_SECONDS = 4.0  # longest release + reverb kept after the last note-off
TAIL_FLOOR_DB = -60.0  # the tail ends where it stays this far below the peak
END_FADE_SECONDS = 0.02  # the last moments fade to exactly zero: no click


def resolve_soundfont(soundfont=None) -> Path:
    if soundfont is not None:
        return Path(soundfont)
    default = default_soundfont()
    if default is None:
        raise SoundfontError(
            "no General MIDI soundfont found: reinstall pretty_midi (it bundles TimGM6mb.sf2), "
            "put an .sf2 file in resources/soundfonts/, or set POLYPHONY_SOUNDFONT to one"
        )
    return default.path


def tracks_to_play(n_tracks: int, mute=(), solo=()) -> set[int]:
    """Solo wins over mute, as on a mixing desk."""
    solo = set(solo)
    if solo:
        return {i for i in range(n_tracks) if i in solo}
    return {i for i in range(n_tracks) if i not in set(mute)}


def render_score(score: Score, soundfont=None, sample_rate: int = DEFAULT_SAMPLE_RATE,
                 programs: dict[int, int] | None = None, mute=(), solo=(), tempo: float = 1.0,
                 tail: bool = True) -> np.ndarray:
    """Float32 stereo (frames, 2): the piece, then (``tail``) its release tail."""
    play = tracks_to_play(len(score.tracks), mute, solo)
    # export is a foreground job: let FluidSynth spread voices over the cores
    # (the player's background render stays on one, to leave the GUI its share)
    with StemRenderer(score, resolve_soundfont(soundfont), sample_rate=sample_rate, tempo=tempo,
                      programs=programs, per_track=False, play_tracks=play,
                      tail_seconds=MAX_TAIL_SECONDS if tail else 0.0,
                      cpu_cores=min(4, os.cpu_count() or 1)) as renderer:
        planar = renderer.render_all()
    audio = np.ascontiguousarray(planar[0].T)  # (frames, 2)
    if not tail:
        return audio
    music_end = int(round(score.end_seconds / tempo * sample_rate))
    return end_tail(audio, music_end, sample_rate)


def end_tail(audio: np.ndarray, music_end: int, sample_rate: int) -> np.ndarray:
    """Cut ``audio`` where its tail after ``music_end`` has decayed below
    ``TAIL_FLOOR_DB`` of the peak, and fade the last ``END_FADE_SECONDS``."""
    level = np.abs(audio).max(axis=1) if audio.ndim == 2 else np.abs(audio)
    floor = float(level.max(initial=0.0)) * 10 ** (TAIL_FLOOR_DB / 20)
    loud = np.flatnonzero(level[music_end:] > floor)
    end = music_end + (int(loud[-1]) + 1 if loud.size else 0)
    end = min(len(audio), end + int(END_FADE_SECONDS * sample_rate))
    out = audio[:end].copy()
    n = min(end, int(END_FADE_SECONDS * sample_rate))
    if n > 0:
        ramp = np.cos(np.linspace(0.0, np.pi / 2, n, dtype=np.float32)) ** 2  # 1 -> 0, smooth start
        ramp[-1] = 0.0
        out[end - n:] *= ramp[:, None] if out.ndim == 2 else ramp
    return out


def render_midi(midi_path, soundfont=None, sample_rate: int = DEFAULT_SAMPLE_RATE,
                programs: dict[int, int] | None = None, mute=(), solo=(), tempo: float = 1.0,
                tail: bool = True) -> np.ndarray:
    """Render a MIDI file to float32 stereo, shape (frames, 2), with its release tail.

    ``programs`` maps track index -> General MIDI program to override the file's instruments.
    """
    return render_score(load_score(midi_path), soundfont, sample_rate, programs, mute, solo, tempo, tail)


def write_wav(path, audio: np.ndarray, sample_rate: int = DEFAULT_SAMPLE_RATE) -> Path:
    """16-bit PCM WAV; written to a temporary name first so a failure leaves no half file."""
    path = Path(path)
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[:, None]
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    with atomic_path(path) as tmp, wave.open(str(tmp), "wb") as fh:
        fh.setnchannels(audio.shape[1])
        fh.setsampwidth(2)
        fh.setframerate(int(sample_rate))
        fh.writeframes(pcm.tobytes())
    return path


def read_wav(path) -> tuple[np.ndarray, int]:
    """(float32 audio (frames, channels), sample rate) from a 16-bit PCM WAV."""
    with wave.open(str(path), "rb") as fh:
        rate = fh.getframerate()
        channels = fh.getnchannels()
        data = np.frombuffer(fh.readframes(fh.getnframes()), dtype="<i2")
    return data.reshape(-1, channels).astype(np.float32) / 32767.0, rate


def render_file(midi_path, wav_path, soundfont=None, sample_rate: int = DEFAULT_SAMPLE_RATE,
                programs: dict[int, int] | None = None, mute=(), solo=()) -> Path:
    audio = render_midi(midi_path, soundfont, sample_rate, programs, mute, solo)
    return write_wav(wav_path, audio, sample_rate)
