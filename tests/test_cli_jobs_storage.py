"""A read-only data folder or a full disk gives a plain message, no traceback.

Root ignores file permissions, and these tests run as root here; so when
they do, the command runs without the capabilities that let root write
anywhere (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, dropped from
its bounding set before exec). The folder's own permissions then apply: a
real read-only data directory as far as that process is concerned. As a
normal user, chmod alone does it. The full disk is made real with
RLIMIT_FSIZE: the kernel refuses to grow any file past 2 KiB, the same kind
of write failure (EFBIG; a full disk gives ENOSPC) that SQLite then reports.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.jobs.store import JobStore
from gan.config import preset

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="Linux permissions, capabilities and rlimits")

REPO = Path(__file__).resolve().parent.parent
PR_CAPBSET_DROP = 24
ROOT_OVERRIDES = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


def _without_root_overrides():
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in ROOT_OVERRIDES:
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop capability")


def _tiny_file_limit():
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, don't kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


def _run_cli(args, home: Path, preexec):
    env = dict(os.environ, POLYPHONY_HOME=str(home))
    return subprocess.run([sys.executable, "main.py", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, preexec_fn=preexec)


def _lock_down(home: Path) -> None:
    for p in home.rglob("*"):
        p.chmod(0o555 if p.is_dir() else 0o444)
    home.chmod(0o555)


def _unlock(home: Path) -> None:
    home.chmod(0o755)
    for p in home.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)


def test_read_only_data_folder_without_a_database(tmp_path):
    """Nothing to browse and nothing can be made: a plain error."""
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o555)  # r-x: nothing can be created inside
    try:
        done = _run_cli(["jobs", "list"], home, _without_root_overrides)
    finally:
        _unlock(home)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"Polyphony cannot write to {home}" in done.stderr
    assert "POLYPHONY_HOME" in done.stderr  # says how to fix it
    assert not (home / "polyphony.db").exists()


def test_read_only_data_folder_with_an_existing_database(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    store = JobStore(home / "polyphony.db")
    job = store.create("kept", preset("smoke"), [])
    store.close()
    _lock_down(home)
    try:
        done = _run_cli(["train", "--preset", "smoke", "--queue-only"], home,
                        _without_root_overrides)
    finally:
        _unlock(home)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "Polyphony cannot write to" in done.stderr and str(home) in done.stderr
    store = JobStore(home / "polyphony.db")  # nothing lost
    assert [j.id for j in store.list()] == [job]
    store.close()


def test_full_disk_while_writing_a_job(polyphony_home):
    store = JobStore()
    first = store.create("before", preset("smoke"), [])
    store.close()
    done = _run_cli(["train", "--preset", "smoke", "--queue-only"], polyphony_home,
                    _tiny_file_limit)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"Polyphony cannot write to {polyphony_home / 'polyphony.db'}" in done.stderr
    assert "disk" in done.stderr
    store = JobStore()
    assert [j.id for j in store.list()] == [first]  # nothing half-written
    store.close()


def test_read_only_media_can_still_be_browsed(tmp_path):
    """A data folder copied to read-only media: list and show work (read-only),
    data info works, changing anything says why (issue 15, item 5)."""
    home = tmp_path / "home"
    home.mkdir()
    store = JobStore(home / "polyphony.db")
    job = store.create("on a stick", preset("smoke"), ["genre=chorale"])
    store.add_event(job, "written before the copy")
    store.close()
    music = tmp_path / "music"
    music.mkdir()
    (music / "a.mid").write_bytes((REPO / "packaging" / "smoke" / "scale.mid").read_bytes())
    _lock_down(home)
    try:
        listed = _run_cli(["jobs", "list", "--json"], home, _without_root_overrides)
        shown = _run_cli(["jobs", "show", str(job)], home, _without_root_overrides)
        info = _run_cli(["data", "info", "--json"], home, _without_root_overrides)
        imported = _run_cli(["data", "import", str(music), "--tag", "genre=mine"], home,
                            _without_root_overrides)
    finally:
        _unlock(home)
    assert listed.returncode == 0, listed.stderr
    assert [j["name"] for j in __import__("json").loads(listed.stdout)] == ["on a stick"]
    assert "shown read-only" in listed.stderr
    assert shown.returncode == 0 and "written before the copy" in shown.stdout, shown.stderr
    assert info.returncode == 0 and "chorale" in info.stdout, info.stderr
    assert imported.returncode == 2 and "Traceback" not in imported.stderr
    assert "cannot save the import" in imported.stderr and "read-only" in imported.stderr
