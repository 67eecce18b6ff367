"""How much music one file, and one training run, may bring in.

A 37-byte MIDI file (ticks_per_beat = 1, one note 9,999,990 ticks long) used
to import as 2,499,998 bars, and training on it passed 8 GB in 18 s; a 12 MB
file with 2 million notes took minutes and 1.6 GB before anything was
refused. Every limit here is far above real music and far below trouble:

- the longest piece in the built-in data has 429 bars, the densest 6,553
  notes (string quartets): a file may hold up to 2,000 bars and 50,000
  notes, in at most 200,000 events. The scan that counts them stops at the
  first limit passed, so refusing a huge file takes about a second; reading
  one just inside the limits takes mido and pretty_midi about 8 s here
  (measured: 50,000 notes in 7.8 s and about 100 MB, on 2 busy cores), which
  is the time bound per file;
- a training run's segments take at most 1 GiB (about 49,000 four-bar
  segments; the chorales make 1,074): beyond it an evenly spread subset is
  used and a ``DataLimitWarning`` says so; pieces longer than the per-file
  limit (imported before these limits existed) are left out.
"""

from __future__ import annotations

import warnings
from typing import Sequence

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_BARS_PER_FILE = 2_000
MAX_NOTES_PER_FILE = 50_000
MAX_EVENTS_PER_FILE = 200_000
MAX_TRAINING_BYTES = 1024 ** 3


class DataLimitWarning(UserWarning):
    """Training uses less of the chosen music than there is (see limits), or
    a damaged file of music was left out."""


def segment_bytes(bars_per_sample: int) -> int:
    """Bytes of one training segment (a one-byte-per-cell roll)."""
    from gan.data.roll import N_PITCHES, STEPS_PER_BAR, TRACKS

    return TRACKS * int(bars_per_sample) * STEPS_PER_BAR * N_PITCHES


def _mib(n: float) -> str:
    return f"{n / 1024 ** 2:,.0f} MiB"


def cap_windows(windows: Sequence[tuple[int, int]], bars_of_piece: Sequence[int],
                bytes_per_segment: int) -> list[tuple[int, int]]:
    """The (piece, first bar) windows that fit ``MAX_TRAINING_BYTES``: those
    of pieces longer than ``MAX_BARS_PER_FILE`` dropped, then, when still
    too many, an evenly spread subset (the same every time). Warns with a
    ``DataLimitWarning`` when anything was left out."""
    kept = [w for w in windows if bars_of_piece[w[0]] <= MAX_BARS_PER_FILE]
    notes = []
    if len(kept) < len(windows):
        long_pieces = len({w[0] for w in windows} - {w[0] for w in kept})
        notes.append(f"{long_pieces} piece(s) longer than {MAX_BARS_PER_FILE:,} bars left out "
                     f"({len(windows) - len(kept):,} segments)")
    budget = max(1, MAX_TRAINING_BYTES // max(1, bytes_per_segment))
    if len(kept) > budget:
        step = len(kept) / budget
        before = len(kept)
        kept = [kept[int(i * step)] for i in range(budget)]
        notes.append(f"{before:,} segments would take {_mib(before * bytes_per_segment)}, "
                     f"over the {_mib(MAX_TRAINING_BYTES)} limit: training uses an evenly "
                     f"spread {len(kept):,} of them")
    if notes:
        warnings.warn(DataLimitWarning("; ".join(notes)), stacklevel=2)
    return kept
