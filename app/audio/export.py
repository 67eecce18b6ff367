"""MIDI and WAV export of a sample, keeping what the file says about itself.

MIDI export copies the file byte for byte (tempo, time signature, track
names, instruments, everything), or, when the user changed a track's
instrument, rewrites only that track's program changes with mido.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gan.util.atomic import atomic_path

from app.audio.score import ScoreError, load_score


class ExportError(ValueError):
    """An export that cannot be done; the message says why."""


def check_target(dst: Path, suffixes: tuple[str, ...]) -> None:
    if dst.suffix.lower() not in suffixes:
        raise ExportError(f"{dst.name}: the file name should end with {' or '.join(suffixes)}")
    if not dst.parent.is_dir():
        raise ExportError(f"the folder does not exist: {dst.parent}")


def export_midi(src, dst, programs: dict[int, int] | None = None) -> Path:
    """Copy ``src`` to ``dst``; ``programs`` (track index -> GM program) replaces instruments."""
    src, dst = Path(src), Path(dst)
    check_target(dst, (".mid", ".midi"))
    if not src.is_file():
        raise ExportError(f"MIDI file not found: {src}")
    with atomic_path(dst) as tmp:
        if not programs:
            shutil.copyfile(src, tmp)
        else:
            _write_with_programs(src, tmp, programs)
    return dst


def _write_with_programs(src: Path, dst: Path, programs: dict[int, int]) -> None:
    import mido

    try:
        score = load_score(src)
        midi = mido.MidiFile(str(src))
    except (ScoreError, OSError, ValueError) as exc:
        raise ExportError(str(exc)) from exc
    # the score's track i is the i-th track of the file that holds notes or a program
    musical = [t for t in midi.tracks if any(m.type in ("note_on", "program_change") for m in t)]
    for index, program in programs.items():
        if not 0 <= index < len(score.tracks) or index >= len(musical):
            raise ExportError(f"track {index} does not exist in {src.name}")
        track = musical[index]
        channel = next((m.channel for m in track if hasattr(m, "channel")), 0)
        changed = False
        for i, msg in enumerate(track):
            if msg.type == "program_change":
                track[i] = msg.copy(program=int(program))
                changed = True
        if not changed:
            track.insert(0, mido.Message("program_change", channel=channel, program=int(program), time=0))
    midi.save(str(dst))


def export_wav(src, dst, soundfont=None, programs: dict[int, int] | None = None,
               mute=(), solo=()) -> Path:
    from app.audio.render import render_file

    dst = Path(dst)
    check_target(dst, (".wav",))
    return render_file(src, dst, soundfont=soundfont, programs=programs, mute=mute, solo=solo)
