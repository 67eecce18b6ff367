"""Fixed inputs for per-epoch samples, generation, and saving samples as MIDI.

Each epoch's samples come from the same latent vectors (and, for the
accompaniment model, the same melodies), so epoch-to-epoch changes in the
music come from learning, not from luck. They are drawn from their own
random generator, so making samples never changes the training's random
stream (a resumed run stays identical to an unbroken one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_TEMPO = 100.0
_SAMPLE_SEED_OFFSET = 7919  # keeps the fixed latents apart from the training stream


def latent_shape(generator) -> tuple[int, ...]:
    return tuple(generator.latent_shape())


def fixed_latents(generator, n: int, seed: int):
    """``n`` latent vectors that depend only on ``seed`` (CPU-drawn, so the
    same on every device)."""
    import torch

    g = torch.Generator().manual_seed(int(seed) + _SAMPLE_SEED_OFFSET)
    return torch.randn((n, *latent_shape(generator)), generator=g)


def fixed_melody_indices(n_segments: int, n: int, seed: int) -> np.ndarray:
    """Which training segments lend their melody to the fixed samples."""
    rng = np.random.default_rng(int(seed) + _SAMPLE_SEED_OFFSET)
    return rng.choice(n_segments, size=n, replace=n_segments < n)


def generate(generator, *, n: int | None = None, melody: np.ndarray | None = None,
             seed: int = 0, latents=None, device=None, batch_size: int = 64,
             write_out: bool = True) -> np.ndarray:
    """Pieces as note-state rolls (n, 4, steps, pitches), int8 (gan.data.roll).

    Accompaniment U-Net: pass ``melody`` (n, steps, pitches) or (steps,
    pitches), full 84-row rolls (a model trained on a pitch window crops
    them and puts its output back into full rolls); a note-state roll keeps
    its onsets, a bool roll counts each run of steps as one note. MuseGAN:
    pass ``n``. ``seed`` picks the latents (or pass ``latents``). The model
    is switched to eval mode and back.

    ``write_out``: write the notes out with the rules the generator was
    given at training (its ``part_writing``, from the real music: no
    parallel fifths or octaves where the genre avoids them, as many notes
    per bar as the genre, and re-struck notes' pitches chosen given their
    onsets; gan.models.part_writing).
    False: the composer's likeliest notes as they are (what the critic sees
    during training).
    """
    out = [_write(generator, probs, mel, write_out)
           for mel, probs in _probabilities(generator, n, melody, seed, latents, device, batch_size)]
    return generator.pitch_window.expand(np.concatenate(out))


@dataclass
class NoteWriter:
    """What writing notes out needs from a generator (``pieces_from``), and
    none of its weights: an epoch end judged in the background
    (gan.training.epoch_end) writes with this while the generator trains on."""

    pitch_window: Any
    monophonic: bool
    conditional: bool
    voices: tuple[int, ...]
    part_writing: Any  # gan.models.part_writing.PartWriting or None

    @classmethod
    def of(cls, generator) -> NoteWriter:
        return cls(generator.pitch_window, bool(generator.monophonic), bool(generator.conditional),
                   tuple(generator.voices), getattr(generator, "part_writing", None))


def pieces_from(generator, probs, melody_state=None, write_out: bool = True) -> np.ndarray:
    """``generate``'s pieces from probabilities ``note_probabilities`` gave
    (with its melody note-state roll for the accompaniment model);
    ``generator`` may be its ``NoteWriter``."""
    return generator.pitch_window.expand(_write(generator, probs, melody_state, write_out))


def _write(generator, probs, melody_state, write_out: bool) -> np.ndarray:
    """Notes decided from ``probs`` (CPU) under the melody, written out by
    the generator's rules when asked: (n, 4, T, window rows) int8."""
    import torch

    from gan.models import notes

    rules = getattr(generator, "part_writing", None) if write_out and generator.monophonic else None
    decided = rules.decide(probs, True) if rules is not None else notes.decide(probs, generator.monophonic)
    voices = notes.to_state(*decided)
    if generator.conditional:
        voices = torch.cat([torch.as_tensor(melody_state)[:, None].to(voices.dtype), voices], 1)
    pieces = voices.numpy()
    if rules is not None:
        pieces = rules.apply(pieces, probs.frames.numpy(), int(generator.conditional))
    return pieces


def note_probabilities(generator, *, melody: np.ndarray | None = None, n: int | None = None,
                       seed: int = 0, latents=None, device=None, batch_size: int = 64):
    """(melody note-state roll or None, the composer's ``NoteProbs``) for
    the inputs ``generate`` takes, all batches together on the CPU: what the
    notes are decided from (``pieces_from`` decides them;
    gan.models.part_writing fits its strengths on them)."""
    import torch

    from gan.models import notes

    batches = list(_probabilities(generator, n, melody, seed, latents, device, batch_size))

    def cat(values):
        return None if values[0] is None else torch.cat(values)

    parts = [probs for _, probs in batches]
    probs = notes.NoteProbs(*(cat([getattr(p, f) for p in parts])
                              for f in ("frames", "onsets", "rest", "pitch_logits", "onset_logits")))
    return cat([mel for mel, _ in batches]), probs


def _probabilities(generator, n, melody, seed, latents, device, batch_size):
    """(melody note-state batch or None, NoteProbs on the CPU) per batch of
    ``batch_size``, computed in inference mode with the model in eval mode."""
    import torch

    from gan.data.roll import frames, onsets
    from gan.models import notes

    conditional = generator.conditional
    window = generator.pitch_window
    if conditional:
        if melody is None:
            raise ValueError("the accompaniment model needs a melody roll (steps, pitches)")
        melody = np.asarray(melody)
        if melody.ndim == 2:
            melody = melody[None]
        if melody.shape[-1] == window.full != window.size:
            melody = window.crop(melody, "melody")
        expected = (generator.n_steps, generator.n_pitches)
        if melody.shape[1:] != expected:
            raise ValueError(f"melody must be (n, {expected[0]} steps, {expected[1]} pitches) "
                             f"for this model; got {tuple(melody.shape)}")
        n = len(melody)
        melody_state = frames(melody).astype(np.int8) + onsets(melody).astype(np.int8)
    elif n is None or n < 1:
        raise ValueError("MuseGAN needs n >= 1 pieces to generate")
    if device is None:
        device = next(generator.parameters()).device
    z = latents if latents is not None else fixed_latents(generator, n, seed)
    was_training = generator.training
    generator.eval()
    try:
        for start in range(0, n, batch_size):
            with torch.inference_mode():
                zb = z[start:start + batch_size].to(device)
                mel = None
                if conditional:
                    mel = torch.as_tensor(melody_state[start:start + batch_size], device=device)
                    probs = generator.probabilities(*notes.from_state(mel), zb)
                else:
                    probs = generator.probabilities(zb)
                probs = notes.NoteProbs(*(None if x is None else x.float().cpu() for x in (
                    probs.frames, probs.onsets, probs.rest, probs.pitch_logits, probs.onset_logits)))
            yield (None if mel is None else mel.cpu()), probs
    finally:
        generator.train(was_training)


def save_midi(roll: np.ndarray, path: str | os.PathLike, *, genre: str | None = None,
              tempo: float = DEFAULT_TEMPO) -> Path:
    """One roll (4, steps, pitches) -> a MIDI file with four named tracks
    (instruments and names for the genre), the tempo and 4/4; gan.data.midi_io
    writes it to a temporary name first."""
    from gan.data import midi_write

    path = Path(path)
    midi_write.roll_to_midi(roll, path, tempo=tempo, programs=midi_write.programs_for(genre),
                           track_names=midi_write.track_names_for(genre))
    return path
