"""`python main.py render FILE.mid --out FILE.wav [--soundfont F]`: MIDI to WAV with FluidSynth."""

from __future__ import annotations

import time
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("render", help="render a MIDI file to WAV with FluidSynth",
                       description="Render a MIDI file to a 16-bit stereo WAV with FluidSynth and a "
                                   "General MIDI soundfont (default: the one that ships with the app).")
    p.add_argument("midi", metavar="FILE.mid", help="the MIDI file to render")
    p.add_argument("--out", metavar="FILE.wav", help="where to write the WAV (default: next to the MIDI)")
    p.add_argument("--soundfont", metavar="F.sf2", help="a General MIDI .sf2 soundfont to use instead")
    p.add_argument("--sample-rate", type=int, default=44100, help="samples per second (default 44100)")
    p.add_argument("--mute", type=int, action="append", default=[], metavar="TRACK",
                   help="leave out this track (0 = top voice); repeatable")
    p.add_argument("--solo", type=int, action="append", default=[], metavar="TRACK",
                   help="play only this track; repeatable")
    p.set_defaults(func=run)


def run(args) -> int:
    from app.audio.fluid import FluidSynthMissing, load_fluidsynth
    from app.audio.render import render_score, resolve_soundfont, write_wav
    from app.audio.score import ScoreError, load_score
    from app.audio.soundfonts import SoundfontError, check_soundfont_file
    from app.cli.common import CommandError

    midi = Path(args.midi)
    out = Path(args.out) if args.out else midi.with_suffix(".wav")
    if not 8000 <= args.sample_rate <= 192000:
        raise CommandError(f"--sample-rate must be between 8000 and 192000, got {args.sample_rate}")
    if out.suffix.lower() != ".wav":
        raise CommandError(f"--out must name a .wav file, got {out}")
    if not out.parent.is_dir():
        raise CommandError(f"the folder for --out does not exist: {out.parent}")
    try:
        score = load_score(midi)
        soundfont = check_soundfont_file(resolve_soundfont(args.soundfont))
        load_fluidsynth()
    except (ScoreError, SoundfontError, FluidSynthMissing) as exc:
        raise CommandError(str(exc)) from None
    for track in args.mute + args.solo:
        if not 0 <= track < len(score.tracks):
            raise CommandError(f"track {track} does not exist: {midi} has tracks 0..{len(score.tracks) - 1}")
    started = time.perf_counter()
    try:
        audio = render_score(score, soundfont, args.sample_rate, mute=args.mute, solo=args.solo)
    except SoundfontError as exc:
        raise CommandError(str(exc)) from None
    seconds = time.perf_counter() - started
    write_wav(out, audio, args.sample_rate)
    length = len(audio) / args.sample_rate
    print(f"wrote {out} ({length:.2f} s of audio, rendered in {seconds:.2f} s = "
          f"{length / max(seconds, 1e-9):.0f}x real time, soundfont {soundfont.name})")
    return 0
