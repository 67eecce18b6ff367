"""Rebuild the committed genres (and, when asked, the on-demand ones).

    .venv/bin/python data/build_dataset.py                  # chorale + string_quartet into data/
    .venv/bin/python data/build_dataset.py --genre folk     # one genre

Needs music21 (``pip install music21``). Writes ``data/<genre>.npz`` and
updates ``data/manifest.json`` (counts, skips by reason, music21 version,
date). On-demand genres go to the user data directory.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan.data.build import COMMITTED_GENRES, CORPUS_GENRES, build_genre  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--genre", action="append", choices=CORPUS_GENRES,
                        help="genre to build (repeatable); default: the committed ones")
    parser.add_argument("--processes", type=int, default=None)
    args = parser.parse_args(argv)
    for genre in args.genre or COMMITTED_GENRES:
        def progress(done, total, source, genre=genre):
            print(f"\r{genre}: {done}/{total} {source[:50]:<50}", end="", file=sys.stderr, flush=True)

        report = build_genre(genre, progress=progress, processes=args.processes)
        print(file=sys.stderr)
        print(f"{genre}: {report.pieces} pieces, {report.bars} bars, {report.segments_4_bars} "
              f"four-bar segments from {report.sources} files in {report.seconds} s; "
              f"skipped {report.skip_counts()}; off-grid notes rounded {report.off_grid_notes_rounded}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
