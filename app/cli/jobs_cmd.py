"""`python main.py jobs list|show|resume|cancel|delete|clone|move|run`.

Works on the same job store as the window, so a job started in one shows up
in the other. Every command first marks runs whose process died as
``interrupted`` (resumable).
"""

from __future__ import annotations

import datetime as dt
import math

from app.cli.common import CommandError, num, open_store, open_store_to_read, print_json

HELP = "list, inspect, resume, cancel or delete training jobs"


def register(sub) -> None:
    p = sub.add_parser("jobs", help=HELP, description=HELP + ".")
    actions = p.add_subparsers(dest="jobs_action", metavar="ACTION", required=True)

    a = actions.add_parser("list", help="all jobs, newest first")
    a.add_argument("--status", action="append", metavar="STATUS",
                   help="only jobs with this status; repeatable")
    a.add_argument("--json", action="store_true", help="print one JSON array")
    a.set_defaults(func=cmd_list)

    a = actions.add_parser("show", help="one job's settings, epochs and events")
    a.add_argument("id", type=int)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_show)

    a = actions.add_parser("resume", help="continue an interrupted, failed or cancelled job "
                                          "from its last checkpoint, here and now")
    a.add_argument("id", type=int)
    a.add_argument("--queue-only", action="store_true", help="only put it back in the queue")
    a.add_argument("--json", action="store_true", help="print one JSON object per event")
    a.set_defaults(func=cmd_resume)

    for name, helptext, func in (("cancel", "cancel a queued job, or stop a running one", cmd_cancel),
                                 ("delete", "delete a job and its files", cmd_delete)):
        a = actions.add_parser(name, help=helptext)
        a.add_argument("id", type=int)
        a.add_argument("--json", action="store_true")
        a.set_defaults(func=func)

    a = actions.add_parser("clone", help="queue a new job with the same settings")
    a.add_argument("id", type=int)
    a.add_argument("--name")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_clone)

    a = actions.add_parser("move", help="move a queued job to a place in the queue (0 = next)")
    a.add_argument("id", type=int)
    a.add_argument("position", type=int)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_move)

    a = actions.add_parser("run", help="run the queued jobs here, one at a time")
    a.add_argument("--json", action="store_true", help="print one JSON object per event")
    a.set_defaults(func=cmd_run)

    a = actions.add_parser("adopt", help="bring back job folders this database does not know "
                                         "(their checkpoints say what each job was)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_adopt)

    a = actions.add_parser("recover", help="a damaged job database: keep it as a backup and "
                                           "rebuild the jobs from their folders")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_recover)


def _guarded(action):
    """Store problems and refused actions become one-line errors (exit 2)."""
    from app.jobs.store import InvalidTransition, StoreError

    try:
        return action()
    except KeyError as exc:  # JobNotFound: its str() is the message
        raise CommandError(str(exc)) from None
    except (InvalidTransition, StoreError) as exc:
        raise CommandError(str(exc)) from None


def _when(t) -> str:
    return dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M") if t else "-"


def cmd_list(args) -> int:
    from app.jobs.store import job_summary

    store = open_store_to_read()
    try:
        jobs = _guarded(lambda: store.list(args.status))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    fidelity = {j.id: _latest_fidelity(store, j) for j in jobs}
    if args.json:
        print_json([dict(job_summary(j), genre_fidelity=fidelity[j.id]) for j in jobs])
        return 0
    if not jobs:
        print("no jobs yet: start one with `python main.py train --preset quick --genre chorale`")
        return 0
    print(f"{'ID':>4}  {'STATUS':<11}  {'EPOCH':>9}  {'SIMILARITY':>10}  {'GENRE FIT':>9}  "
          f"{'CREATED':<16}  NAME")
    for j in jobs:
        print(f"{j.id:>4}  {j.status:<11}  {f'{j.epoch}/{j.total_epochs}':>9}  "
              f"{num(j.similarity):>10}  {_percent(fidelity[j.id]):>9}  {_when(j.created):<16}  {j.name}")
    return 0


def _latest_fidelity(store, job) -> float | None:
    """The genre fidelity of the job's latest epoch that has one (None: not judged)."""
    from app.jobs.series import FIDELITY_KEY

    if not job.epoch:
        return None
    for row in reversed(_guarded(lambda: store.epochs(job.id))):
        value = row.metrics.get(FIDELITY_KEY)
        if value is not None:
            return value
    return None


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{num(100 * share, '.0f')}%"


def cmd_show(args) -> int:
    store = open_store_to_read()
    job = _guarded(lambda: store.get(args.id))
    epochs, events = _guarded(lambda: (store.epochs(job.id), store.events(job.id)))
    if args.json:
        out = job.to_json()
        out["epochs"] = [{"epoch": e.epoch, "step": e.step, "critic_loss": e.critic_loss,
                          "generator_loss": e.generator_loss, "wasserstein": e.wasserstein,
                          "similarity": e.similarity, "seconds": e.seconds,
                          "checkpoint_path": e.checkpoint_path, "metrics": e.metrics}
                         for e in epochs]
        out["samples"] = [{"epoch": s.epoch, "index": s.index, "path": s.path}
                          for s in _guarded(lambda: store.samples(job.id))]
        out["events"] = [{"time": e.time, "level": e.level, "message": e.message} for e in events]
        out["settling"] = _settling_json(epochs)
        print_json(out)
        return 0
    print(f"job {job.id}: {job.name}\n  status      {job.status}"
          + (f" ({job.error})" if job.error else ""))
    print(f"  progress    epoch {job.epoch}/{job.total_epochs}, step {job.step}/"
          f"{job.total_steps or '?'} ({job.progress:.0%})")
    print(f"  similarity  {num(job.similarity)} (best {num(job.best_similarity)}"
          f"{f' at epoch {job.best_epoch}' if job.best_epoch else ''})")
    if epochs:
        from app.jobs.series import settling_of, settling_text

        print(f"  settling    {settling_text(settling_of(epochs))}")
    print(f"  tags        {', '.join(job.tags) or '(all music)'} ({job.tag_mode})")
    print(f"  device      {job.device or '-'}\n  folder      {job.job_dir}")
    print(f"  created     {_when(job.created)}   started {_when(job.started)}   "
          f"finished {_when(job.finished)}")
    print("  settings    " + ", ".join(f"{k}={v}" for k, v in job.config.to_dict().items()))
    if epochs:
        print(f"\n  {'EPOCH':>5}  {'CRITIC':>8}  {'GENERATOR':>9}  {'SIMILARITY':>10}  SECONDS")
        for e in epochs:
            print(f"  {e.epoch:>5}  {num(e.critic_loss):>8}  {num(e.generator_loss):>9}  "
                  f"{num(e.similarity):>10}  {num(e.seconds, '.1f')}")
    if events:
        print("\n  recent events:")
        for e in events[-10:]:
            print(f"  {_when(e.time)}  {e.level:<7}  {e.message}")
    return 0


def _settling_json(epochs) -> dict | None:
    from app.jobs.series import settling_of

    result = settling_of(epochs)
    if result is None:
        return None
    return {"settled": result.settled, "since_epoch": result.since_epoch,
            "best_epoch": result.best_epoch,
            "best_score": result.best_score if math.isfinite(result.best_score) else None,
            "window": result.window}


def cmd_resume(args) -> int:
    from app.cli.train_cmd import check_device, run_foreground

    store = open_store()
    job = _guarded(lambda: store.get(args.id))
    if job.status not in ("interrupted", "failed", "cancelled", "queued"):
        raise CommandError(f"job {job.id} is {job.status}; only interrupted, failed or cancelled "
                     f"jobs can be resumed")
    if args.queue_only:
        if job.status != "queued":
            _guarded(lambda: store.resume(job.id))
        print(f"job {job.id} queued")
        return 0
    check_device(job.config.device)  # a device that is not here: refused, job unchanged
    return run_foreground(store, job.id, args.json)


def cmd_cancel(args) -> int:
    store = open_store()
    before = _guarded(lambda: store.get(args.id)).status
    _guarded(lambda: store.cancel(args.id))
    after = store.get(args.id).status
    message = (f"job {args.id}: cancel requested; it stops after its current step"
               if before == "running" else f"job {args.id} cancelled")
    print_json({"id": args.id, "status": after, "cancel_requested": before == "running"}) \
        if args.json else print(message)
    return 0


def cmd_delete(args) -> int:
    store = open_store()
    folder = _guarded(lambda: store.get(args.id)).job_dir
    _guarded(lambda: store.delete(args.id))
    print_json({"id": args.id, "deleted": True}) if args.json else \
        print(f"job {args.id} deleted (and its folder {folder})")
    return 0


def cmd_clone(args) -> int:
    store = open_store()
    new = _guarded(lambda: store.clone(args.id, args.name))
    print_json({"id": new, "cloned_from": args.id}) if args.json else \
        print(f"job {new} queued with the settings of job {args.id}")
    return 0


def cmd_move(args) -> int:
    store = open_store()
    _guarded(lambda: store.move(args.id, args.position))
    position = store.get(args.id).queue_position
    print_json({"id": args.id, "queue_position": position}) if args.json else \
        print(f"job {args.id} is now number {position} in the queue (0 = next)")
    return 0


def cmd_run(args) -> int:
    """Run the queue in the foreground; Ctrl-C cancels the current job."""
    from app.cli.train_cmd import run_foreground

    store = open_store()
    code = 0
    while True:
        job = store.next_queued()
        if job is None:
            break
        code = run_foreground(store, job.id, args.json)
        if code == 130:  # stopped by the user: leave the rest queued
            break
    if not args.json and code != 130:
        print("the queue is empty")
    return code


def cmd_adopt(args) -> int:
    """Rows rebuilt for job folders the database does not know (app.jobs.adopt)."""
    from app.jobs.adopt import adopt_orphans

    store = open_store()
    report = _guarded(lambda: adopt_orphans(store))
    if args.json:
        print_json({"adopted": [{"folder": str(f), "id": i, "status": s, "epochs": n}
                                for f, i, s, n in report.adopted],
                    "refused": [{"folder": str(f), "reason": r} for f, r in report.refused]})
        return 0
    for folder, job_id, status, epochs in report.adopted:
        print(f"job {job_id} ({status}, {epochs} epoch(s)) adopted from {folder}")
    for folder, reason in report.refused:
        print(f"not adopted: {folder}: {reason}")
    if not report.adopted and not report.refused:
        print("every job folder belongs to a job already")
    return 0


def cmd_recover(args) -> int:
    """A damaged database is backed up and rebuilt from the job folders
    (app.jobs.recovery); a sound one is left alone."""
    from app.jobs.recovery import recover_store

    report = _guarded(recover_store)
    adopted = report.adopted
    if args.json:
        print_json({"recovered": report.recovered, "damage": report.damage,
                    "backups": [str(p) for p in report.backups],
                    "adopted": [{"folder": str(f), "id": i, "status": s, "epochs": n}
                                for f, i, s, n in adopted.adopted],
                    "refused": [{"folder": str(f), "reason": r} for f, r in adopted.refused]})
        return 0
    if not report.recovered:
        print(f"the job database {report.database} is not damaged: nothing to recover "
              f"(`python main.py jobs adopt` brings back folders it does not know)")
        return 0
    print(f"the damaged database ({report.damage}) is kept as {report.backups[0]}")
    for folder, job_id, status, epochs in adopted.adopted:
        print(f"job {job_id} ({status}, {epochs} epoch(s)) rebuilt from {folder}")
    for folder, reason in adopted.refused:
        print(f"not rebuilt: {folder}: {reason}")
    print(f"{len(adopted.adopted)} job(s) rebuilt in a new {report.database}")
    return 0
