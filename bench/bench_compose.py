"""Compose speed: seconds to accompany a whole melody, and to generate MuseGAN pieces.

    .venv/bin/python bench/bench_compose.py [--out docs/bench/compose.md]

Models are built at the sizes of the ``quick`` and ``lab`` presets with the
pitch window the chorales give (the time does not depend on what the
weights learned, so they are not trained). Melodies: the built-in Ode to
Joy (16 bars) and the same tune four times (64 bars); 3 takes each. The
accompaniment time covers the model, the crossfade and the note rows; the
MIDI time is writing one take that has as many notes as a chorale of that
length (about 22 notes per bar over the three voices), so a noisy untrained
model does not inflate it. Median of 5 runs after one warm-up.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def median_time(fn, repeats: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def build(preset_name: str, architecture: str, window):
    import torch

    from gan.config import preset
    from gan.models import build_models

    config = dataclasses.replace(preset(preset_name), architecture=architecture)
    torch.manual_seed(0)
    G, _ = build_models(config, config.bars_per_sample * 16, window.size)
    G.pitch_window = window
    return G.eval(), config


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, help="write the markdown fragment here")
    args = parser.parse_args()
    import torch

    from gan.compose.accompany import accompany, generate_pieces
    from gan.compose.export import write_composition
    from gan.compose.melody import melody_from_notes
    from gan.data.corpus import Corpus
    from gan.training.device import cpu_threads
    from gan.compose.melodies import builtin_melody
    from gan.models.pitch_window import PitchWindow

    torch.set_num_threads(min(torch.get_num_threads(), cpu_threads()))
    chorales = Corpus.load(["chorale"])
    window = PitchWindow.fit(chorales.segments(4))
    ode = builtin_melody("ode_to_joy")
    long_notes = np.concatenate([ode.notes + [k * 16 * 16, 0, 0] for k in range(4)])
    melodies = {"16 bars": ode, "64 bars": melody_from_notes("ode x4", long_notes, tempo=110)}
    # a realistic take: a real chorale's voices, repeated to the melody's length
    piece = max(chorales.pieces, key=lambda p: p.n_bars)
    per_bar = len(piece.notes[piece.notes[:, 0] > 0]) / piece.n_bars

    rows = []
    for preset_name in ("quick", "lab"):
        G, config = build(preset_name, "unet", window)
        for label, melody in melodies.items():
            seconds = median_time(lambda: accompany(G, melody, [0, 1, 2]))
            take = accompany(G, melody, [0])
            bars = melody.n_bars
            acc = piece.notes[piece.notes[:, 0] > 0]
            reps = -(-bars // piece.n_bars)
            acc = np.concatenate([acc + [0, k * piece.n_bars * 16, 0, 0] for k in range(reps)])
            acc = acc[acc[:, 1] < bars * 16]
            notes = np.concatenate([take.takes[0].notes[take.takes[0].notes[:, 0] == 0], acc])
            with tempfile.TemporaryDirectory() as tmp:
                midi_seconds = median_time(lambda: write_composition(Path(tmp) / "t.mid", notes, melody))
            rows.append((f"U-Net `{preset_name}` (width {config.width}, {config.bars_per_sample}-bar windows)",
                         f"accompany {label}, 3 takes", seconds, f"MIDI of one take ({len(notes)} notes): "
                         f"{midi_seconds * 1000:.0f} ms"))
    for preset_name in ("quick", "lab"):
        G, config = build(preset_name, "musegan", window)
        seconds = median_time(lambda: generate_pieces(G, 16, seed=0))
        rows.append((f"MuseGAN `{preset_name}` (width {config.width}, {config.bars_per_sample} bars)",
                     "generate 16 pieces", seconds, ""))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    today = datetime.date.today().isoformat()
    lines = [
        "## Compose (accompaniment and generation)",
        "",
        f"Measured {today} on {platform.node() or 'this machine'}: {os.cpu_count()} cores, no GPU, "
        f"torch {torch.__version__} CPU, {torch.get_num_threads()} threads, chorale pitch window "
        f"{window.size} rows ({per_bar:.0f} accompaniment notes per bar in the MIDI check). "
        f"Load average at the end: {load:.1f} (other programs shared the cores, so these are "
        f"upper bounds).",
        "",
        "| model | task | seconds (median of 5) | note |",
        "|---|---|---|---|",
    ]
    lines += [f"| {m} | {task} | {s:.3f} | {note} |" for m, task, s, note in rows]
    lines += ["", "Command: `.venv/bin/python bench/bench_compose.py --out docs/bench/compose.md`", ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
