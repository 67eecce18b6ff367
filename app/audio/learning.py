"""Hear a model learn: one piece of every epoch, in turn, as one recording.

A job writes the same pieces at every epoch (sample ``i`` always has the
same melody and latent), so piece ``i`` of epoch 1, 2, ... N played one
after the other is the model learning to write that piece. ``learning_audio``
renders them in order, each with its release tail, with a short silence
between epochs; ``export_learning_wav`` writes that as one WAV file and
returns where each epoch starts in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from app.audio.export import ExportError, check_target
from app.audio.render import render_midi, write_wav
from app.audio.synth import DEFAULT_SAMPLE_RATE

GAP_SECONDS = 0.75  # silence between two epochs: enough to hear a new take begin


def learning_audio(pieces: list[str | Path], soundfont=None, sample_rate: int = DEFAULT_SAMPLE_RATE,
                   programs: dict[int, int] | None = None, gap_seconds: float = GAP_SECONDS,
                   progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, list[float]]:
    """Float32 stereo of every piece in order, and each one's start in seconds."""
    if not pieces:
        raise ExportError("no pieces to put together: the job has written no samples yet")
    gap = np.zeros((int(round(gap_seconds * sample_rate)), 2), dtype=np.float32)
    parts: list[np.ndarray] = []
    starts: list[float] = []
    frames = 0
    for i, path in enumerate(pieces):
        if i:
            parts.append(gap)
            frames += len(gap)
        starts.append(frames / sample_rate)
        audio = render_midi(path, soundfont, sample_rate, programs)
        parts.append(audio)
        frames += len(audio)
        if progress is not None:
            progress(i + 1, len(pieces))
    return np.concatenate(parts), starts


def export_learning_wav(pieces: list[str | Path], dst, soundfont=None,
                        programs: dict[int, int] | None = None, gap_seconds: float = GAP_SECONDS,
                        progress: Callable[[int, int], None] | None = None) -> tuple[Path, list[float]]:
    """Write the pieces in order as one WAV; (its path, each piece's start in seconds)."""
    dst = Path(dst)
    check_target(dst, (".wav",))
    audio, starts = learning_audio(pieces, soundfont, DEFAULT_SAMPLE_RATE, programs, gap_seconds, progress)
    return write_wav(dst, audio, DEFAULT_SAMPLE_RATE), starts
