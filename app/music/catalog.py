"""The music library as a whole: a summary per genre, and genre builds.

``genre_summary`` is what ``data info`` prints; ``genres_to_build`` and
``build`` are ``data build``'s work (music21 is needed only there).
"""

from __future__ import annotations

from typing import Any, Callable

DEFAULT_BARS = 4


class BuildProblem(ValueError):
    """A genre that cannot be built (unknown, or music21 missing)."""


def load_library() -> Any:
    """Every genre and import available here, as one corpus."""
    from gan.data.corpus import Corpus

    return Corpus.load()


def genre_summary(corpus: Any, bars: int = DEFAULT_BARS) -> dict:
    """genre -> pieces, bars, segments, pitch range, composers, status."""
    from gan.data.corpus import available_genres

    status = available_genres()
    out = {}
    for genre in sorted({p.tags.get("genre", "") for p in corpus.pieces}):
        sub = corpus.select([f"genre={genre}"])
        low_high = sub.pitch_range()
        out[genre] = {
            "status": status.get(genre, "imported"),
            "pieces": len(sub),
            "bars": int(sum(p.n_bars for p in sub.pieces)),
            "segments": sub.segment_count(bars, balance=False),
            "bars_per_sample": bars,
            "pitch_range": list(low_high) if low_high else None,
            "composers": sub.tag_values("composer"),
        }
    for genre, state in status.items():
        if genre not in out:
            out[genre] = {"status": state, "pieces": 0, "bars": 0, "segments": 0,
                          "bars_per_sample": bars, "pitch_range": None, "composers": []}
    return dict(sorted(out.items()))


def genres_to_build(genre: str | None) -> list[str]:
    """``[genre]`` when named (checked), else every on-demand genre not
    built yet (possibly none)."""
    from gan.data.build import CORPUS_GENRES, ON_DEMAND_GENRES
    from gan.data.corpus import available_genres

    if genre:
        if genre not in CORPUS_GENRES:
            raise BuildProblem(f"unknown genre {genre!r}; buildable: {', '.join(CORPUS_GENRES)}")
        return [genre]
    status = available_genres()
    return [g for g in ON_DEMAND_GENRES if status.get(g) != "cached"]


def build(genre: str, progress: Callable[[int, int, str], None] | None = None) -> Any:
    """Build one genre from the music21 corpus; returns the build report."""
    from gan.data.build import BuildError, build_genre

    try:
        return build_genre(genre, progress=progress)
    except BuildError as exc:
        raise BuildProblem(str(exc)) from exc
