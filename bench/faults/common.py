"""What every row of the fault matrix shares: its record, a fresh data
folder, running a command (in this process, so it is quick, or as a child
process where the process itself is the fault), and real file systems to
break (a small tmpfs, a read-only bind mount; both need root)."""

from __future__ import annotations

import contextlib
import gc
import io
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Row:
    name: str
    what: str  # what was tried and what must hold, in one sentence
    tried: int = 0
    passed: int = 0
    figures: str = ""  # the numbers worth keeping (times, sizes, messages)
    failures: list[str] = field(default_factory=list)
    skipped: str = ""  # why the row could not run here

    def check(self, ok: bool, failure: str) -> bool:
        self.tried += 1
        if ok:
            self.passed += 1
        else:
            self.failures.append(failure)
        return ok


@dataclass
class Context:
    quick: bool  # the test suite's subset: fewer tries, no long runs
    log: object = print
    scratch: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="faults-")))

    def n(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def home(self, name: str) -> Path:
        """A fresh data folder (POLYPHONY_HOME) for one try."""
        path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.scratch))
        return path

    def cleanup(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


@dataclass
class Ran:
    code: int
    out: str
    err: str
    crash: str = ""  # an exception that escaped (a traceback for the user)

    @property
    def clean(self) -> bool:
        """Ended by itself with no traceback."""
        return not self.crash and "Traceback" not in self.err


def cli(args: list[str], home: Path) -> Ran:
    """``python main.py ARGS`` in this process, with ``POLYPHONY_HOME=home``."""
    from app.cli import main

    before = os.environ.get("POLYPHONY_HOME")
    os.environ["POLYPHONY_HOME"] = str(home)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code, crash = int(main(list(args)) or 0), ""
            except SystemExit as exc:  # argparse: usage message, exit 2
                code, crash = int(exc.code or 0), ""
            except Exception as exc:  # what would reach the user as a traceback
                code, crash = -1, f"{type(exc).__name__}: {exc}"
    finally:
        if before is None:
            os.environ.pop("POLYPHONY_HOME", None)
        else:
            os.environ["POLYPHONY_HOME"] = before
        gc.collect()  # close the commands' database connections
    return Ran(code, out.getvalue(), err.getvalue(), crash)


def child(args: list[str], home: Path, timeout: float = 300, **kwargs) -> Ran:
    """``python main.py ARGS`` as a child process."""
    env = dict(os.environ, POLYPHONY_HOME=str(home), CI="true")
    done = subprocess.run([sys.executable, str(REPO / "main.py"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout, **kwargs)
    return Ran(done.returncode, done.stdout, done.stderr)


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@contextlib.contextmanager
def small_disk(path: Path, size: str):
    """A real file system of ``size`` (tmpfs) mounted at ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise OSError(f"cannot mount a tmpfs: {done.stderr.strip()}")
    try:
        yield path
    finally:
        gc.collect()
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


@contextlib.contextmanager
def read_only_view(source: Path, at: Path):
    """``source`` seen read-only at ``at`` (a read-only bind mount)."""
    at.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "--bind", "-o", "ro", str(source), str(at)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise OSError(f"cannot bind-mount read-only: {done.stderr.strip()}")
    try:
        yield at
    finally:
        gc.collect()
        if subprocess.run(["umount", str(at)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(at)], capture_output=True)


def drop_database(home: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (home / f"polyphony.db{suffix}").unlink(missing_ok=True)


def smoke_train(home: Path, *extra: str) -> Ran:
    """A short real training job on the built-in chorales."""
    return cli(["train", "--preset", "smoke", "--genre", "chorale", "--set",
                "steps_per_epoch=2", "metric_samples=8", *extra], home)
