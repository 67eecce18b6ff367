"""Build a genre from the music21 corpus into one dataset file.

``chorale`` and ``string_quartet`` are built ahead and committed in
``data/``; ``renaissance`` and ``folk`` are built on demand into the user
data directory (``gan.data.locations.datasets_dir()``). music21 is needed only here.

Sources are converted in worker processes (one per core, ordered results so
every build of the same corpus gives the same file).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from gan.data import locations as paths
from gan.data.convert import (ACCEPTED_METRES, RENAISSANCE_METRES, ConvertStats, SkipPiece,
                                 score_to_pieces)
from gan.data.dataset_file import Piece, write_pieces
from gan.data.segments import segment_count_of
from gan.util.atomic import atomic_write_text

COMMITTED_GENRES = ("chorale", "string_quartet")
ON_DEMAND_GENRES = ("renaissance", "folk")
CORPUS_GENRES = COMMITTED_GENRES + ON_DEMAND_GENRES
MANIFEST_NAME = "manifest.json"

# String quartets in the music21 corpus (k545 is a piano sonata, Schumann's
# op. 48 is a song cycle: not here). Where a movement exists as both .krn and
# .mxl, the .mxl is used.
QUARTETS = {
    "haydn": ["haydn/opus1no1/movement%d" % i for i in range(1, 6)]
    + ["haydn/opus74no1/movement%d" % i for i in range(1, 5)],
    "mozart": ["mozart/k80/movement%d" % i for i in range(1, 5)]
    + ["mozart/k155/movement%d" % i for i in range(1, 4)]
    + ["mozart/k156/movement%d" % i for i in range(1, 5)]
    + ["mozart/k458/movement%d" % i for i in range(1, 5)],
    "beethoven": ["beethoven/opus18no1/movement%d.mxl" % i for i in range(1, 5)]
    + ["beethoven/opus18no3", "beethoven/opus18no4", "beethoven/opus18no5"]
    + ["beethoven/opus59no%d/movement%d" % (n, i) for n in (1, 2, 3) for i in range(1, 5)]
    + ["beethoven/opus74", "beethoven/opus132", "beethoven/opus133"],
    "schumann": ["schumann_robert/opus41no1/movement%d" % i for i in range(1, 6)],
}

# German-language Essen collections: mostly 4/4 and 2/4 songs, one voice.
FOLK_COLLECTIONS = [
    "essenFolksong/altdeu10", "essenFolksong/altdeu20", "essenFolksong/ballad10",
    "essenFolksong/ballad20", "essenFolksong/ballad30", "essenFolksong/ballad40",
    "essenFolksong/boehme10", "essenFolksong/boehme20", "essenFolksong/erk5",
    "essenFolksong/erk10", "essenFolksong/erk20", "essenFolksong/erk30",
    "essenFolksong/fink0", "essenFolksong/kinder0",
]

# Most Essen songs are in 2/4: two 2/4 bars make one 4/4 bar of the roll.
FOLK_METRES = ACCEPTED_METRES + ("2/4",)

LICENSE_NOTE = (
    "Note rows derived from the corpus distributed with music21 "
    "(https://github.com/cuthbertLab/music21; software BSD-3-Clause). The "
    "compositions are public domain; per music21/corpus/license.txt the encodings "
    "are distributed with the encoders' permission and some may carry "
    "restrictions such as no commercial use. See data/README.md."
)


class BuildError(RuntimeError):
    """A genre cannot be built (unknown genre, music21 missing)."""


@dataclass
class BuildReport:
    genre: str
    path: str = ""
    sources: int = 0
    pieces: int = 0
    bars: int = 0
    segments_4_bars: int = 0
    notes: int = 0
    off_grid_notes_rounded: int = 0
    bars_dropped_partial: int = 0
    bars_dropped_metre: int = 0
    bars_dropped_off_grid: int = 0
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> sources
    seconds: float = 0.0
    music21_version: str = ""
    built_at: str = ""

    def skip_counts(self) -> dict[str, int]:
        return {reason: len(items) for reason, items in sorted(self.skipped.items())}

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["skip_counts"] = self.skip_counts()
        return d


@dataclass
class _Job:
    """One unit of work for a worker process: a corpus file."""

    source: str
    genre: str
    tags: dict[str, str]
    melody_only: bool = False


def _music21():
    try:
        import music21
    except ImportError as exc:  # the app runs without it; only builds need it
        raise BuildError("building corpus genres needs music21: pip install music21") from exc
    return music21


def _jobs(genre: str) -> list[_Job]:
    music21 = _music21()
    corpus = music21.corpus
    if genre == "chorale":
        names = sorted(set(corpus.chorales.Iterator(returnType="filename")))
        return [_Job(n, genre, {"genre": genre, "composer": "bach", "work": _strip_extension(n.split("/")[-1])})
                for n in names]
    if genre == "string_quartet":
        return [_Job(src, genre, {"genre": genre, "composer": composer,
                                  "work": src.split("/")[1].split(".")[0]})
                for composer, sources in QUARTETS.items() for src in sources]
    if genre == "renaissance":
        jobs = []
        for composer in ("palestrina", "monteverdi"):
            for path in sorted(str(p) for p in corpus.getComposer(composer)):
                rel = path.split("corpus" + os.sep)[-1]
                jobs.append(_Job(rel, genre, {"genre": genre, "composer": composer,
                                              "work": Path(rel).stem}))
        return jobs
    if genre == "folk":
        return [_Job(src, genre, {"genre": genre, "composer": "traditional",
                                  "work": src.split("/")[-1]}, melody_only=True)
                for src in FOLK_COLLECTIONS]
    raise BuildError(f"unknown genre {genre!r}; corpus genres: {', '.join(CORPUS_GENRES)}")


def _strip_extension(source: str) -> str:
    for ext in (".mxl", ".xml", ".musicxml", ".krn", ".abc", ".mid"):
        if source.endswith(ext):
            return source[: -len(ext)]
    return source


def _vocal_parts(score):
    """The Soprano/Alto/Tenor/Bass parts of a chorale that also has
    instrumental parts (horns, violins, continuo); None = all parts."""
    by_name = {}
    for part in score.parts:
        name = (part.partName or "").strip().lower()
        if name in ("soprano", "alto", "tenor", "bass") and name not in by_name:
            by_name[name] = part
    if len(by_name) == 4 and len(score.parts) > 4:
        return [by_name[v] for v in ("soprano", "alto", "tenor", "bass")]
    return None


def _four_voices(score):
    """Four parts of a five- to eight-voice renaissance score: the highest,
    the lowest and two evenly spaced between them, ordered by mean pitch
    (the corpus orders parts by name, not register: Quintus sits anywhere).
    None when the score already has four or fewer parts with notes."""
    sounding = []
    for part in score.parts:
        pitches = [p.midi for n in part.recurse().notes for p in n.pitches]
        if pitches:
            sounding.append((sum(pitches) / len(pitches), part))
    if len(sounding) <= 4:
        return None
    sounding.sort(key=lambda mp: -mp[0])
    last = len(sounding) - 1
    picks = sorted({0, round(last / 3), round(2 * last / 3), last})
    return [sounding[i][1] for i in picks]


def _convert(job: _Job) -> tuple[list[Piece], list[tuple[str, str]], ConvertStats]:
    """Worker: one corpus file -> pieces, skips (reason, "source: detail"), stats."""
    from music21 import corpus, stream

    stats = ConvertStats()
    try:
        parsed = corpus.parse(job.source)
    except Exception as exc:  # any parser failure is a skip, never a crash
        return [], [("parse error", f"{job.source}: {type(exc).__name__}: {exc}"[:300])], stats
    scores = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
    pieces, skips = [], []
    for i, score in enumerate(scores):
        name = _strip_extension(job.source.split("/", 1)[-1])
        tags = dict(job.tags, source=f"music21:{job.source}")
        if len(scores) > 1:
            title = (score.metadata.title if score.metadata else "") or f"no. {i + 1}"
            name = f"{name} #{i + 1} {title}".strip()
            tags["source"] = f"music21:{job.source}#{i + 1}"
        try:
            parts = None
            if job.melody_only:
                parts = [p for p in score.parts if len(p.recurse().notes)][:1] if score.parts else [score]
            elif job.genre == "chorale":
                parts = _vocal_parts(score)
            elif job.genre == "renaissance":
                parts = _four_voices(score)
                if parts is not None:
                    tags["voices"] = f"4 of {sum(1 for p in score.parts if len(p.recurse().notes))}"
            metres = (FOLK_METRES if job.melody_only else
                      RENAISSANCE_METRES if job.genre == "renaissance" else ACCEPTED_METRES)
            pieces += score_to_pieces(score, name, tags, parts=parts, stats=stats, metres=metres)
        except SkipPiece as skip:
            skips.append((skip.reason, f"{name}: {skip.detail}" if skip.detail else name))
        except Exception as exc:
            skips.append(("parse error", f"{name}: {type(exc).__name__}: {exc}"[:300]))
    return pieces, skips, stats


def output_path(genre: str) -> Path:
    if genre in COMMITTED_GENRES:
        return paths.DATA_DIR / f"{genre}.npz"
    return paths.datasets_dir() / f"{genre}.npz"


def build_genre(genre: str, progress: Callable[[int, int, str], None] | None = None,
                out_dir: str | os.PathLike | None = None, processes: int | None = None,
                limit: int | None = None) -> BuildReport:
    """Convert every corpus file of ``genre``; write the dataset atomically.

    ``progress(done, total, source)`` is called after each file. ``limit``
    converts only the first files (tests). Committed genres go to ``data/``
    and update ``data/manifest.json``; the others to the user data dir.
    """
    music21 = _music21()
    jobs = _jobs(genre)
    if limit is not None:
        jobs = jobs[:limit]
    target = Path(out_dir) / f"{genre}.npz" if out_dir else output_path(genre)
    report = BuildReport(genre=genre, path=str(target), sources=len(jobs),
                         music21_version=str(music21.__version__))
    started = time.monotonic()
    processes = processes or min(len(jobs), os.cpu_count() or 1)
    pieces: list[Piece] = []

    def collect(i: int, result) -> None:
        got, skips, stats = result
        pieces.extend(got)
        for reason, what in skips:
            report.skipped.setdefault(reason, []).append(what)
        report.notes += stats.notes
        report.off_grid_notes_rounded += stats.off_grid_notes
        report.bars_dropped_partial += stats.bars_dropped_partial
        report.bars_dropped_metre += stats.bars_dropped_metre
        report.bars_dropped_off_grid += stats.bars_dropped_off_grid
        if progress:
            progress(i + 1, len(jobs), jobs[i].source)

    if processes > 1:
        ctx = multiprocessing.get_context("spawn")  # fork + music21 caches is fragile
        with ctx.Pool(processes) as pool:
            for i, result in enumerate(pool.imap(_convert, jobs, chunksize=1)):
                collect(i, result)
    else:
        for i, job in enumerate(jobs):
            collect(i, _convert(job))


    report.pieces = len(pieces)
    report.bars = sum(p.n_bars for p in pieces)
    report.segments_4_bars = sum(segment_count_of(p, 4) for p in pieces)
    report.seconds = round(time.monotonic() - started, 1)
    report.built_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_pieces(target, pieces, extra={"build": {k: v for k, v in report.as_dict().items()
                                                  if k not in ("skipped", "path")}})
    if genre in COMMITTED_GENRES and out_dir is None:
        update_manifest(report)
    return report


def update_manifest(report: BuildReport, manifest: Path | None = None) -> Path:
    """Record one genre's build (counts, skips by reason, versions) in the manifest."""
    manifest = manifest or paths.DATA_DIR / MANIFEST_NAME
    data = json.loads(manifest.read_text()) if manifest.exists() else {}
    data["license"] = LICENSE_NOTE
    data.setdefault("format", "gan/data/dataset_file.py: note rows (track, start, duration, pitch) per piece")
    entry = report.as_dict()
    entry["file"] = Path(report.path).name
    entry["size_bytes"] = Path(report.path).stat().st_size
    entry.pop("path", None)
    data.setdefault("genres", {})[report.genre] = entry
    atomic_write_text(manifest, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return manifest
