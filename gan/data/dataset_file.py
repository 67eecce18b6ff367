"""One genre's pieces in one compressed ``.npz`` file, and the ``Piece`` record.

The file holds exact note rows, not dense rolls (lossless and ~50x smaller):

- ``notes``   int32 (total_notes, 4): ``(track, start, duration, pitch)`` of
  every piece, concatenated; starts count 16th steps from the piece's first
  full bar.
- ``offsets`` int64 (pieces + 1): piece ``i`` is ``notes[offsets[i]:offsets[i+1]]``.
- ``n_bars``  int32 (pieces,): whole 4/4 bars per piece.
- ``meta``    a JSON string: a list with one ``{"name", "tags", "tempo",
  "time_signature"}`` object per piece, plus the file's format version.

Only plain arrays and a string: ``np.load(allow_pickle=False)`` reads it, so
a dataset file cannot run code. Writes go to a temporary file first and are
moved into place with ``os.replace``: a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gan.util.atomic import atomic_path

FORMAT_VERSION = 1


@dataclass
class Piece:
    """A whole piece (or phrase) in 4/4, aligned to bar lines."""

    name: str
    notes: np.ndarray  # (n, 4) int32: track, start, duration, pitch
    n_bars: int
    tags: dict[str, str] = field(default_factory=dict)
    tempo: float = 100.0
    time_signature: tuple[int, int] = (4, 4)


class DatasetFileError(ValueError):
    """A dataset file that cannot be read (damaged, wrong format)."""


def write_pieces(path: str | os.PathLike, pieces: list[Piece], extra: dict | None = None) -> Path:
    """Write ``pieces`` atomically to ``path`` (an ``.npz``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = [np.asarray(p.notes, dtype=np.int32).reshape(-1, 4) for p in pieces]
    counts = np.array([len(a) for a in arrays], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    notes = np.concatenate(arrays) if arrays else np.zeros((0, 4), dtype=np.int32)
    meta = {
        "format": FORMAT_VERSION,
        "extra": extra or {},
        "pieces": [
            {"name": p.name, "tags": dict(p.tags), "tempo": float(p.tempo),
             "time_signature": list(p.time_signature)}
            for p in pieces
        ],
    }
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(
            tmp, notes=notes, offsets=offsets,
            n_bars=np.array([p.n_bars for p in pieces], dtype=np.int32),
            meta=np.array(json.dumps(meta, ensure_ascii=False)),
        )
    return path


def read_pieces(path: str | os.PathLike) -> list[Piece]:
    """Read a file written by ``write_pieces``; DatasetFileError if damaged."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            notes = data["notes"]
            offsets = data["offsets"]
            n_bars = data["n_bars"]
            meta = json.loads(str(data["meta"]))
    except FileNotFoundError:
        raise
    except Exception as exc:  # zip, key, JSON or dtype problems all mean "damaged"
        raise DatasetFileError(f"cannot read dataset file {path}: {exc}") from exc
    infos = meta.get("pieces", [])
    if len(infos) != len(n_bars) or len(offsets) != len(n_bars) + 1:
        raise DatasetFileError(f"dataset file {path} is inconsistent (piece counts differ)")
    pieces = []
    for i, info in enumerate(infos):
        pieces.append(Piece(
            name=info["name"],
            notes=notes[offsets[i]:offsets[i + 1]],
            n_bars=int(n_bars[i]),
            tags={str(k): str(v) for k, v in info.get("tags", {}).items()},
            tempo=float(info.get("tempo", 100.0)),
            time_signature=tuple(info.get("time_signature", (4, 4))),
        ))
    return pieces
