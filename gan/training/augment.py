"""Transposition augmentation: every training piece, in the keys that keep
each voice inside the range it has in the music.

Shown a chorale only in its own key, a model can learn the piece; shown it
a few semitones up and down, it has to learn the voice leading. A piece is
moved as a whole (all four voices by the same interval), by at most
``max_shift`` semitones, and only as far as every voice stays within the
lowest and highest pitch that voice reaches anywhere in the training music
(so a bass never goes where no bass went, and nothing leaves the model's
pitch window).
"""

from __future__ import annotations

import numpy as np


def shift_bounds(data: np.ndarray, max_shift: int) -> np.ndarray:
    """(segments, 2) int: the lowest and highest allowed shift of each segment."""
    sounding = data > 0  # (N, voices, T, P)
    used = sounding.any(2)  # (N, voices, P)
    rows = np.arange(data.shape[-1])
    has = used.any(-1)  # (N, voices)
    lo = np.where(used, rows, data.shape[-1]).min(-1)  # (N, voices)
    hi = np.where(used, rows, -1).max(-1)
    voice_lo = np.where(has, lo, np.iinfo(np.int64).max).min(0)  # (voices,)
    voice_hi = np.where(has, hi, -1).max(0)
    down = np.where(has, voice_lo[None] - lo, -max_shift).max(1)  # most negative shift allowed
    up = np.where(has, voice_hi[None] - hi, max_shift).min(1)
    bounds = np.stack([np.clip(down, -max_shift, 0), np.clip(up, 0, max_shift)], 1)
    return bounds.astype(np.int64)


def transpose_batch(batch, shifts):
    """Move each piece of ``batch`` (n, voices, T, P) up by ``shifts`` (n,)
    pitch rows (negative: down). Callers keep notes inside the rows."""
    import torch

    rows = batch.shape[-1]
    index = (torch.arange(rows, device=batch.device)[None, :] - shifts[:, None]) % rows
    index = index[:, None, None, :].expand_as(batch)
    return torch.gather(batch, -1, index)
