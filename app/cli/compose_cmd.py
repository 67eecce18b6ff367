"""`python main.py compose ...`: use a trained job's model.

    compose --job ID [--epoch N] --melody FILE.mid --out FILE.mid [--seed S] [--takes K]
    compose --job ID --builtin ode_to_joy --out FILE.mid
    compose --job ID --notes "E4 E4 F4 G4 | G4:4" --out FILE.mid
    compose --job ID --generate N --out FILE.mid [--seed S]          (MuseGAN jobs)
    compose --job ID --interpolate SEED_B --steps N --out FILE.mid   (MuseGAN jobs)

Several output files are FILE_1.mid ... FILE_K.mid. The Qt-free helpers
here (which checkpoint, which genre, where the melodies lay) are shared
with the window's compose panel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

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


def _error(message: str):
    from app.cli import CommandError

    return CommandError(message)


# -- helpers shared with the window ---------------------------------------------

@dataclass(frozen=True)
class ModelChoice:
    job_id: int
    epoch: int
    checkpoint: Path
    architecture: str
    genre: str | None
    why: str  # "best similarity index 0.41" / "epoch asked for" / "last checkpoint"


def epoch_checkpoints(store, job_id: int) -> list[tuple[int, Path, float | None]]:
    """(epoch, checkpoint, similarity) of every epoch whose checkpoint file exists."""
    return [(row.epoch, Path(row.checkpoint_path), row.similarity) for row in store.epochs(job_id)
            if row.checkpoint_path and Path(row.checkpoint_path).is_file()]


def choose_checkpoint(store, job_id: int, epoch: int | None = None) -> ModelChoice:
    """The checkpoint to compose with: ``epoch``'s, else the best similarity
    index's, else the newest. ``ValueError`` with the reason when none fits."""
    from app.jobs.runner import genre_of

    job = store.get(job_id)
    found = epoch_checkpoints(store, job_id)
    if not found:
        raise ValueError(f"job {job_id} ({job.name}) has no checkpoint yet (status {job.status}): "
                         f"train it for at least one epoch first")
    genre = genre_of(job.tags)
    if epoch is not None:
        for e, path, _ in found:
            if e == epoch:
                return ModelChoice(job_id, e, path, job.config.architecture, genre, "epoch asked for")
        have = ", ".join(str(e) for e, _, _ in found)
        raise ValueError(f"job {job_id} has no checkpoint for epoch {epoch}; it has epochs {have}")
    scored = [(s, e, path) for e, path, s in found if s is not None]
    if scored:
        s, e, path = max(scored, key=lambda x: (x[0], x[1]))
        return ModelChoice(job_id, e, path, job.config.architecture, genre,
                           f"best similarity index {s:.3f}")
    e, path, _ = found[-1]
    return ModelChoice(job_id, e, path, job.config.architecture, genre, "last checkpoint")


def melody_range(job) -> tuple[int, int] | None:
    """Lowest and highest pitch of the top voice in the job's training music
    (where its melodies lay), or None when that music cannot be read now."""
    try:
        from app.jobs.runner import genres_to_load
        from gan.data.corpus import Corpus

        corpus = Corpus.load(genres_to_load(job.tags, job.tag_mode)).select(job.tags, job.tag_mode)
        tops = [p.notes[p.notes[:, 0] == 0, 3] for p in corpus.pieces if len(p.notes)]
        tops = [t for t in tops if len(t)]
        if not tops:
            return None
        import numpy as np

        pitches = np.concatenate(tops)
        return int(pitches.min()), int(pitches.max())
    except Exception:  # a preference, not a requirement: compose without it
        return None


def programs_for(genre: str | None) -> list[int]:
    from gan.data.midi_io import programs_for as table

    return list(table(genre))


def numbered(out: Path, count: int) -> list[Path]:
    """FILE.mid for one file, FILE_1.mid ... FILE_K.mid for several."""
    if count == 1:
        return [out]
    return [out.with_name(f"{out.stem}_{i}{out.suffix}") for i in range(1, count + 1)]


# -- the command -------------------------------------------------------------------

def _melody(args):
    from gan.compose.melody import melody_from_midi, melody_from_notes
    from gan.compose.melodies import builtin_melody, parse_notes

    if args.melody:
        path = Path(args.melody)
        if not path.is_file():
            raise _error(f"melody file {path} does not exist")
        track = None if args.track is None else args.track - 1
        return melody_from_midi(path, track=track, pickup_beats=args.pickup)
    if args.builtin:
        return builtin_melody(args.builtin)
    pickup = args.pickup or 0.0
    return melody_from_notes("typed melody", parse_notes(args.notes, pickup), tempo=args.tempo,
                             pickup_beats=pickup)


def _list_melodies() -> int:
    from gan.compose.melodies import builtin_titles

    for name, title in builtin_titles().items():
        print(f"{name}: {title}")
    return 0


def _list_tracks(path: str | None) -> int:
    from gan.compose.melody import midi_tracks
    from gan.data.midi_io import MidiReadError

    if not path:
        raise _error("--list-tracks needs --melody FILE.mid")
    try:
        for info in midi_tracks(path):
            print(info.label())
    except MidiReadError as exc:
        raise _error(f"{Path(path).name}: {exc}") from None
    return 0


def _check_args(args) -> None:
    if args.job is None:
        raise _error("--job ID is required (see `python main.py jobs list`)")
    if not (args.melody or args.builtin or args.notes or args.generate is not None
            or args.interpolate is not None):
        raise _error("say what to compose: --melody FILE.mid, --builtin NAME or --notes TEXT "
                     "(U-Net jobs), or --generate N / --interpolate SEED_B (MuseGAN jobs)")
    if not args.out:
        raise _error("--out FILE.mid is required")
    out = Path(args.out)
    if out.suffix.lower() not in (".mid", ".midi"):
        raise _error(f"--out must name a .mid file, got {out.name}")
    if not out.parent.exists():
        raise _error(f"the folder for --out does not exist: {out.parent}")
    if not 1 <= args.takes <= 64:
        raise _error(f"--takes must be 1 to 64, got {args.takes}")
    if args.generate is not None and not 1 <= args.generate <= 256:
        raise _error(f"--generate must be 1 to 256 pieces, got {args.generate}")
    if args.interpolate is not None and not 2 <= args.steps <= 64:
        raise _error(f"--steps must be 2 to 64, got {args.steps}")
    if (args.generate is not None or args.interpolate is not None) and args.takes != 1:
        raise _error("--takes is for accompaniments; with MuseGAN use --generate N for N pieces")


def run(args) -> int:
    if args.list_melodies:
        return _list_melodies()
    if args.list_tracks:
        return _list_tracks(args.melody)
    _check_args(args)
    from app.cli.train_cmd import open_store
    from app.jobs.errors import JobNotFound

    store = open_store()
    try:
        choice = choose_checkpoint(store, args.job, args.epoch)
        job = store.get(args.job)
    except JobNotFound as exc:
        raise _error(str(exc)) from None
    except ValueError as exc:
        raise _error(str(exc)) from None
    wants_melody = bool(args.melody or args.builtin or args.notes)
    if wants_melody and choice.architecture != "unet":
        raise _error(f"job {args.job} is a {choice.architecture} model: it writes pieces from "
                     f"noise and does not accompany melodies; use --generate N")
    if not wants_melody and choice.architecture != "musegan":
        raise _error(f"job {args.job} is an accompaniment (U-Net) model: it needs a melody "
                     f"(--melody, --builtin or --notes), not --generate/--interpolate")

    from gan.compose.accompany import ComposeError, load_model
    from gan.compose.melody import MelodyError

    out = Path(args.out)
    try:
        melody = _melody(args) if wants_melody else None
        model, _ = load_model(choice.checkpoint, device=args.device)
        if melody is not None:
            files, messages = _accompany(model, melody, job, choice, args, out)
        else:
            files, messages = _generate(model, choice, args, out)
    except (MelodyError, ComposeError) as exc:
        raise _error(str(exc)) from None
    except (RuntimeError, ValueError, OSError) as exc:  # no such device, a damaged or deleted checkpoint
        raise _error(f"cannot use the model of job {args.job}, epoch {choice.epoch}: {exc}") from None
    wavs = _render(files) if args.wav else []
    result = {"job": args.job, "epoch": choice.epoch, "checkpoint": str(choice.checkpoint),
              "why": choice.why, "files": [str(f) for f in files], "wav": [str(w) for w in wavs],
              "messages": messages}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"job {args.job}, epoch {choice.epoch} ({choice.why})")
        for message in messages:
            print(f"note: {message}")
        for f in files + wavs:
            print(f"wrote {f}")
    return 0


def _accompany(model, melody, job, choice: ModelChoice, args, out: Path):
    from gan.compose.accompany import accompany
    from gan.compose.export import write_composition
    from gan.data.roll import VOICE_NAMES

    seeds = [args.seed + i for i in range(args.takes)]
    result = accompany(model, melody, seeds, preferred_range=melody_range(job))
    programs = programs_for(choice.genre)
    files = []
    for take, path in zip(result.takes, numbered(out, len(result.takes))):
        files.append(write_composition(path, take.notes, result.melody, programs=programs,
                                       track_names=VOICE_NAMES))
    messages = list(result.messages)
    if len(seeds) > 1:
        messages.append(f"takes use seeds {seeds[0]}..{seeds[-1]}, in file order")
    return files, messages


def _generate(model, choice: ModelChoice, args, out: Path):
    from gan.compose.accompany import generate_pieces, interpolate
    from gan.compose.export import write_roll

    programs = programs_for(choice.genre)
    if args.interpolate is not None:
        rolls = interpolate(model, args.seed, args.interpolate, args.steps)
        messages = [f"{len(rolls)} pieces from seed {args.seed} to seed {args.interpolate}"]
    else:
        rolls = generate_pieces(model, args.generate, args.seed)
        messages = [f"{len(rolls)} piece(s) from seed {args.seed}"]
    files = [write_roll(path, roll, programs=programs) for roll, path in zip(rolls, numbered(out, len(rolls)))]
    return files, messages


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
            raise _error(f"the MIDI files were written, but rendering {f.name} to WAV failed: {exc}") from None
    return wavs
