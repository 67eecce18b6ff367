"""Dataset speed: load, filter, segment; optionally time the corpus builds.

    .venv/bin/python bench/bench_data.py              # load / select / segments
    .venv/bin/python bench/bench_data.py --build chorale string_quartet   # + builds into a temp dir

Prints a markdown table (paste into docs/bench/data.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _best(fn, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def _cold_load_seconds(repeat=5) -> list[float]:
    """A fresh interpreter: import gan.data.corpus + Corpus.load() (what the app pays)."""
    code = ("import time; t=time.perf_counter(); from gan.data.corpus import Corpus; c=Corpus.load(); "
            "print(time.perf_counter()-t, len(c))")
    out = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                              env=dict(os.environ, POLYPHONY_HOME=tempfile.mkdtemp()), check=True)
        out.append(float(done.stdout.split()[0]))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", nargs="*", default=[], help="genres to build into a temp dir and time")
    parser.add_argument("--processes", type=int, default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("POLYPHONY_HOME", tempfile.mkdtemp())
    from gan.data import locations as paths
    from gan.data.corpus import Corpus

    rows = []
    cold = _cold_load_seconds()
    rows.append(("cold start: import gan.data.corpus + Corpus.load() (all genres), median of 5",
                 f"{statistics.median(cold) * 1000:.0f} ms"))
    best, med, corpus = _best(lambda: Corpus.load(include_imports=False))
    rows.append((f"Corpus.load() warm ({len(corpus)} pieces), best / median of 5",
                 f"{best * 1000:.1f} / {med * 1000:.1f} ms"))
    best, med, sel = _best(lambda: corpus.select(["genre=chorale", "mode=minor"], mode="all"))
    rows.append((f"select(genre=chorale, mode=minor, all) -> {len(sel)} pieces", f"{best * 1000:.2f} ms"))
    best, med, n = _best(lambda: corpus.segment_count(4))
    rows.append((f"segment_count(4) = {n} (balanced)", f"{best * 1000:.1f} ms"))
    best, med, segs = _best(lambda: corpus.segments(4), repeat=3)
    rows.append((f"segments(4) -> {segs.shape}, {segs.nbytes / 2**20:.0f} MiB bool", f"{best * 1000:.0f} ms"))
    for genre, count in corpus.tag_counts().items():
        rows.append((f"four-bar segments, {genre} (unbalanced)", str(count)))
    for name in ("chorale.npz", "string_quartet.npz"):
        path = paths.DATA_DIR / name
        if path.exists():
            rows.append((f"data/{name} size", f"{path.stat().st_size / 1024:.0f} KiB"))

    if args.build:
        from gan.data.build import build_genre

        out = Path(tempfile.mkdtemp())
        for genre in args.build:
            report = build_genre(genre, out_dir=out, processes=args.processes)
            rows.append((f"build {genre}: {report.sources} files -> {report.pieces} pieces, "
                         f"{report.bars} bars, {report.segments_4_bars} segments; skipped "
                         f"{report.skip_counts()}", f"{report.seconds:.1f} s"))

    print("| measure | result |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
