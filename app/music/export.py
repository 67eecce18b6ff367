"""The training music as MIDI files, for both faces (``data export`` and
File > Export training music as MIDI...).

``export_training_music`` reads one genre (built-in, built on demand or
imported), writes one four-voice file per training segment through
``gan.data.export.export_segments`` and reports progress per file; a
``should_stop`` flag ends it between two files, keeping what was written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

Progress = Callable[[int, int, str], None]


class ExportProblem(ValueError):
    """The genre cannot be read or the folder cannot be written, in words."""


class _Stopped(Exception):
    pass


@dataclass
class MusicExport:
    genre: str
    folder: Path
    files: list[Path] = field(default_factory=list)
    total: int = 0  # segments the genre has (or the limit)
    stopped: bool = False


def exportable_genres() -> list[str]:
    """Genres that have music here now: built-in, built, imported."""
    from gan.data.corpus import available_genres

    return sorted(g for g, state in available_genres().items() if state != "on demand")


def export_training_music(genre: str, out_dir: str | Path, limit: int | None = None,
                          bars_per_sample: int = 4, progress: Progress | None = None,
                          should_stop: Callable[[], bool] | None = None) -> MusicExport:
    """Write ``genre``'s training segments to ``out_dir``; see the module notes."""
    from gan.data.corpus import Corpus
    from gan.data.dataset_file import DatasetFileError
    from gan.data.export import export_segments

    if not genre or not genre.strip():
        raise ExportProblem("name a genre to export (for example chorale)")
    if limit is not None and limit < 1:
        raise ExportProblem(f"the limit must be at least 1 file, not {limit}")
    try:
        corpus = Corpus.load([genre.strip()]).select([f"genre={genre.strip()}"])
    except (ValueError, LookupError, DatasetFileError) as exc:
        raise ExportProblem(str(exc).strip("'\"")) from None
    report = MusicExport(genre.strip(), Path(out_dir))
    count = corpus.segment_count(bars_per_sample, balance=False)
    report.total = count if limit is None else min(limit, count)
    if report.total == 0:
        raise ExportProblem(f"genre {genre!r} has no piece of {bars_per_sample} whole bars to export")

    def each_file(done: int, total: int, name: str) -> None:
        report.files.append(report.folder / name)
        if progress is not None:
            progress(done, total, name)
        if should_stop is not None and should_stop() and done < total:
            raise _Stopped

    try:
        export_segments(corpus, report.folder, bars_per_sample=bars_per_sample, limit=report.total,
                        genre=report.genre, progress=each_file)
    except _Stopped:
        report.stopped = True
    except OSError as exc:
        from app.jobs.errors import friendly

        raise ExportProblem(str(friendly(exc, exc.filename or str(report.folder)))) from None
    return report
