"""Small helpers shared by the models."""

from __future__ import annotations


def padded_pitches(n_pitches: int, multiple: int = 16) -> int:
    """Pitch rows rounded up so four stride-2 levels divide evenly (84 -> 96)."""
    return -(-n_pitches // multiple) * multiple
