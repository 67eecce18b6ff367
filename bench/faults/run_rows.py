"""Rows about training runs: full disk, malicious and damaged checkpoints,
runaway losses, seeds."""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import subprocess
import zipfile
from pathlib import Path

from bench.faults.common import Context, Row, cli, is_root, small_disk, smoke_train


def _show(home: Path, job_id: int) -> dict:
    return json.loads(cli(["jobs", "show", str(job_id), "--json"], home).out or "{}")


def full_disk(ctx: Context) -> Row:
    row = Row("full disk", "the data folder on a 5 MB file system, filled to leave a little "
              "room, then a job trains: it ends with a message that says the disk is full, "
              "where and how much is needed (no traceback); the checkpoints saved before "
              "still load and the database stays sound")
    if not is_root():
        row.skipped = "needs root to mount a small tmpfs"
        return row
    from gan.training.checkpoint import load_checkpoint

    messages = []
    for room in [40_000, 400_000, 900_000, 1_500_000][:ctx.n(4, 1)]:
        mount = ctx.scratch / f"disk-{room}"
        try:
            with small_disk(mount, "5m") as home:
                first = smoke_train(home, "--epochs", "1")
                saved = sorted((home / "jobs" / "1" / "checkpoints").glob("epoch_*.pt"))
                free = os.statvfs(home).f_bavail * os.statvfs(home).f_frsize
                (home / "filler").write_bytes(b"\0" * max(0, free - room))
                ran = smoke_train(home, "--epochs", "2")
                text = ran.out + ran.err
                said = "disk is full" in text or "disk full" in text
                still = all(load_checkpoint(p)["epoch"] >= 1 for p in saved)
                conn = sqlite3.connect(home / "polyphony.db")
                sound = conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
                conn.close()
                line = next((ln.strip() for ln in text.splitlines() if "disk" in ln), "")
                messages.append(f"{room // 1000} kB left: {line[:160]}")
                ok = (first.code == 0 and saved and ran.clean and still and sound
                      and (ran.code == 0 or said))
                row.check(ok, f"{room} bytes left: code {ran.code}, crash {ran.crash!r}, "
                              f"said={said}, checkpoints load={still}, db sound={sound}: "
                              f"{text[-300:]}")
        except OSError as exc:
            row.skipped = str(exc)
            return row
    row.figures = "; ".join(messages)
    return row


class _Payload:
    """Pickles as a call that would leave a file behind if it ever ran."""

    def __init__(self, call, *args):
        self.call, self.args = call, args

    def __reduce__(self):
        return (self.call, self.args)


def _malicious_files(folder: Path, canary: Path) -> list[Path]:
    import builtins
    import posix

    import numpy as np
    import torch

    from gan.training.checkpoint import FORMAT, VERSION

    head = {"format": FORMAT, "version": VERSION, "epoch": 1, "config": {"epochs": 2}}
    touch = f"touch {canary}"
    payloads = {
        "os_system": _Payload(os.system, touch), "posix_system": _Payload(posix.system, touch),
        "exec": _Payload(builtins.exec, f"open({str(canary)!r}, 'w')"),
        "eval": _Payload(builtins.eval, f"open({str(canary)!r}, 'w')"),
        "open": _Payload(builtins.open, str(canary), "w"),
        "subprocess": _Payload(subprocess.call, ["touch", str(canary)]),
    }
    files = []

    def add(name: str, write) -> None:
        path = folder / f"{name}.pt"
        write(path)
        files.append(path)

    for name, payload in payloads.items():
        add(f"top_{name}", lambda p, x=payload: torch.save({**head, "payload": x}, p))
        add(f"nested_{name}", lambda p, x=payload: torch.save(
            {**head, "generator": {"w": torch.zeros(2), "hook": x}}, p))
    add("legacy_pickle", lambda p: p.write_bytes(pickle.dumps({**head, "x": payloads["os_system"]})))
    add("old_torch_format", lambda p: torch.save({**head, "x": payloads["open"]}, p,
                                                 _use_new_zipfile_serialization=False))
    add("module_object", lambda p: torch.save({**head, "generator": torch.nn.Linear(2, 2)}, p))
    add("numpy_objects", lambda p: torch.save(
        {**head, "x": np.array([payloads["eval"]], dtype=object)}, p))

    def hand_made_zip(p: Path) -> None:
        torch.save({**head}, p)
        with zipfile.ZipFile(p) as z:
            names = z.namelist()
            blobs = {n: z.read(n) for n in names}
        pkl = next(n for n in names if n.endswith("data.pkl"))
        blobs[pkl] = b"cos\nsystem\n(V" + touch.encode() + b"\ntR."
        with zipfile.ZipFile(p, "w") as z:
            for n in names:
                z.writestr(n, blobs[n])
    add("hand_made_zip", hand_made_zip)
    add("npz_renamed", lambda p: np.savez(p.with_suffix(".npz"), a=np.zeros(3))
        or p.with_suffix(".npz").rename(p))
    add("random_bytes", lambda p: p.write_bytes(os.urandom(4096)))
    add("empty", lambda p: p.write_bytes(b""))
    add("wrong_marker", lambda p: torch.save({"format": "other", "version": VERSION}, p))
    add("version_99", lambda p: torch.save({**head, "version": 99}, p))
    add("dev_zero_link", lambda p: p.symlink_to("/dev/zero"))
    add("a_folder", lambda p: p.mkdir())
    add("named_pipe", lambda p: os.mkfifo(p))
    return files


def malicious_checkpoints(ctx: Context) -> Row:
    row = Row("malicious checkpoints", "checkpoints that carry code (os.system, exec, eval, "
              "open, subprocess; at the top, nested in weights, in old formats, hand-made "
              "pickles), and files that are not checkpoints at all: every one is refused with a "
              "message and no code runs; as a job's newest checkpoint, resume skips it")
    from gan.training.checkpoint import load_checkpoint, read_facts

    folder = ctx.home("malicious")
    canary = folder / "canary"
    files = _malicious_files(folder, canary)
    for path in files:
        refused = []
        for reader in (load_checkpoint, read_facts):
            try:
                reader(path)
                refused.append(False)
            except (ValueError, FileNotFoundError):
                refused.append(True)
        # read_facts reads any version (facts only), so a plain version-99 file may pass it
        row.check(refused[0] and (refused[1] or "version" in path.name) and not canary.exists(),
                  f"{path.name}: refused={refused} code ran={canary.exists()}")
    if not ctx.quick:  # each one as the newest checkpoint of a real job
        home = ctx.home("malicious-resume")
        smoke_train(home, "--epochs", "1", "--set", "keep_every=1")
        from app.jobs.store import JobStore

        store = JobStore(home / "polyphony.db")
        for path in files[:6]:
            target = home / "jobs" / "1" / "checkpoints" / "epoch_0002.pt"
            target.write_bytes(path.read_bytes()) if path.is_file() and not path.is_symlink() \
                else None
            store.db.tx(lambda conn: conn.execute(
                "INSERT OR REPLACE INTO epochs (job_id, epoch, step, checkpoint_path) "
                "VALUES (1, 2, 4, ?)", (str(target),)))
            store.db.tx(lambda conn: conn.execute(
                "UPDATE jobs SET status = 'failed', total_epochs = 3, config = "
                "json_set(config, '$.epochs', 3) WHERE id = 1"))
            ran = cli(["jobs", "resume", "1"], home)
            row.check(ran.clean and not canary.exists() and ran.code == 0,
                      f"resume over {path.name}: {ran.code} {ran.crash} {ran.out[-200:]}")
        store.close()
    with_code = sum(1 for f in files if f.name.startswith(("top_", "nested_")))
    row.figures = f"{len(files)} files, {with_code} with code in them"
    return row


RUNAWAY = ["--set", "gp_weight=0", "critic_lr=1", "generator_lr=1", "beta1=0", "beta2=0",
           "steps_per_epoch=25", "epochs=4"]


def runaway_losses(ctx: Context) -> Row:
    row = Row("runaway losses", "no gradient penalty, learning rates at their maximum, no Adam "
              "memory: the critic loss grows past 1e17 while staying finite. The run stops "
              "as failed: diverged, naming the step and the numbers; healthy runs with the "
              "same seeds are not stopped")
    reasons = []
    for seed in range(ctx.n(3, 1)):
        for runaway in (True, False):
            home = ctx.home(f"runaway-{seed}-{runaway}")
            extra = (RUNAWAY if runaway else []) + ["--set", f"seed={seed}"]
            ran = cli(["train", "--preset", "smoke", "--genre", "chorale", *extra], home)
            job = _show(home, 1)
            error = job.get("error", "")
            if runaway:
                reasons.append(error)
                ok = ran.code == 1 and job.get("status") == "failed" and \
                    error.startswith("diverged at step") and "beyond" in error
            else:
                ok = ran.code == 0 and job.get("status") == "completed"
            row.check(ok and ran.clean, f"seed {seed} runaway={runaway}: {ran.code} {error}")
    row.figures = reasons[0][:160] if reasons else ""
    return row


def truncated_checkpoint(ctx: Context) -> Row:
    row = Row("damaged newest checkpoint", "latest.pt (a hard link to epoch_N.pt) truncated "
              "or emptied after a stop: resume falls back to the newest checkpoint that "
              "loads, says which, and completes")
    from app.jobs.store import JobStore

    cuts = [("a third", 1 / 3), ("empty", 0.0), ("last 100 bytes cut", None)][:ctx.n(3, 1)]
    for what, fraction in cuts:
        home = ctx.home("truncated")
        ran = smoke_train(home, "--epochs", "2", "--set", "keep_every=1")
        latest = home / "jobs" / "1" / "checkpoints" / "latest.pt"
        size = latest.stat().st_size
        with open(latest, "r+b") as fh:
            fh.truncate(size - 100 if fraction is None else int(size * fraction))
        store = JobStore(home / "polyphony.db")
        store.db.tx(lambda conn: conn.execute(
            "UPDATE jobs SET status = 'failed', total_epochs = 3, config = "
            "json_set(config, '$.epochs', 3) WHERE id = 1"))
        store.close()
        resumed = cli(["jobs", "resume", "1"], home)
        job = _show(home, 1)
        said = any("Resuming from epoch_0001.pt (epoch 1), the newest checkpoint that loads"
                   in e["message"] for e in job.get("events", []))
        ok = (ran.code == 0 and resumed.code == 0 and resumed.clean and said
              and [e["epoch"] for e in job.get("epochs", [])] == [1, 2, 3])
        row.check(ok, f"{what}: resume {resumed.code} said={said} "
                      f"epochs={[e['epoch'] for e in job.get('epochs', [])]}")
    return row


def same_seed(ctx: Context) -> Row:
    row = Row("same seed, same run", "two CPU runs with the same seed and settings (one with "
              "a model large enough for every core): the same losses at every step and the "
              "same similarity")
    presets = [("smoke", ["--set", "log_every=1"]),
               ("quick", ["--set", "steps_per_epoch=3", "metric_samples=8", "log_every=1",
                          "epochs=1", "judge_genre=0"])][:ctx.n(2, 1)]
    for name, extra in presets:
        runs = []
        for k in range(2):
            home = ctx.home(f"seed-{name}-{k}")
            cli(["train", "--preset", name, "--genre", "chorale", "--set", "seed=5",
                 "device=cpu", *extra], home)
            from app.jobs.store import JobStore

            store = JobStore(home / "polyphony.db")
            runs.append(([(s.critic_loss, s.generator_loss) for s in store.steps(1)],
                         [e.similarity for e in store.epochs(1)], store.get(1).device))
            store.close()
        row.check(runs[0] == runs[1] and runs[0][0], f"{name}: {runs[0][2]} vs {runs[1][2]}; "
                                                     f"first steps {runs[0][0][:2]} vs {runs[1][0][:2]}")
    return row
