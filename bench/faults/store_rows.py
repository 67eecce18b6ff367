"""Rows about the job store: kills, damaged pages, lost databases, read-only media."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.faults.common import REPO, Context, Row, cli, drop_database, is_root, read_only_view, \
    smoke_train


def _trained_home(ctx: Context, name: str, *extra: str) -> Path:
    home = ctx.home(name)
    done = smoke_train(home, *extra)
    if done.code != 0:
        raise RuntimeError(f"the training the row needs failed: {done.err or done.crash}")
    return home


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def kills(ctx: Context) -> Row:
    row = Row("kill -9 at random moments", "SIGKILL a training child during start-up, steps, "
              "epoch ends (samples, checkpoint, rows) and after epochs: integrity_check ok, the "
              "job interrupted, no epoch row missing, every job completes after resume")
    if ctx.quick:
        row.skipped = "slow: tests/test_kill_recovery.py runs 10 of them"
        return row
    from tests.fixtures import jobs_corpus
    from tests.fixtures.kill_harness import run_kills

    home = ctx.home("kills")
    os.environ["POLYPHONY_HOME"] = str(home)
    genre = jobs_corpus.install()
    try:
        report = run_kills(home, genre, kills=20, seed=7, log=lambda m: None)
    except AssertionError as exc:
        row.check(False, str(exc))
        return row
    for kill in report.kills:
        row.check(True, "")
    row.figures = (f"{len(report.kills)} kills ({sum(k.recovered for k in report.kills)} on a "
                   f"running job), {len(report.jobs)} jobs completed, {report.seconds:.0f} s")
    return row


_WRITER = """
import sys, torch
from gan.training.checkpoint import save_checkpoint, point_latest
folder = sys.argv[1]
state = {"epoch": 2, "w": torch.zeros(%d)}
print("ready", flush=True)
while True:
    point_latest(save_checkpoint(state, folder + "/epoch_0002.pt"), folder + "/latest.pt")
"""


def checkpoint_write_kills(ctx: Context) -> Row:
    row = Row("kill -9 while a checkpoint is written", "SIGKILL a process in the middle of "
              "torch.save: the previous checkpoint still loads, latest.pt loads, and the "
              "half-written temporary file is removed by the next run")
    from gan.training.checkpoint import load_checkpoint, point_latest, remove_stale_temp_files, \
        save_checkpoint

    import torch

    sizes = []
    for attempt in range(ctx.n(10, 1)):
        folder = ctx.home("ckpt-kill")
        first = save_checkpoint({"epoch": 1, "w": torch.ones(10)}, folder / "epoch_0001.pt")
        point_latest(first, folder / "latest.pt")
        floats = ctx.n(20_000_000, 5_000_000)
        proc = subprocess.Popen([sys.executable, "-c", _WRITER % floats, str(folder)],
                                cwd=REPO, stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()
        deadline = time.monotonic() + 60
        temps = []
        while time.monotonic() < deadline and not temps:
            temps = [p for p in folder.iterdir() if p.name.startswith(".epoch_0002.pt.tmp")
                     and p.stat().st_size > floats // 20 * (1 + attempt % 5)]
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        sizes += [p.stat().st_size for p in temps if p.exists()]
        ok = load_checkpoint(folder / "epoch_0001.pt")["epoch"] == 1
        ok = ok and load_checkpoint(folder / "latest.pt")["epoch"] in (1, 2)
        second = folder / "epoch_0002.pt"
        ok = ok and (not second.exists() or load_checkpoint(second)["epoch"] == 2)
        left = [p for p in folder.iterdir() if ".tmp" in p.name]
        removed = remove_stale_temp_files(folder)
        ok = ok and sorted(removed) == sorted(left)
        ok = ok and not any(".tmp" in p.name for p in folder.iterdir())
        row.check(ok, f"try {attempt}: files after the kill {sorted(p.name for p in folder.iterdir())}")
    if sizes:
        row.figures = (f"killed with {min(sizes) / 1e6:.0f}-{max(sizes) / 1e6:.0f} MB of "
                       f"{floats * 4 / 1e6:.0f} MB written")
    return row


def _damage(path: Path, btree: str) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (btree,)).fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(path, "r+b") as fh:
        fh.seek((page - 1) * size + (100 if page == 1 else 0))
        fh.write(bytes(range(256)) * (size // 256 - 1))
    return path.read_bytes()


def damaged_pages(ctx: Context) -> Row:
    row = Row("damaged database pages", "garbage written over one page of each table and "
              "index: found on open; list/show give rows or a plain message; delete, resume and "
              "train refuse without writing a byte; jobs recover keeps the damaged file and "
              "rebuilds every job from its folder")
    from app.jobs.store import JobStore

    base = _trained_home(ctx, "damage-base", "--epochs", "2", "--set", "keep_every=1")
    conn = sqlite3.connect(base / "polyphony.db")
    btrees = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE rootpage > 1 "
                                         "ORDER BY rootpage")]
    conn.close()
    if ctx.quick:
        btrees = [b for b in btrees if b == "epochs"]
    for btree in btrees:
        home = ctx.home(f"damage-{btree}")
        shutil.copytree(base, home, dirs_exist_ok=True)
        db = home / "polyphony.db"
        damaged = _damage(db, btree)
        store = JobStore(db)
        found = store.damage
        store.close()
        reads = [cli(["jobs", "list"], home), cli(["jobs", "show", "1"], home)]
        writes = [cli(args, home) for args in (["jobs", "delete", "1"], ["jobs", "resume", "1"],
                                               ["train", "--genre", "chorale", "--queue-only"])]
        untouched = db.read_bytes() == damaged
        recovered = cli(["jobs", "recover", "--json"], home)
        backups = sorted(home.glob("polyphony.db.damaged-*"))
        rebuilt = JobStore(db)
        jobs = [(j.id, j.status, len(rebuilt.epochs(j.id))) for j in rebuilt.list()]
        rebuilt.close()
        ok = (bool(found) and all(r.clean and r.code in (0, 2) for r in reads)
              and all(w.clean and w.code == 2 and "damaged" in w.err for w in writes)
              and untouched and recovered.code == 0 and backups
              and backups[0].read_bytes() == damaged and jobs == [(1, "completed", 2)])
        row.check(ok, f"{btree}: found={bool(found)} reads={[(r.code, r.crash) for r in reads]} "
                      f"writes={[(w.code, w.err[:80]) for w in writes]} untouched={untouched} "
                      f"recover={recovered.code} jobs={jobs}")
    row.figures = f"{len(btrees)} b-trees: {', '.join(btrees)}"
    return row


def lost_database(ctx: Context) -> Row:
    row = Row("lost or moved database", "train, lose the database (deleted, or moved away), "
              "train again: the old job's folder is untouched and the new job gets a fresh "
              "one; jobs adopt brings the old job back with its epochs and samples")
    for attempt, how in enumerate(["deleted", "moved"][:ctx.n(2, 1)]):
        home = _trained_home(ctx, f"lost-{how}", "--epochs", "2", "--set", "keep_every=1")
        old = home / "jobs" / "1"
        before = _files(old)
        if how == "moved":
            (home / "polyphony.db").rename(home / "elsewhere.db")
        drop_database(home)
        again = smoke_train(home, "--epochs", "1")
        kept = _files(old) == before
        listed = cli(["jobs", "list"], home)
        adopted = cli(["jobs", "adopt", "--json"], home)
        import json

        report = json.loads(adopted.out or "{}")
        ok = (again.code == 0 and kept and (home / "jobs" / "1-2").is_dir()
              and "jobs adopt" in listed.err and adopted.code == 0
              and [(a["folder"].endswith("/jobs/1"), a["status"], a["epochs"])
                   for a in report.get("adopted", [])] == [(True, "completed", 2)])
        row.check(ok, f"{how}: train={again.code} kept={kept} hint={'jobs adopt' in listed.err} "
                      f"adopt={adopted.out[:200]}")
    return row


def read_only_home(ctx: Context) -> Row:
    row = Row("read-only data folder", "the data folder on read-only media: jobs list, jobs "
              "show and data info work; data import, train, resume and delete say why they "
              "cannot, without a traceback; nothing on the media changes")
    if not is_root():
        row.skipped = "needs root for a read-only bind mount"
        return row
    home = _trained_home(ctx, "ro-src", "--epochs", "1")
    music = ctx.home("ro-music")
    (music / "a.mid").write_bytes((REPO / "packaging" / "smoke" / "scale.mid").read_bytes())
    before = _files(home)
    view = ctx.scratch / "ro-view"
    try:
        with read_only_view(home, view):
            looks = [cli(args, view) for args in (["jobs", "list"], ["jobs", "show", "1"],
                                                  ["data", "info"])]
            changes = [cli(args, view) for args in (
                ["data", "import", str(music), "--tag", "genre=mine"],
                ["train", "--genre", "chorale", "--queue-only"], ["jobs", "resume", "1"],
                ["jobs", "delete", "1"])]
    except OSError as exc:
        row.skipped = str(exc)
        return row
    for ran, what in zip(looks, ("list", "show", "info")):
        row.check(ran.code == 0 and ran.clean and ran.out, f"{what}: {ran.code} {ran.err[:200]}")
    for ran, what in zip(changes, ("import", "train", "resume", "delete")):
        row.check(ran.code == 2 and ran.clean and ("read-only" in ran.err or "cannot" in ran.err),
                  f"{what}: {ran.code} {ran.crash} {ran.err[:200]}")
    row.check(_files(home) == before, "the read-only media changed")
    return row
