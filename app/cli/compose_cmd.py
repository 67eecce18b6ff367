"""`python main.py compose ...`: use a trained job's model.

    compose --job ID [--epoch N] --melody FILE.mid --out FILE.mid [--seed S] [--takes K]
    compose --job ID --builtin ode_to_joy --out FILE.mid
    compose --job ID --notes "E4 E4 F4 G4 | G4:4" --out FILE.mid
    compose --job ID --generate N --out FILE.mid [--seed S]          (MuseGAN jobs)
    compose --job ID --interpolate SEED_B --steps N --out FILE.mid   (MuseGAN jobs)

Several output files are FILE_1.mid ... FILE_K.mid. The work itself (which
checkpoint, where the melodies lay, the pipeline) is the compose service,
``app.compose``, which the window's Compose tab uses too.
"""

from __future__ import annotations

import json
from pathlib import Path

from app.cli.common import CommandError, open_store
from app.compose.choice import choose_checkpoint
from app.compose.melody_source import (BUILTIN, FILE, TYPED, MelodyError, MelodySource,
                                       build_melody, builtin_titles, midi_tracks)
from app.compose.pipeline import accompany_melody, generate_pieces, numbered

__all__ = ["choose_checkpoint", "register", "run"]

HELP = "accompany a melody or write new pieces with a trained job's model"


def register(sub) -> None:
    p = sub.add_parser("compose", help=HELP, description=HELP + ". U-Net jobs accompany a melody "
                       "(--melody, --builtin or --notes); MuseGAN jobs write pieces (--generate, "
                       "--interpolate).")
    p.add_argument("--job", type=int, metavar="ID", help="the trained job to use")
    p.add_argument("--epoch", type=int, metavar="N",
                   help="use this epoch's checkpoint (default: the best similarity index)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--melody", metavar="FILE.mid", help="accompany the melody in this MIDI file")
    src.add_argument("--builtin", metavar="NAME", help="accompany a built-in melody (see --list-melodies)")
    src.add_argument("--notes", metavar="TEXT",
                     help='accompany notes typed as text, e.g. "E4 E4 F4 G4 | G4:2 r:2" (pitch[:beats])')
    src.add_argument("--generate", type=int, metavar="N", help="MuseGAN jobs: write N pieces from --seed")
    src.add_argument("--interpolate", type=int, metavar="SEED_B",
                     help="MuseGAN jobs: pieces walking from --seed to SEED_B (see --steps)")
    p.add_argument("--out", metavar="FILE.mid", help="where to write (several files: FILE_1.mid ...)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the first take (default 0)")
    p.add_argument("--takes", type=int, default=1, metavar="K",
                   help="accompaniments from K seeds (seed, seed+1, ...), one file each")
    p.add_argument("--track", type=int, metavar="T",
                   help="the melody's track in --melody's file, counting from 1 (see --list-tracks)")
    p.add_argument("--pickup", type=float, metavar="BEATS",
                   help="the melody starts with a pick-up of this many beats (default: from the file)")
    p.add_argument("--tempo", type=float, default=100.0, help="tempo for --notes (default 100)")
    p.add_argument("--steps", type=int, default=5, help="pieces in an --interpolate walk (default 5)")
    p.add_argument("--device", default="cpu",
                   help="where the model runs: cpu (default), auto, cuda, cuda:N or mps")
    p.add_argument("--wav", action="store_true", help="also render each MIDI file to WAV")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--list-melodies", action="store_true", help="list the built-in melodies and exit")
    p.add_argument("--list-tracks", action="store_true", help="list --melody's tracks and exit")
    p.set_defaults(func=run)


def _melody(args):
    """The tune the arguments name, built by the compose service."""
    source = (MelodySource(FILE, path=args.melody, pickup=args.pickup,
                           track=None if args.track is None else args.track - 1) if args.melody
              else MelodySource(BUILTIN, name=args.builtin) if args.builtin
              else MelodySource(TYPED, notes=args.notes, tempo=args.tempo, pickup=args.pickup))
    return build_melody(source)


def _list_melodies() -> int:
    for name, title in builtin_titles().items():
        print(f"{name}: {title}")
    return 0


def _list_tracks(path: str | None) -> int:
    if not path:
        raise CommandError("--list-tracks needs --melody FILE.mid")
    try:
        for info in midi_tracks(path):
            print(info.label())
    except MelodyError as exc:
        raise CommandError(str(exc)) from None
    return 0


def _check_args(args) -> None:
    if args.job is None:
        raise CommandError("--job ID is required (see `python main.py jobs list`)")
    if not (args.melody or args.builtin or args.notes or args.generate is not None
            or args.interpolate is not None):
        raise CommandError("say what to compose: --melody FILE.mid, --builtin NAME or --notes TEXT "
                     "(U-Net jobs), or --generate N / --interpolate SEED_B (MuseGAN jobs)")
    if not args.out:
        raise CommandError("--out FILE.mid is required")
    out = Path(args.out)
    if out.suffix.lower() not in (".mid", ".midi"):
        raise CommandError(f"--out must name a .mid file, got {out.name}")
    if not out.parent.exists():
        raise CommandError(f"the folder for --out does not exist: {out.parent}")
    if not 1 <= args.takes <= 64:
        raise CommandError(f"--takes must be 1 to 64, got {args.takes}")
    if args.generate is not None and not 1 <= args.generate <= 256:
        raise CommandError(f"--generate must be 1 to 256 pieces, got {args.generate}")
    if args.interpolate is not None and not 2 <= args.steps <= 64:
        raise CommandError(f"--steps must be 2 to 64, got {args.steps}")
    if (args.generate is not None or args.interpolate is not None) and args.takes != 1:
        raise CommandError("--takes is for accompaniments; with MuseGAN use --generate N for N pieces")


def run(args) -> int:
    if args.list_melodies:
        return _list_melodies()
    if args.list_tracks:
        return _list_tracks(args.melody)
    _check_args(args)
    from app.jobs.errors import JobNotFound

    store = open_store()
    try:
        choice = choose_checkpoint(store, args.job, args.epoch)
    except (JobNotFound, ValueError) as exc:
        raise CommandError(str(exc)) from None
    wants_melody = bool(args.melody or args.builtin or args.notes)
    if wants_melody and choice.architecture != "unet":
        raise CommandError(f"job {args.job} is a {choice.architecture} model: it writes pieces from "
                           f"noise and does not accompany melodies; use --generate N")
    if not wants_melody and choice.architecture != "musegan":
        raise CommandError(f"job {args.job} is an accompaniment (U-Net) model: it needs a melody "
                           f"(--melody, --builtin or --notes), not --generate/--interpolate")
    from gan.compose.accompany import ComposeError

    try:
        done = _compose(args, choice, wants_melody)
    except (MelodyError, ComposeError) as exc:
        raise CommandError(str(exc)) from None
    except (RuntimeError, ValueError, OSError) as exc:  # no such device, a damaged or deleted checkpoint
        raise CommandError(f"cannot use the model of job {args.job}, epoch {choice.epoch}: {exc}") from None
    wavs = _render(done.files) if args.wav else []
    _report(args, choice, done.files, wavs, done.messages)
    return 0


def _compose(args, choice, wants_melody: bool):
    out = Path(args.out)
    if wants_melody:
        melody = _melody(args)  # before the model loads: a refused tune costs nothing
        seeds = [args.seed + i for i in range(args.takes)]
        paths = numbered(out, len(seeds))
        done = accompany_melody(choice, melody, seeds, lambda i, _seed: paths[i], device=args.device)
        if len(seeds) > 1:
            done.messages.append(f"takes use seeds {seeds[0]}..{seeds[-1]}, in file order")
        return done
    count = args.generate if args.interpolate is None else args.steps
    paths = numbered(out, count)
    return generate_pieces(choice, args.generate or 0, args.seed, lambda i, _seed: paths[i],
                           interpolate_to=args.interpolate, steps=args.steps, device=args.device)


def _report(args, choice, files: list[Path], wavs: list[Path], messages: list[str]) -> None:
    result = {"job": args.job, "epoch": choice.epoch, "checkpoint": str(choice.checkpoint),
              "why": choice.why, "files": [str(f) for f in files], "wav": [str(w) for w in wavs],
              "messages": messages}
    if args.json:
        print(json.dumps(result))
        return
    print(f"job {args.job}, epoch {choice.epoch} ({choice.why})")
    for message in messages:
        print(f"note: {message}")
    for f in files + wavs:
        print(f"wrote {f}")


def _render(files: list[Path]) -> list[Path]:
    from app.audio.fluid import FluidSynthMissing
    from app.audio.render import render_file
    from app.audio.score import ScoreError
    from app.audio.soundfonts import SoundfontError

    wavs = []
    for f in files:
        try:
            wavs.append(render_file(f, f.with_suffix(".wav")))
        except (ScoreError, SoundfontError, FluidSynthMissing, OSError) as exc:
            raise CommandError(f"the MIDI files were written, but rendering {f.name} to WAV failed: {exc}") from None
    return wavs
