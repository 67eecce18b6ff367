"""The training music as MIDI files: hear what a model learns from.

One four-voice file per training segment, exactly as the model sees it
(note-state rolls written through gan.data.midi_write: sixteenths stay one
step, repeated notes stay two notes, no voice overlaps itself), named after
the piece and bars it comes from, with the genre's instruments.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from gan.data.corpus import Corpus
from gan.data.midi_write import programs_for, roll_to_midi, track_names_for

Progress = Callable[[int, int, str], None]


def segment_file_name(piece_name: str, first_bar: int, bars: int) -> str:
    """``bwv104.6_bars_005-008.mid``: the source piece and its bars (1-based)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", piece_name).strip("._") or "piece"
    return f"{safe}_bars_{first_bar + 1:03d}-{first_bar + bars:03d}.mid"


def export_segments(corpus: Corpus, out_dir: str | Path, *, bars_per_sample: int = 4,
                    limit: int | None = None, genre: str | None = None,
                    progress: Progress | None = None) -> list[Path]:
    """Write the segments of ``corpus`` (the training set a job with these
    settings would use) to ``out_dir``; returns the files, in segment order."""
    if limit is not None and limit < 1:
        raise ValueError(f"--limit must be at least 1, not {limit}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    segments = corpus.segments(bars_per_sample)
    sources = corpus.segment_sources(bars_per_sample)
    count = len(segments) if limit is None else min(limit, len(segments))
    written = []
    for k in range(count):
        piece, first_bar = sources[k]
        piece_genre = genre or piece.tags.get("genre")
        path = out / segment_file_name(piece.name, first_bar, bars_per_sample)
        roll_to_midi(segments[k], path, tempo=piece.tempo or 100.0,
                     programs=programs_for(piece_genre), track_names=track_names_for(piece_genre))
        written.append(path)
        if progress is not None:
            progress(k + 1, count, path.name)
    return written
