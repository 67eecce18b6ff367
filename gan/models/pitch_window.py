"""Train on the pitch rows the chosen music actually uses.

Chorales use 46 of the 84 pitch rows; a model that only sees the rows the
data spans (rounded up to a multiple of 16 so the stride-2 levels divide
evenly) does half the work per step. Samples are put back into full
84-row rolls, so metrics, MIDI files and the window never see the window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MULTIPLE = 16
MARGIN = 1  # spare rows each side, so the extreme notes are not on the edge


@dataclass(frozen=True)
class PitchWindow:
    offset: int  # first full-roll row the model sees
    size: int  # rows the model sees
    full: int  # rows of a full roll (84)

    @classmethod
    def fit(cls, data: np.ndarray) -> "PitchWindow":
        """The smallest window (multiple of 16 rows) holding every used pitch."""
        full = data.shape[-1]
        used = np.nonzero(data.any(axis=tuple(range(data.ndim - 1))))[0]
        if used.size == 0:
            return cls(0, full, full)
        lo, hi = int(used[0]), int(used[-1])
        span = hi - lo + 1 + 2 * MARGIN
        size = min(full, -(-span // MULTIPLE) * MULTIPLE)
        offset = min(max(0, lo - (size - (hi - lo + 1)) // 2), full - size)
        return cls(offset, size, full)

    def crop(self, rolls: np.ndarray, what: str = "roll") -> np.ndarray:
        """Rows inside the window; notes outside it are an error naming the range."""
        if rolls.shape[-1] != self.full:
            raise ValueError(f"{what} must have {self.full} pitch rows; got {rolls.shape[-1]}")
        outside = np.concatenate([rolls[..., :self.offset], rolls[..., self.offset + self.size:]], -1)
        if outside.any():
            raise ValueError(f"{what} uses pitches outside the model's range "
                             f"{self.describe()}; transpose it into that range")
        return rolls[..., self.offset:self.offset + self.size]

    def expand(self, rolls: np.ndarray) -> np.ndarray:
        out = np.zeros((*rolls.shape[:-1], self.full), dtype=rolls.dtype)
        out[..., self.offset:self.offset + self.size] = rolls
        return out

    def describe(self) -> str:
        import pretty_midi

        from gan.data.roll import LOWEST_PITCH

        low = LOWEST_PITCH + self.offset
        return f"{pretty_midi.note_number_to_name(low)}-{pretty_midi.note_number_to_name(low + self.size - 1)}"
