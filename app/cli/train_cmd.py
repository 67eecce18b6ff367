"""`python main.py train ...`: create a training job and run it here.

The job goes into the same job store the window uses, so the window shows it
live. Progress is printed as it comes (a line per epoch, a compact line at
each log interval), or as one JSON object per event with ``--json``.
Ctrl-C stops cleanly: the job becomes ``cancelled`` and can be resumed.
"""

from __future__ import annotations

import signal
import sys
import threading

from app.cli.common import CommandError, open_store, parse_tag, print_json

HELP = "create a training job and run it in the foreground"
EXIT_CODES = {"completed": 0, "failed": 1, "cancelled": 130}


def register(sub) -> None:
    p = sub.add_parser("train", help=HELP, description=HELP + ". Settings come from a preset, "
                       "changed with --epochs and --set field=value (see `train --list-settings`).")
    p.add_argument("--preset", default=None, help="starting settings: smoke, quick (default), lab, full")
    p.add_argument("--genre", action="append", default=[], metavar="NAME",
                   help="train on this genre (same as --tag genre=NAME); repeat for several")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE",
                   help="train on pieces with this tag (for example composer=bach); repeatable")
    p.add_argument("--match", choices=("any", "all"), default="any",
                   help="pieces matching any tag (default) or all of them")
    p.add_argument("--epochs", metavar="N", help="number of epochs")
    p.add_argument("--set", dest="sets", action="extend", nargs="+", default=[], metavar="FIELD=VALUE",
                   help="change settings, for example --set batch_size=16 epochs=5 "
                        "(or --set repeated)")
    p.add_argument("--name", help="a name for the job")
    p.add_argument("--json", action="store_true", help="print one JSON object per event")
    p.add_argument("--queue-only", action="store_true",
                   help="only put the job in the queue (the window or `jobs run` runs it)")
    p.add_argument("--list-settings", action="store_true", help="print the settings and exit")
    p.set_defaults(func=run)


def build_config(args):
    """The preset (quick when none is named; an empty name is refused) with
    every --set and --epochs applied. Each assignment is checked on its own
    and a setting given twice with two values is refused, so no bad or
    contradicting value is ever dropped silently."""
    from gan.config import DEFAULT_PRESET, ConfigError, preset

    overrides = list(args.sets)
    if args.epochs is not None:
        overrides.append(f"epochs={args.epochs}")
    try:
        base = preset(DEFAULT_PRESET if args.preset is None else args.preset.strip())
        given: dict[str, str] = {}
        for text in overrides:
            base.with_overrides([text])
            key, _, value = (part.strip() for part in text.partition("="))
            if given.setdefault(key, value) != value:
                raise ConfigError({key: f"{key} is given twice ({key}={given[key]} and "
                                        f"{key}={value}): give it once"})
        return base.with_overrides(overrides)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def check_device(name: str) -> None:
    """A device named but not here (``cuda`` without a GPU) is refused before
    any job row is written. ``auto`` always finds one (the CPU at least), so
    it is not checked here; under torchrun the rank checks come first."""
    if (name or "auto").strip().lower() == "auto":
        return
    from gan.training.device import resolve_device

    try:
        resolve_device(name)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def build_tags(args) -> list[str]:
    tags = [f"genre={g.strip()}" for g in args.genre]
    tags += ["=".join(parse_tag(tag)) for tag in args.tag]
    return list(dict.fromkeys(tags))


def check_music(tags: list[str], mode: str, bars_per_sample: int):
    """The music the tags select (``app.music.selection.Selection``); refuses
    (no job created) when it cannot be read or gives too few segments."""
    from app.jobs.submit import MusicUnavailable, check_music as check

    try:
        return check(tags, mode, bars_per_sample)
    except MusicUnavailable as exc:
        raise CommandError(str(exc)) from None


def run(args) -> int:
    if args.list_settings:
        return _list_settings()
    config = build_config(args)
    tags = build_tags(args)
    ranks = _torchrun_ranks()
    if ranks.distributed:
        _check_gpus(config.device, ranks)  # before any job row is written
        if args.queue_only:
            raise CommandError("--queue-only does not go with torchrun: queue the job with plain "
                         "`python main.py train --queue-only`, then run it under torchrun "
                         "with `jobs resume ID`")
        if not ranks.is_main:
            # Only rank 0 touches the job store; this rank learns the job from it.
            return _run_other_rank(config.device)
    check_device(config.device)
    selection = check_music(tags, args.match, config.bars_per_sample)
    store = open_store()
    from app.jobs.store import StoreError
    from app.jobs.submit import JobRequest, submit

    try:
        # Created already running here when it runs now, so the window's
        # queue cannot start it too.
        job_id = submit(store, JobRequest(args.name or "", config, tags, args.match),
                        claim=not args.queue_only)
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    if args.queue_only:
        job = store.get(job_id)
        if args.json:
            print_json({"event": "JobQueued", "job_id": job_id, "name": job.name,
                        "status": job.status, "queue_position": job.queue_position})
        else:
            print(f"job {job_id} queued ({job.name}); run it with `python main.py jobs run`")
        return 0
    # The music read for the check is the music it trains on: read once.
    return run_foreground(store, job_id, args.json, claimed=True, load_data=selection.loader())


def _list_settings() -> int:
    from gan.config import PRESETS, SPECS, allowed_text

    for name, spec in SPECS.items():
        values = ", ".join(f"{p}={getattr(cfg, name)}" for p, cfg in PRESETS.items())
        print(f"{name}: {allowed_text(name)} [{values}]\n    {spec.help}")
    return 0


def _torchrun_ranks():
    from gan.training import distributed

    try:
        return distributed.from_env()
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _check_gpus(device: str, ranks) -> None:
    """More torchrun processes than GPUs: refused by every rank, with what
    to run instead, before anyone touches the job store."""
    from gan.training import distributed

    try:
        distributed.check_gpus(device, ranks)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _join_ranks(device: str):
    from gan.training import distributed

    try:
        return distributed.setup(device)
    except (ValueError, RuntimeError) as exc:
        raise CommandError(f"cannot join the torchrun process group: {exc}") from None


def _run_main_rank(store, job_id: int, as_json: bool, claimed: bool, load_data=None) -> int:
    """Rank 0 under torchrun: owns the job row (as a single process would)
    and tells the other ranks, by broadcast, which job to train."""
    from gan.training import distributed

    job = store.get(job_id)
    ranks = _join_ranks(job.config.device)
    try:
        point = store.resume_point(job_id)
        # Nothing to train (killed after its last epoch was saved): the
        # others must not wait in training for a rank that never starts.
        plan = ("done",) if point is not None and point[0] >= job.config.epochs else \
            ("train", job_id, job.config.to_dict(), list(job.tags), job.tag_mode)
        distributed.broadcast(plan, ranks)
        return run_foreground(store, job_id, as_json, claimed, _ranks_joined=True, load_data=load_data)
    finally:
        distributed.teardown()


def _run_other_rank(device: str) -> int:
    """Rank > 0 under torchrun: trains its share of the job rank 0 names,
    writes nothing and prints nothing. Ctrl-C is left to rank 0, which
    stops every rank at the same step."""
    from app.jobs.runner import run_worker_rank
    from gan.training import distributed
    from gan.config import TrainConfig

    ranks = _join_ranks(device)
    try:
        plan = distributed.broadcast(None, ranks)
        if plan[0] != "train":
            return 0
        _, job_id, config, tags, tag_mode = plan
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        status = run_worker_rank(TrainConfig.from_dict(config), tags, tag_mode)
        return EXIT_CODES.get(status, 1)
    finally:
        distributed.teardown()


def run_foreground(store, job_id: int, as_json: bool, claimed: bool = False,
                   _ranks_joined: bool = False, load_data=None) -> int:
    """Run ``job_id`` here, printing progress; Ctrl-C cancels it cleanly.
    Returns the exit code (0 completed, 1 failed, 130 cancelled).
    Under torchrun, rank 0 runs the job and the other ranks train with it."""
    if not _ranks_joined:
        ranks = _torchrun_ranks()
        if ranks.distributed:
            _check_gpus(store.get(job_id).config.device, ranks)  # the job stays as it was
            if not ranks.is_main:
                return _run_other_rank(store.get(job_id).config.device)
            return _run_main_rank(store, job_id, as_json, claimed, load_data)
    from app.cli.printer import Printer
    from app.jobs.runner import JobNotRunnable, run_job
    from app.jobs.store import StoreError

    printer = Printer(store.get(job_id), as_json)
    stop = threading.Event()
    previous = None

    def on_sigint(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt  # second Ctrl-C: stop now
        stop.set()
        print("stopping after this step (Ctrl-C again to stop at once)...",
              file=sys.stderr, flush=True)

    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        run_job(job_id, store, stop.is_set, printer, load_data, claimed=claimed)
    except KeyboardInterrupt:
        pass  # the runner has recorded the job as cancelled
    except JobNotRunnable as exc:
        raise CommandError(str(exc)) from None
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    job = store.get(job_id)
    printer.final(job)
    return EXIT_CODES.get(job.status, 1)
