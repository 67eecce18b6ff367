"""Bad settings are refused before a job exists, and a damaged database is
never written from the command line (issue 15, items 3 and 9)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from app.cli import main
from app.jobs.store import JobStore
from gan.config import preset


def _jobs():
    store = JobStore()
    try:
        return store.list()
    finally:
        store.close()


@pytest.mark.parametrize("args, message", [
    (["--set", "device=cuda"], "no CUDA GPU is available here"),
    (["--preset", ""], "preset = '' is not allowed"),
    (["--set", "epochs==5", "--epochs", "1"], "epochs = '=5' is not a whole number"),
    (["--set", "epochs=5", "--epochs", "1"], "epochs is given twice (epochs=5 and epochs=1)"),
])
def test_bad_settings_are_refused_and_no_job_is_created(capsys, args, message):
    code = main(["train", "--genre", "chorale", "--queue-only", *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert _jobs() == []


def test_the_same_value_twice_is_fine(capsys):
    assert main(["train", "--preset", "smoke", "--genre", "chorale", "--queue-only",
                 "--set", "epochs=3", "--epochs", "3"]) == 0
    assert [j.config.epochs for j in _jobs()] == [3]


def test_resume_on_a_missing_device_is_refused_and_the_job_is_unchanged(capsys):
    store = JobStore()
    job_id = store.create("gpu job", preset("smoke").with_overrides({"device": "cuda"}), [])
    store.cancel(job_id)
    store.close()
    assert main(["jobs", "resume", str(job_id)]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err
    assert [(j.status, j.error) for j in _jobs()] == [("cancelled", "")]


@pytest.fixture
def damaged(polyphony_home):
    store = JobStore()
    ids = [store.create(name, preset("smoke"), ["genre=chorale"]) for name in ("a", "b")]
    store.close()
    conn = sqlite3.connect(store.path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page, size = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'events'").fetchone()[0], \
        conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(store.path, "r+b") as fh:
        fh.seek((page - 1) * size)
        fh.write(bytes(range(256)) * (size // 256))
    return store.path, ids


def test_a_damaged_database_is_shown_refused_for_writing_then_recovered(damaged, capsys):
    path, ids = damaged
    before = path.read_bytes()
    assert main(["jobs", "list", "--json"]) == 0  # what can be read is shown ...
    out = capsys.readouterr()
    assert [j["id"] for j in json.loads(out.out)] == ids[::-1]
    assert "is damaged" in out.err and "jobs recover" in out.err  # ... with the warning
    for args in (["jobs", "show", str(ids[0])], ["jobs", "delete", str(ids[0])],
                 ["jobs", "resume", str(ids[0])], ["train", "--genre", "chorale", "--queue-only"]):
        code = main(args)
        err = capsys.readouterr().err
        assert code == 2 and "damaged" in err and "Traceback" not in err, (args, err)
    assert path.read_bytes() == before  # nothing was written into it

    assert main(["jobs", "recover", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["recovered"] and report["backups"][0].startswith(str(path) + ".damaged-")
    assert [a["id"] for a in report["adopted"]] == ids
    assert [(j.id, j.name) for j in _jobs()] == [(ids[1], "b"), (ids[0], "a")]
    assert main(["jobs", "recover"]) == 0
    assert "not damaged" in capsys.readouterr().out


def test_adopt_from_the_command_line(polyphony_home, capsys):
    store = JobStore()
    job_id = store.create("lost", preset("smoke"), [])
    store.close()
    for suffix in ("", "-wal", "-shm"):
        p = store.path.with_name(store.path.name + suffix)
        if p.exists():
            p.unlink()
    assert main(["jobs", "list"]) == 0
    assert "1 job folder(s)" in capsys.readouterr().err  # the hint
    assert main(["jobs", "adopt"]) == 0
    assert f"job {job_id} (interrupted, 0 epoch(s)) adopted" in capsys.readouterr().out
    assert [(j.id, j.name, j.status) for j in _jobs()] == [(job_id, "lost", "interrupted")]
