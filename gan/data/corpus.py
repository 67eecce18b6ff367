"""The dataset everyone trains on: tagged pieces, filtering, segments.

Pieces come from three places, all in the same file format
(``gan.data.dataset_file``):

- ``data/<genre>.npz``: built-in genres committed with the app
  (``chorale``, ``string_quartet``);
- ``datasets_dir()/<genre>.npz``: corpus genres built on demand
  (``renaissance``, ``folk``), see ``gan.data.build.build_genre``;
- ``datasets_dir()/imports/<genre>.npz``: the user's own MIDI files
  (``gan.data.importer``).

Pieces are whole (phrases of whole 4/4 bars); training segments of
``bars_per_sample`` bars are cut from them on demand, so a two-bar clip
serves a two-bar model.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from pathlib import Path
from typing import Iterable

import numpy as np

from gan.data import locations as paths
from gan.data.dataset_file import DatasetFileError, Piece, read_pieces, write_pieces  # noqa: F401
from gan.data.limits import DataLimitWarning, cap_windows, segment_bytes
from gan.data.roll import N_PITCHES, STEPS_PER_BAR, TRACKS, notes_to_roll
from gan.data.segments import sounding_windows, segment_count_of, window_starts  # noqa: F401

COMMITTED_GENRES = ("chorale", "string_quartet")
ON_DEMAND_GENRES = ("renaissance", "folk")
# With several genres selected, none gets more than this many times the
# segments of the smallest one (Palestrina alone would swamp the rest).
BALANCE_FACTOR = 2
BALANCE_SEED = 0

__all__ = ["Piece", "Corpus", "available_genres", "GenreNotBuilt", "segment_count_of",
           "window_starts", "imports_dir", "import_file_for"]


class GenreNotBuilt(LookupError):
    """An on-demand genre asked for before ``data build`` made it."""


def imports_dir() -> Path:
    path = paths.datasets_dir() / "imports"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:  # read-only media: nothing imported there (see datasets_dir)
        pass
    return path


def import_file_for(genre: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", genre).strip("._") or "imported"
    return imports_dir() / f"{safe}.npz"


def _parse_tag(tag: str) -> tuple[str, str]:
    if "=" not in tag:
        raise ValueError(f"tag {tag!r} must look like key=value (for example genre=chorale)")
    key, value = tag.split("=", 1)
    key, value = key.strip(), value.strip()
    if not key or not value:
        raise ValueError(f"tag {tag!r} must look like key=value (for example genre=chorale)")
    return key, value


class Corpus:
    """A list of pieces with tag filtering and segment cutting."""

    def __init__(self, pieces: Iterable[Piece] = ()):
        self.pieces: list[Piece] = list(pieces)

    def __len__(self) -> int:
        return len(self.pieces)

    def __repr__(self) -> str:
        return f"Corpus({len(self.pieces)} pieces, genres={self.tag_values('genre')})"

    # -- loading ---------------------------------------------------------
    @classmethod
    def load(cls, genres: Iterable[str] | None = None, include_imports: bool = True) -> "Corpus":
        """Built-in genres + cached on-demand genres + user imports.

        ``genres=None`` loads everything available. Naming an on-demand genre
        that is not built yet raises ``GenreNotBuilt``; an unknown genre
        raises ``ValueError`` listing the available ones.
        """
        wanted = None if genres is None else list(dict.fromkeys(genres))
        files: list[Path] = []
        for genre in COMMITTED_GENRES:
            path = paths.DATA_DIR / f"{genre}.npz"
            if path.exists() and (wanted is None or genre in wanted):
                files.append(path)
        for genre in ON_DEMAND_GENRES:
            path = paths.datasets_dir() / f"{genre}.npz"
            if path.exists() and (wanted is None or genre in wanted):
                files.append(path)
        imported = sorted(imports_dir().glob("*.npz")) if include_imports else []
        pieces: list[Piece] = []
        for path in files:
            pieces += read_pieces(path)
        for path in imported:
            try:
                got = read_pieces(path)
            except DatasetFileError as exc:  # one damaged import blocks no other genre
                if wanted is not None and path not in {import_file_for(g) for g in wanted}:
                    continue
                if wanted is not None:
                    raise
                warnings.warn(DataLimitWarning(f"{exc}; left out (import that genre again)"))
                continue
            pieces += [p for p in got if wanted is None or p.tags.get("genre") in wanted]
        if wanted is not None:
            present = {p.tags.get("genre") for p in pieces}
            for genre in wanted:
                if genre in present:
                    continue
                if genre in ON_DEMAND_GENRES:
                    raise GenreNotBuilt(
                        f"genre {genre!r} is not built yet: run `python main.py data build --genre {genre}`")
                available = ", ".join(sorted(available_genres())) or "none"
                raise ValueError(f"unknown genre {genre!r}; available: {available}")
        return cls(pieces)

    # -- filtering -------------------------------------------------------
    def select(self, tags: Iterable[str] | None = None, mode: str = "any") -> "Corpus":
        """Pieces matching ``tags`` ("key=value"): any of them or all of them."""
        if mode not in ("any", "all"):
            raise ValueError(f"mode must be 'any' or 'all', not {mode!r}")
        wanted = [_parse_tag(t) for t in (tags or [])]
        if not wanted:
            return Corpus(self.pieces)
        test = any if mode == "any" else all
        return Corpus(p for p in self.pieces if test(p.tags.get(k) == v for k, v in wanted))

    def split(self, fraction: float) -> tuple["Corpus", "Corpus"]:
        """(training pieces, evaluation pieces): about ``fraction`` of the
        pieces are kept out of training, chosen by a hash of each piece's
        name, so the split is the same on every machine and every run, and a
        piece stays on its side when other pieces are added or removed."""
        if not 0.0 <= fraction < 1.0:
            raise ValueError(f"the evaluation share must be from 0 to below 1, not {fraction}")
        held = [held_out_by_name(p.name, fraction) for p in self.pieces]
        return (Corpus(p for p, h in zip(self.pieces, held) if not h),
                Corpus(p for p, h in zip(self.pieces, held) if h))

    def tag_values(self, key: str) -> list[str]:
        return sorted({p.tags[key] for p in self.pieces if key in p.tags})

    def available_tags(self) -> dict[str, dict[str, int]]:
        """key -> value -> number of pieces."""
        out: dict[str, dict[str, int]] = {}
        for piece in self.pieces:
            for key, value in piece.tags.items():
                bucket = out.setdefault(key, {})
                bucket[value] = bucket.get(value, 0) + 1
        return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}

    # -- segments --------------------------------------------------------
    def _windows(self, bars_per_sample: int, balance: bool) -> list[tuple[int, int]]:
        """(piece index, first bar) of every segment, balanced by genre."""
        if int(bars_per_sample) != bars_per_sample or bars_per_sample < 1:
            raise ValueError(f"bars_per_sample must be a whole number >= 1, not {bars_per_sample!r}")
        by_genre: dict[str, list[tuple[int, int]]] = {}
        for i, piece in enumerate(self.pieces):
            starts, sounding = sounding_windows(piece, int(bars_per_sample))
            by_genre.setdefault(piece.tags.get("genre", ""), []).extend(
                (i, int(first)) for first in starts[sounding])
        if balance and len(by_genre) > 1:
            smallest = min(len(v) for v in by_genre.values())
            cap = max(1, BALANCE_FACTOR * smallest)
            rng = np.random.default_rng(BALANCE_SEED)
            for genre in sorted(by_genre):
                windows = by_genre[genre]
                if len(windows) > cap:
                    keep = np.sort(rng.choice(len(windows), size=cap, replace=False))
                    by_genre[genre] = [windows[k] for k in keep]
        # memory bound (gan.data.limits): warns when music is left out
        return cap_windows(sorted(w for v in by_genre.values() for w in v),
                           [p.n_bars for p in self.pieces], segment_bytes(bars_per_sample))

    def segment_count(self, bars_per_sample: int, balance: bool = True) -> int:
        """``len(self.segments(bars_per_sample, balance))``, without building rolls."""
        return len(self._windows(bars_per_sample, balance))

    def segments(self, bars_per_sample: int, balance: bool = True) -> np.ndarray:
        """Note-state rolls ``(N, 4, bars*16, 84)`` (int8, see gan.data.roll):
        bar windows of every piece (see ``window_starts``), silent windows left
        out, genres balanced when several. A note sounding into a window from
        the bar before enters it held."""
        windows = self._windows(bars_per_sample, balance)
        width = int(bars_per_sample) * STEPS_PER_BAR
        out = np.zeros((len(windows), TRACKS, width, N_PITCHES), dtype=np.int8)
        current, roll = -1, None
        for row, (i, w) in enumerate(windows):
            if i != current:
                piece = self.pieces[i]
                roll = notes_to_roll(piece.notes, piece.n_bars * STEPS_PER_BAR)
                current = i
            out[row] = roll[:, w * STEPS_PER_BAR:w * STEPS_PER_BAR + width]
        return out

    def segment_sources(self, bars_per_sample: int, balance: bool = True) -> list[tuple[Piece, int]]:
        """(piece, first bar) of each segment, in ``segments`` order."""
        return [(self.pieces[i], first) for i, first in self._windows(bars_per_sample, balance)]

    def tag_counts(self, key: str = "genre", bars_per_sample: int = 4) -> dict[str, int]:
        """value -> number of segments (unbalanced) of pieces with that tag."""
        counts: dict[str, int] = {}
        for piece in self.pieces:
            if key in piece.tags:
                value = piece.tags[key]
                counts[value] = counts.get(value, 0) + segment_count_of(piece, bars_per_sample)
        return dict(sorted(counts.items()))

    def pitch_range(self) -> tuple[int, int] | None:
        lows = [int(p.notes[:, 3].min()) for p in self.pieces if len(p.notes)]
        highs = [int(p.notes[:, 3].max()) for p in self.pieces if len(p.notes)]
        return (min(lows), max(highs)) if lows else None


def held_out_by_name(name: str, fraction: float) -> bool:
    """Whether the piece called ``name`` belongs to the evaluation share."""
    digest = hashlib.sha1(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def available_genres() -> dict[str, str]:
    """genre -> "built-in" | "cached" | "on demand" | "imported"."""
    out: dict[str, str] = {}
    for genre in COMMITTED_GENRES:
        if (paths.DATA_DIR / f"{genre}.npz").exists():
            out[genre] = "built-in"
    for genre in ON_DEMAND_GENRES:
        out[genre] = "cached" if (paths.datasets_dir() / f"{genre}.npz").exists() else "on demand"
    for path in sorted(imports_dir().glob("*.npz")):
        try:
            genres = {p.tags.get("genre", path.stem) for p in read_pieces(path)}
        except DatasetFileError:
            continue
        for genre in genres:
            out.setdefault(genre, "imported")
    return out
