"""Rows about what comes in: hostile MIDI files and bad settings."""

from __future__ import annotations

import re
import struct
import time
from pathlib import Path

from bench.faults.common import Context, Row, cli

LIBRARY_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback")


def _smf(track: bytes, ticks_per_beat: int) -> bytes:
    return (b"MThd" + struct.pack(">IHHH", 6, 0, 1, ticks_per_beat)
            + b"MTrk" + struct.pack(">I", len(track)) + track)


def _hostile(folder: Path) -> None:
    from tests.fixtures.midi_fuzz import vlq

    (folder / "long_note.mid").write_bytes(_smf(
        vlq(0) + b"\x90\x3c\x40" + vlq(9_999_990) + b"\x80\x3c\x00" + vlq(0) + b"\xff\x2f\x00", 1))
    notes = b"\x00\x3c\x40\x01\x3c\x00" * 2_000_000
    (folder / "two_million_notes.mid").write_bytes(
        _smf(vlq(0) + b"\x90" + notes[1:] + b"\x00\xff\x2f\x00", 480))
    (folder / "tempo_zero.mid").write_bytes(_smf(
        b"\x00\xff\x51\x03\x00\x00\x00\x00\x90\x3c\x40\x10\x80\x3c\x00\x00\xff\x2f\x00", 480))
    (folder / "division_zero.mid").write_bytes(_smf(b"\x00\x90\x3c\x40\x10\x80\x3c\x00", 0))
    storm = b"".join(b"\x00\xff\x51\x03" + bytes([k % 256, 0, 1]) for k in range(3000))
    (folder / "tempo_storm.mid").write_bytes(_smf(
        storm + b"\x00\x90\x3c\x40\x87\x40\x80\x3c\x00\x00\xff\x2f\x00", 1))


def hostile_midi(ctx: Context) -> Row:
    row = Row("hostile MIDI files", "a 37-byte file of 2.5 million bars, 2 million notes in 12 "
              "MB, a tempo or time division of 0, thousands of extreme tempos, and "
              "structure-aware mutations of real chorales and a quartet: each file imported "
              "within the bounds or skipped with a reason in words, in bounded time")
    from gan.data import limits
    from gan.data.importer import import_folder
    from tests.fixtures.midi_fuzz import mutate
    from tests.test_import_fuzz import _real_files

    folder = ctx.home("hostile")
    _hostile(folder)
    real = _real_files(str(ctx.home("real")))
    mutants = ctx.n(300, 12)
    for k in range(mutants):
        data, _ = mutate(real[k % 3], 50_000 + k, 2)
        (folder / f"mutant_{k:03d}.mid").write_bytes(data)
    times: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(done: int, total: int, name: str) -> None:
        now = time.perf_counter()
        times[name], last[0] = now - last[0], now

    import os

    os.environ["POLYPHONY_HOME"] = str(ctx.home("hostile-home"))
    report = import_folder(folder, {"genre": "hostile"}, progress=progress)
    bars = dict(report.imported)
    for name, reason in report.skipped:
        row.check(not LIBRARY_NAME.search(reason) and times[name] < 30,
                  f"{name}: {reason} ({times[name]:.1f} s)")
    for name, n_bars in report.imported:
        row.check(n_bars <= limits.MAX_BARS_PER_FILE and times[name] < 30,
                  f"{name}: {n_bars} bars ({times[name]:.1f} s)")
    slowest = max(times.items(), key=lambda kv: kv[1])
    row.figures = (f"{len(report.imported)} imported (at most {max(bars.values(), default=0)} "
                   f"bars), {len(report.skipped)} skipped; slowest file {slowest[1]:.1f} s "
                   f"({slowest[0]}); all {len(times)} files in {sum(times.values()):.0f} s")
    return row


BAD_SETTINGS = [
    (["--set", "device=cuda"], "no CUDA GPU"),
    (["--preset", ""], "preset = '' is not allowed"),
    (["--preset", "quik"], "preset = 'quik' is not allowed"),
    (["--set", "epochs==5", "--epochs", "1"], "is not a whole number"),
    (["--set", "epochs=5", "--epochs", "1"], "given twice"),
    (["--set", "batch_size=0"], "batch_size = 0"),
    (["--set", "critic_lr=nan"], "critic_lr = nan"),
    (["--set", "gp_weight=inf"], "gp_weight = inf"),
    (["--set", "loudness=11"], "unknown setting 'loudness'"),
    (["--set", "width"], "is not of the form field=value"),
    (["--epochs", "-3"], "epochs = -3"),
    (["--set", "device=tpu"], "device = 'tpu'"),
    (["--genre", "nonexistent"], "unknown genre 'nonexistent'"),
    (["--tag", "nonsense"], "must look like key=value"),
]


def bad_settings(ctx: Context) -> Row:
    row = Row("bad settings", "train with a missing device, an empty or unknown preset, a bad "
              "or contradicting value, an unknown setting, an unknown genre: refused with a "
              "message naming it, exit 2, no job created")
    for args, message in BAD_SETTINGS[:ctx.n(len(BAD_SETTINGS), 5)]:
        home = ctx.home("bad")
        ran = cli(["train", "--genre", "chorale", "--queue-only", *args], home)
        listed = cli(["jobs", "list", "--json"], home)
        row.check(ran.code == 2 and ran.clean and message in ran.err and listed.out.strip() == "[]",
                  f"{args}: {ran.code} {ran.crash} {ran.err.strip()[:160]}")
    return row
