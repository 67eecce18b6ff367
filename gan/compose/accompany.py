"""Using a trained model: accompany a whole melody (U-Net), write new pieces (MuseGAN).

Accompaniment, for a melody of any length
-----------------------------------------
The U-Net sees windows of ``bars_per_sample`` bars. The melody is cut into
windows that overlap by one bar (hop = window - 1 bar; with one-bar models
the windows just follow each other), every window of a take uses the *same*
latent vector, and the windows' note probabilities are crossfaded across
each overlap bar (the earlier window's weight falls linearly from 1 to 0 over
the bar while the later one's rises) before they become notes. Both windows
saw the same melody in that bar, so their voices already agree roughly; the
crossfade makes the hand-over gradual, so voices join up across windows
instead of jumping at a window edge.

Around that:

- a pick-up is padded at the front so the first downbeat lands on a bar
  line, and the padding is removed again on output;
- a melody outside the model's range is moved by whole octaves for the
  model and the accompaniment is moved back, so the result keeps the
  melody's own register (and says so in ``messages``);
- the melody in the result is the given note rows, untouched.

Generation (MuseGAN)
--------------------
``generate_pieces`` writes N pieces from one seed (the seed picks N latent
vectors); ``interpolate`` walks between two seeds' latents (spherical
interpolation, which keeps the Gaussian's norm so the in-between pieces
are as "typical" as the ends).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from gan.compose.melody import Melody, MelodyError, padding_for
from gan.data.roll import HIGHEST_PITCH, LOWEST_PITCH, N_PITCHES, STEPS_PER_BAR, notes_to_roll, roll_to_notes

__all__ = ["Take", "Accompaniment", "load_model", "octave_shift", "accompany",
           "generate_pieces", "interpolate", "ComposeError"]


class ComposeError(ValueError):
    """The model cannot do what was asked (wrong kind of job, ...)."""


@dataclass
class Take:
    seed: int
    notes: np.ndarray  # (n, 4) track, start, duration, pitch; track 0 = the melody as given

    @property
    def label(self) -> str:
        return f"seed {self.seed}"

    def roll(self, n_steps: int | None = None) -> np.ndarray:
        """Note-state roll (4, steps, 84) for display (notes outside the roll's range left out)."""
        end = int((self.notes[:, 1] + self.notes[:, 2]).max()) if len(self.notes) else 0
        return notes_to_roll(self.notes, n_steps or -(-end // STEPS_PER_BAR) * STEPS_PER_BAR)


@dataclass
class Accompaniment:
    melody: Melody
    takes: list[Take]
    transpose: int  # semitones the model's copy of the melody was moved (a multiple of 12)
    messages: list[str] = field(default_factory=list)


def load_model(path: str | os.PathLike, device: str = "cpu"):
    """(generator in eval mode, TrainConfig) from a checkpoint file."""
    from gan.training.inference import load_generator

    return load_generator(path, device=device)


def octave_shift(pitches: np.ndarray, preferred: tuple[int, int] | None = None,
                 hard: tuple[int, int] = (LOWEST_PITCH, HIGHEST_PITCH)) -> int:
    """Semitones (a multiple of 12) that bring ``pitches`` into range.

    Every note must fit in ``hard`` (the roll's range), else ``MelodyError``.
    Among the shifts that fit, the one leaving the fewest notes outside
    ``preferred`` (where the model's melodies lay in training) wins; ties go
    to the smallest move, so a melody already in range is not moved.
    """
    pitches = np.asarray(pitches)
    low, high = int(pitches.min()), int(pitches.max())
    if high - low > hard[1] - hard[0]:
        raise MelodyError(f"the melody spans {high - low} semitones (MIDI {low}-{high}), more than "
                          f"the model's range of {hard[1] - hard[0]} (MIDI {hard[0]}-{hard[1]})")
    fits = [k * 12 for k in range(-10, 11) if hard[0] <= low + k * 12 and high + k * 12 <= hard[1]]
    if not fits:  # cannot happen for a span that fits, but be explicit
        raise MelodyError(f"the melody (MIDI {low}-{high}) cannot be moved by octaves into "
                          f"MIDI {hard[0]}-{hard[1]}")
    if preferred is None:
        return min(fits, key=abs)
    lo, hi = preferred

    def outside(shift: int) -> int:
        moved = pitches + shift
        return int(np.count_nonzero((moved < lo) | (moved > hi)))

    return min(fits, key=lambda s: (outside(s), abs(s)))


def _window_starts(total: int, window: int) -> list[int]:
    hop = window - STEPS_PER_BAR if window > STEPS_PER_BAR else window
    starts = [0]
    while starts[-1] + window < total:
        starts.append(starts[-1] + hop)
    return starts


def _crossfade_weights(window: int, first: bool, last: bool, overlap: int) -> np.ndarray:
    w = np.ones(window, dtype=np.float32)
    if overlap:
        ramp = (np.arange(overlap, dtype=np.float32) + 1) / (overlap + 1)
        if not first:
            w[:overlap] = ramp
        if not last:
            w[-overlap:] = ramp[::-1]
    return w


def _latent(generator, seed: int):
    import torch

    from gan.training.sampling import latent_shape

    g = torch.Generator().manual_seed(int(seed))
    return torch.randn((1, *latent_shape(generator)), generator=g)


def accompany(generator, melody: Melody, seeds: list[int] | tuple[int, ...] = (0,), *,
              preferred_range: tuple[int, int] | None = None) -> Accompaniment:
    """Three voices under the whole ``melody``, one take per seed (see the module notes)."""
    import torch

    from gan.models import notes as note_maps

    if not getattr(generator, "conditional", False):
        raise ComposeError("this model writes pieces from noise (MuseGAN); it does not accompany "
                           "a melody: generate pieces instead")
    offset, size = _pitch_rows(generator)
    melody.check()
    if not seeds:
        raise ComposeError("ask for at least one take (one seed)")
    messages = list(melody.messages)
    hard = (LOWEST_PITCH + offset, LOWEST_PITCH + offset + size - 1)
    shift = octave_shift(melody.notes[:, 2], preferred_range, hard)
    if shift:
        direction = "up" if shift > 0 else "down"
        octaves = abs(shift) // 12
        where = (f"MIDI {preferred_range[0]}-{preferred_range[1]}, where its melodies lay in training"
                 if preferred_range else f"MIDI {hard[0]}-{hard[1]}")
        messages.append(f"The melody lies outside the model's range ({where}): the model heard it "
                        f"{octaves} octave{'s' if octaves > 1 else ''} {direction}, and the "
                        f"accompaniment was moved back to the melody's own register.")
    pad = padding_for(melody.pickup_steps)
    if pad:
        beats = melody.pickup_steps / 4
        messages.append(f"The melody starts with a pick-up of {beats:g} beat{'' if beats == 1 else 's'}; "
                        f"the model saw it padded to a full bar, and the padding was removed.")
    window = int(generator.n_steps)
    total = melody.n_bars * STEPS_PER_BAR  # padded length, whole bars
    starts = _window_starts(total, window)
    padded_total = starts[-1] + window
    shifted = np.column_stack([np.zeros(len(melody.notes), dtype=np.int64), melody.notes[:, 0] + pad,
                               melody.notes[:, 1], melody.notes[:, 2] + shift])
    melody_state = notes_to_roll(shifted, padded_total)[0]
    windows = np.stack([melody_state[s:s + window, offset:offset + size] for s in starts])
    overlap = max(0, window - (starts[1] - starts[0])) if len(starts) > 1 else 0
    weights = np.stack([_crossfade_weights(window, i == 0, i == len(starts) - 1, overlap)
                        for i in range(len(starts))])
    device = next(generator.parameters()).device
    was_training = generator.training
    generator.eval()
    takes = []
    dropped = 0
    try:
        with torch.inference_mode():
            mel_frames, mel_onsets = note_maps.from_state(torch.as_tensor(windows, device=device))
            for seed in seeds:
                z = _latent(generator, seed).to(device)
                z = z.repeat(len(starts), *([1] * (z.dim() - 1)))  # one latent for the whole take
                probs = generator.probabilities(mel_frames, mel_onsets, z)
                voices = _decide_blended(probs, generator.monophonic, starts, weights, padded_total,
                                         melody_state[:, offset:offset + size],
                                         getattr(generator, "part_writing", None))
                roll = np.zeros((4, padded_total, N_PITCHES), dtype=np.int8)
                roll[1:, :, offset:offset + size] = voices
                notes_back, lost = _back_to_melody_time(roll_to_notes(roll), pad, shift, total - pad)
                dropped += lost
                melody_rows = np.column_stack([np.zeros(len(melody.notes), dtype=np.int64), melody.notes])
                takes.append(Take(seed=int(seed),
                                  notes=np.concatenate([melody_rows, notes_back]).astype(np.int64)))
    finally:
        generator.train(was_training)
    if dropped:
        messages.append(f"{dropped} accompaniment note(s) fell outside MIDI 0-127 after moving back "
                        f"and were left out.")
    return Accompaniment(melody=melody, takes=takes, transpose=shift, messages=messages)


def _decide_blended(probs, monophonic: bool, starts: list[int], weights: np.ndarray,
                    total: int, melody_state: np.ndarray | None = None, rules=None) -> np.ndarray:
    """The windows' note probabilities cross-faded into one take, then
    turned into notes (written out by the model's ``rules`` against the
    melody, gan.models.part_writing): (3, total, rows) note-state roll."""
    import torch

    from gan.models import notes as note_maps

    def blend(x):  # (windows, 3, W, ...) -> (1, 3, total, ...)
        x = x.float().cpu()
        acc = torch.zeros((x.shape[1], total, *x.shape[3:]))
        norm = torch.zeros(total)
        for i, s in enumerate(starts):
            w = torch.as_tensor(weights[i])
            acc[:, s:s + x.shape[2]] += x[i] * w.view(1, -1, *([1] * (x.dim() - 3)))
            norm[s:s + x.shape[2]] += w
        return (acc / norm.view(1, -1, *([1] * (x.dim() - 3))))[None]

    blended = note_maps.NoteProbs(blend(probs.frames), blend(probs.onsets),
                              None if probs.rest is None else blend(probs.rest[..., None])[..., 0],
                              probs.pitch_logits, probs.onset_logits)
    decided = rules.decide(blended, monophonic) if rules is not None else note_maps.decide(blended, monophonic)
    voices = note_maps.to_state(*decided)[0].numpy()
    if rules is None or not monophonic or melody_state is None:
        return voices
    # the melody above the voices, as the rules look at every pair
    piece = np.concatenate([melody_state[None], voices])[None]
    return rules.apply(piece, blended.frames[0].numpy()[None], fixed=1)[0, 1:]


def _pitch_rows(generator) -> tuple[int, int]:
    """(first row of the full roll, rows) that the model sees."""
    window = getattr(generator, "pitch_window", None)
    if window is not None:
        if window.full != N_PITCHES:
            raise ComposeError(f"the model was trained on {window.full} pitch rows; composing needs {N_PITCHES}")
        return int(window.offset), int(window.size)
    if generator.n_pitches != N_PITCHES:
        raise ComposeError(f"the model has {generator.n_pitches} pitch rows and no pitch window; "
                           f"composing needs {N_PITCHES}")
    return 0, N_PITCHES


def _latent_shape(generator) -> tuple[int, ...]:
    from gan.training.sampling import latent_shape

    return latent_shape(generator)


def _back_to_melody_time(notes: np.ndarray, pad: int, shift: int, end: int) -> tuple[np.ndarray, int]:
    """Undo the padding and the transposition; cut to [0, end). Returns (rows, notes lost to MIDI range)."""
    notes = notes.astype(np.int64).copy()
    if len(notes) == 0:
        return notes.reshape(0, 4), 0
    start, stop = notes[:, 1] - pad, notes[:, 1] + notes[:, 2] - pad
    start, stop = np.maximum(start, 0), np.minimum(stop, end)
    keep = stop > start
    notes[:, 1], notes[:, 2], notes[:, 3] = start, stop - start, notes[:, 3] - shift
    in_midi = (notes[:, 3] >= 0) & (notes[:, 3] <= 127)
    lost = int(np.count_nonzero(keep & ~in_midi))
    return notes[keep & in_midi], lost


# -- MuseGAN -------------------------------------------------------------------

def _require_unconditional(generator) -> None:
    if getattr(generator, "conditional", False):
        raise ComposeError("this model accompanies a melody (U-Net); it does not write pieces "
                           "from noise: give it a melody instead")


def generate_pieces(generator, n: int, seed: int = 0) -> np.ndarray:
    """``n`` pieces as note-state rolls (n, 4, steps, pitches); the same seed gives the same pieces."""
    import torch

    _require_unconditional(generator)
    if int(n) < 1:
        raise ComposeError(f"ask for at least one piece, not {n}")
    g = torch.Generator().manual_seed(int(seed))
    z = torch.randn((int(n), *_latent_shape(generator)), generator=g)
    from gan.training.sampling import generate

    return generate(generator, n=int(n), latents=z)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation between two flattened latent vectors."""
    a_n, b_n = a / np.linalg.norm(a), b / np.linalg.norm(b)
    omega = float(np.arccos(np.clip(np.dot(a_n, b_n), -1.0, 1.0)))
    if omega < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def interpolate(generator, seed_a: int, seed_b: int, steps: int = 5) -> np.ndarray:
    """``steps`` pieces (steps >= 2) from seed A's first piece to seed B's
    first piece: the ends equal ``generate_pieces(G, 1, seed)``."""
    import torch

    _require_unconditional(generator)
    if int(steps) < 2:
        raise ComposeError(f"an interpolation needs at least 2 steps (the two ends), not {steps}")
    shape = _latent_shape(generator)
    ends = []
    for seed in (seed_a, seed_b):
        g = torch.Generator().manual_seed(int(seed))
        ends.append(torch.randn((1, *shape), generator=g).numpy().reshape(-1))
    ts = np.linspace(0.0, 1.0, int(steps))
    z = np.stack([slerp(ends[0], ends[1], float(t)) for t in ts]).reshape(int(steps), *shape)
    from gan.training.sampling import generate

    return generate(generator, n=int(steps), latents=torch.as_tensor(z, dtype=torch.float32))
