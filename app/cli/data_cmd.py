"""`python main.py data info|build|import|export`: the dataset from the command line."""

from __future__ import annotations

import json
import sys
import time
import warnings

from app.cli.common import CommandError, parse_tag
from app.music.catalog import DEFAULT_BARS


def register(sub) -> None:
    data = sub.add_parser("data", help="the built-in dataset, on-demand genres, your own MIDI")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    data_sub.required = True

    info = data_sub.add_parser("info", help="genres with pieces, bars, segments, pitch range, composers")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.add_argument("--bars", type=int, default=DEFAULT_BARS,
                      help=f"bars per sample for the segment counts (default {DEFAULT_BARS})")
    info.set_defaults(func=run_info)

    build = data_sub.add_parser("build", help="(re)build a corpus genre with progress (needs music21)")
    build.add_argument("--genre", help="chorale, string_quartet, renaissance or folk "
                                       "(default: every on-demand genre not built yet)")
    build.set_defaults(func=run_build)

    imp = data_sub.add_parser("import", help="import a folder of MIDI files under a tag")
    imp.add_argument("folder")
    imp.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE",
                     help="tag for every imported piece (genre=NAME is required; repeatable)")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.set_defaults(func=run_import)

    export = data_sub.add_parser("export", help="write a genre's training music as MIDI files "
                                                "(one four-voice file per segment)")
    export.add_argument("--genre", required=True, help="chorale, string_quartet, an imported genre, ...")
    export.add_argument("--out", required=True, metavar="DIR", help="folder for the MIDI files")
    export.add_argument("--limit", type=int, default=None, metavar="N",
                        help="write at most N files (default: every segment)")
    export.add_argument("--bars", type=int, default=DEFAULT_BARS,
                        help=f"bars per file, as a job trains on them (default {DEFAULT_BARS})")
    export.set_defaults(func=run_export)


def run_info(args) -> int:
    from gan.data.dataset_file import DatasetFileError

    from app.music.catalog import genre_summary, load_library

    if args.bars < 1:
        raise CommandError("--bars must be at least 1")
    from gan.data.limits import DataLimitWarning

    with warnings.catch_warnings(record=True) as caught:  # a damaged import: said, not fatal
        warnings.simplefilter("always", DataLimitWarning)
        try:
            corpus = load_library()
            genres = genre_summary(corpus, args.bars)
        except DatasetFileError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:  # a data folder that is missing and cannot be made
            from app.jobs.errors import friendly

            raise CommandError(str(friendly(exc, exc.filename or "the data folder"))) from None
    for note in dict.fromkeys(str(w.message) for w in caught
                              if issubclass(w.category, DataLimitWarning)):
        print(f"warning: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps({"genres": genres}))
        return 0
    print(f"{'genre':<18} {'status':<10} {'pieces':>6} {'bars':>6} {'segments':>8}  pitch range  composers")
    for genre, g in genres.items():
        rng = "-" if not g["pitch_range"] else f"{g['pitch_range'][0]}-{g['pitch_range'][1]}"
        composers = ", ".join(g["composers"][:6]) + (" ..." if len(g["composers"]) > 6 else "")
        print(f"{genre:<18} {g['status']:<10} {g['pieces']:>6} {g['bars']:>6} {g['segments']:>8}  "
              f"{rng:<11}  {composers}")
    print(f"(segments of {args.bars} bars; build on-demand genres with `python main.py data build --genre NAME`)")
    return 0


class ProgressPrinter:
    """A line on stderr every few percent, with an ETA."""

    def __init__(self, label: str, step_percent: float = 5.0, stream=None):
        self.label = label
        self.step = step_percent
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.last = -1.0

    def __call__(self, done: int, total: int, what: str) -> None:
        percent = 100.0 * done / max(total, 1)
        if percent - self.last < self.step and done < total:
            return
        self.last = percent
        elapsed = time.monotonic() - self.started
        eta = elapsed / done * (total - done) if done else 0.0
        print(f"{self.label}: {percent:5.1f}% ({done}/{total}) {elapsed:6.1f} s, ETA {eta:6.1f} s  {what}",
              file=self.stream, flush=True)


def run_build(args) -> int:
    from app.music.catalog import BuildProblem, build, genres_to_build

    try:
        genres = genres_to_build(args.genre)
    except BuildProblem as exc:
        raise CommandError(str(exc)) from None
    if not genres:
        print("every on-demand genre is built; use --genre NAME to rebuild one")
        return 0
    for genre in genres:
        try:
            report = build(genre, progress=ProgressPrinter(genre))
        except BuildProblem as exc:
            raise CommandError(str(exc)) from exc
        skips = ", ".join(f"{reason} {n}" for reason, n in report.skip_counts().items()) or "none"
        print(f"{genre}: {report.pieces} pieces, {report.bars} bars, {report.segments_4_bars} four-bar "
              f"segments from {report.sources} files in {report.seconds} s -> {report.path}")
        print(f"  skipped: {skips}; off-grid notes rounded: {report.off_grid_notes_rounded}")
    return 0


def run_import(args) -> int:
    from gan.data.importer import ImportFolderError

    from app.music.imports import import_midi_folder

    # The importer checks the tags themselves (a genre is required).
    tags = dict(parse_tag(item, "genre=my_songs") for item in args.tag)
    try:
        report = import_midi_folder(args.folder, tags,
                                    progress=None if args.json else ProgressPrinter("import", 10))
    except ImportFolderError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        print(json.dumps(report.as_dict()))
        return 0
    print(f"imported {len(report.imported)} file(s) as genre={report.genre} -> {report.path}")
    for name, bars in report.imported:
        print(f"  + {name} ({bars} bar{'s' if bars != 1 else ''})")
    print(f"skipped {len(report.skipped)} file(s)")
    for name, reason in report.skipped:
        print(f"  - {name}: {reason}")
    return 0


def run_export(args) -> int:
    from app.music.export import ExportProblem, export_training_music

    if args.bars < 1:
        raise CommandError("--bars must be at least 1")
    try:
        report = export_training_music(args.genre, args.out, limit=args.limit, bars_per_sample=args.bars,
                                       progress=ProgressPrinter(f"export {args.genre}", 10))
    except ExportProblem as exc:
        raise CommandError(str(exc)) from None
    print(f"wrote {len(report.files)} MIDI file(s) of {args.genre} ({args.bars} bars each) "
          f"to {report.folder}")
    return 0
