"""What both generator families share: the facts they own and how their
raw maps become note probabilities."""

from __future__ import annotations

from typing import Any

from torch import nn

from gan.models import notes
from gan.models.pitch_window import PitchWindow


class Generator(nn.Module):
    conditional = False  # the accompaniment model needs a melody
    voices = (0, 1, 2, 3)  # the voices it writes (top = 0)

    def __init__(self, n_steps: int, window: PitchWindow, monophonic: bool, latent_size: int):
        super().__init__()
        self.n_steps, self.latent_size = int(n_steps), int(latent_size)
        self.pitch_window = window
        self.n_pitches = window.size
        self.monophonic = bool(monophonic)  # every voice a single line (all built-in genres)
        # how pieces are written out (gan.models.part_writing): set at training
        # from the real music, kept in checkpoints; None = the likeliest notes
        self.part_writing = None

    def facts(self) -> dict[str, Any]:
        """What a checkpoint must keep to rebuild this model."""
        w = self.pitch_window
        return {"n_steps": self.n_steps, "pitch_offset": w.offset, "n_pitches": w.size,
                "full_pitches": w.full, "monophonic": self.monophonic,
                "part_writing": self.part_writing.to_dict() if self.part_writing else None}

    def latent_shape(self) -> tuple[int, ...]:
        return (self.latent_size,)

    def probabilities(self, *inputs) -> notes.NoteProbs:
        return notes.probabilities(self(*inputs), self.monophonic)
