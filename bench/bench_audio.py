"""Audio benchmarks: offline render speed and time from play() to sound.

    .venv/bin/python bench/bench_audio.py [--out docs/bench/audio.md]

Render speed: a 30 s four-track piece (choir/strings programs, quarter and
eighth notes, 120 bpm) rendered to a mixed stereo buffer (the WAV export
path) and to per-track stems (the player's path); best and median of 5.
Click to sound: Player.load() + play() until the first non-silent block is
handed to the output (plus the output's buffer latency), and, where a
PulseAudio null sink can be recorded with parec, until sound is seen on the
sink's monitor.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


GENRES = {"string quartet (violin, violin, viola, cello)": (40, 40, 41, 42),
          "chorale (choir aahs x4)": (52, 52, 52, 52)}


def write_piece(path: Path, programs=(40, 40, 41, 42), seconds: float = 30.0, bpm: float = 120.0,
                seed: int = 0) -> Path:
    """Four voices high -> low, quarters and eighths, like a generated sample."""
    import pretty_midi

    rng = np.random.default_rng(seed)
    pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    beat = 60.0 / bpm
    for voice, (low, program, name) in enumerate(zip((67, 60, 53, 40), programs,
                                                     ("soprano", "alto", "tenor", "bass"))):
        inst = pretty_midi.Instrument(program=program, name=name)
        t = 0.0
        while t < seconds - 1e-9:
            length = beat * (0.5 if rng.random() < 0.3 else 1.0)
            length = min(length, seconds - t)
            inst.notes.append(pretty_midi.Note(int(rng.integers(70, 100)), int(low + rng.integers(0, 12)),
                                               t, t + length))
            t += length
        pm.instruments.append(inst)
    pm.write(str(path))
    return path


def bench_render(piece: Path, repeats: int = 5) -> dict:
    from app.audio.render import render_score, resolve_soundfont
    from app.audio.score import load_score
    from app.audio.synth import StemRenderer

    score = load_score(piece)
    soundfont = resolve_soundfont()

    def export():
        render_score(score, soundfont)

    def stems():
        with StemRenderer(score, soundfont, per_track=True) as renderer:
            renderer.render_all()

    results = {}
    for label, job in (("mixed, WAV export (render_score)", export),
                       ("per-track stems, player background render (1 core)", stems)):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            job()
            times.append(time.perf_counter() - start)
        results[label] = (score.end_seconds / min(times), score.end_seconds / statistics.median(times))
    return results


def _start_monitor_recording():
    """parec on the default sink's monitor, or None when there is no PulseAudio to record."""
    if not (shutil.which("parec") and shutil.which("pactl")):
        return None, "parec/pactl not installed (Debian: pulseaudio-utils)"
    info = subprocess.run(["pactl", "get-default-sink"], capture_output=True, text=True)
    if info.returncode != 0 or not info.stdout.strip():
        return None, "no PulseAudio server or default sink (`pactl get-default-sink` failed)"
    sink = info.stdout.strip()
    proc = subprocess.Popen(["parec", "-d", f"{sink}.monitor", "--latency-msec=10", "--format=s16le",
                             "--rate=44100", "--channels=2", "--raw"], stdout=subprocess.PIPE)
    return proc, sink


def bench_click_to_sound(piece: Path, repeats: int = 5, prerendered: bool = True) -> dict:
    """One recording of the sink's monitor for all runs; each run is a fresh Player."""
    import threading

    from app.audio.player import Player

    handed, heard, outputs, clicks = [], [], set(), []
    proc, _sink = _start_monitor_recording()
    chunks = []
    reader = None
    if proc is not None:
        def read(p=proc, out=chunks):
            while True:
                data = p.stdout.read(441 * 4)
                if not data:
                    return
                out.append((time.monotonic(), data))
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        time.sleep(0.5)  # the recording runs before the first click
    gaps = []
    for _ in range(repeats):
        player = Player()
        stamps = []
        pull = player._pull

        def timed_pull(left, right, pull=pull, stamps=stamps):
            pull(left, right)
            stamps.append(time.monotonic())
        player._pull = timed_pull  # the output is opened by load() with this
        try:
            player.load(piece)
            if prerendered:
                player.wait_rendered()
                time.sleep(0.3)  # the output is open and running, as after choosing a sample
            clicked = time.monotonic()
            player.play()
            deadline = clicked + 5
            while player.first_sound_time is None and time.monotonic() < deadline:
                time.sleep(0.001)
            latency = player._output.latency_seconds if player._output is not None else 0.0
            outputs.add(player.output_name or "none (clock only)")
            if player.first_sound_time is not None:
                handed.append(player.first_sound_time - clicked + latency)
            time.sleep(0.6)
            player.stop()
            clicks.append((clicked, time.monotonic()))
            window = [t for t in stamps if clicked <= t <= clicked + 0.6]
            if len(window) > 1:
                gaps.append(float(np.diff(window).max()))
        finally:
            player.close()
        time.sleep(0.3)  # silence between runs, so each onset is found on its own
    if proc is not None:
        proc.terminate()
        proc.wait()
        reader.join(timeout=2)
        for clicked, until in clicks:
            for stamp, data in chunks:
                if clicked <= stamp <= until and np.abs(np.frombuffer(data, dtype="<i2")).max() > 100:
                    # the chunk was read when it arrived; its first sample played ~10 ms earlier
                    heard.append(stamp - clicked)
                    break
    return {"handed": handed, "heard": heard, "gaps": gaps, "outputs": sorted(outputs)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write a markdown fragment here")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    lines = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        render = {}
        for genre, programs in GENRES.items():
            piece = write_piece(Path(tmp) / "piece30s.mid", programs)
            for label, speeds in bench_render(piece, args.repeats).items():
                render[f"{genre}, {label}"] = speeds
        warm = bench_click_to_sound(piece, args.repeats, prerendered=True)
        cold = bench_click_to_sound(piece, args.repeats, prerendered=False)
    load_after = os.getloadavg()
    ms = lambda xs: (f"{1000 * statistics.median(xs):.0f} ms (min {1000 * min(xs):.0f}, max {1000 * max(xs):.0f}, n={len(xs)})"  # noqa: E731
                     if xs else "not measured")
    lines.append("| measure | result | goal |")
    lines.append("|---|---|---|")
    for label, (best, median) in render.items():
        lines.append(f"| render speed, 30 s four-track {label} | {best:.0f}x real time (median {median:.0f}x) | >= 50x |")
    for name, res in (("sample loaded and rendered before the click", warm), ("play right after load (stream just opened, render starting)", cold)):
        lines.append(f"| click to first audio block handed to the output + its buffer latency, {name} | {ms(res['handed'])} | < 200 ms |")
        lines.append(f"| click to sound seen on the PulseAudio null sink's monitor (parec), {name} | {ms(res['heard'])} | < 200 ms |")
        lines.append(f"| longest gap between output blocks in the 0.6 s after the click (one block = 12 ms), {name} | {ms(res['gaps'])} | no dropouts |")
    outputs = sorted(set(warm["outputs"]) | set(cold["outputs"]))
    machine = f"{platform.node()}: {os.cpu_count()} cores, no GPU, {platform.platform()}"
    text = "\n".join(lines)
    header = (f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {machine}; "
              f"output driver: {', '.join(outputs)}; load average {load_before[0]:.1f} before, "
              f"{load_after[0]:.1f} after (the machine is shared).\n\n"
              f"Command: `.venv/bin/python bench/bench_audio.py --repeats {args.repeats}`\n\n")
    print(header + text)
    if args.out:
        args.out.write_text(header + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
