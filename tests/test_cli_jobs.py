"""`python main.py jobs ...` on a real store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.jobs.store import JobStore
from gan.config import preset
from tests.fixtures import jobs_corpus

REPO = Path(__file__).resolve().parent.parent
FAST = ["--preset", "smoke", "--set", "steps_per_epoch=2", "--set", "metric_samples=8"]


@pytest.fixture
def store():
    s = JobStore()
    yield s
    s.close()


def _json(capsys):
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_killed_job_lists_as_interrupted_and_resume_completes_it(polyphony_home, capsys):
    genre = jobs_corpus.install()
    env = dict(os.environ, POLYPHONY_HOME=str(polyphony_home), PYTHONUNBUFFERED="1")
    child = subprocess.Popen([sys.executable, "main.py", "train", *FAST, "--genre", genre,
                              "--epochs", "3", "--json"], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    job_id, seen_live = None, False
    watcher = JobStore()  # the window's view: another process, polling
    counter = watcher.change_counter()
    try:
        for line in child.stdout:
            event = json.loads(line)
            job_id = event.get("job_id", job_id)
            if event["event"] == "StepStats" and not seen_live:
                # the step is in the store before the child prints it
                assert watcher.change_counter() > counter
                live = watcher.get(job_id)
                assert live.status == "running" and live.step >= 1 and live.device
                seen_live = True
            if event["event"] == "EpochReport":
                child.send_signal(signal.SIGKILL)
                break
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL and seen_live
    watcher.close()

    assert main(["jobs", "list", "--json"]) == 0
    jobs = _json(capsys)
    assert len(jobs) == 1
    assert {"id", "name", "status", "epoch", "similarity_index"} <= set(jobs[0])
    assert jobs[0]["id"] == job_id and jobs[0]["status"] == "interrupted"
    assert jobs[0]["epoch"] >= 1 and jobs[0]["similarity_index"] is not None

    assert main(["jobs", "resume", str(job_id), "--json"]) == 0
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert events[0]["event"] == "RunStarted" and events[0]["start_epoch"] >= 1
    assert events[-1]["status"] == "completed" and events[-1]["epoch"] == 3
    assert main(["jobs", "list", "--json"]) == 0
    assert _json(capsys)[0]["status"] == "completed"
    assert main(["jobs", "show", str(job_id), "--json"]) == 0
    shown = _json(capsys)
    assert [e["epoch"] for e in shown["epochs"]] == [1, 2, 3]
    assert len(shown["samples"]) == 6 and shown["config"]["epochs"] == 3


def test_list_show_cancel_clone_move_delete(store, capsys):
    assert main(["jobs", "list"]) == 0
    assert "no jobs yet" in capsys.readouterr().out
    a = store.create("first", preset("smoke"), ["genre=chorale"])
    b = store.create("second", preset("smoke"), ["genre=chorale"])
    assert main(["jobs", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["ID", "STATUS", "EPOCH"]
    assert out[1].split()[:2] == [str(b), "queued"] and out[2].split()[0] == str(a)

    assert main(["jobs", "show", str(a)]) == 0
    shown = capsys.readouterr().out
    assert "job 1: first" in shown and "genre=chorale (any)" in shown
    assert "Created (unet, 2 epochs" in shown

    assert main(["jobs", "move", str(b), "0", "--json"]) == 0
    assert _json(capsys) == {"id": b, "queue_position": 0}
    assert store.next_queued().id == b

    assert main(["jobs", "clone", str(a), "--name", "again"]) == 0
    assert "job 3 queued with the settings of job 1" in capsys.readouterr().out
    assert store.get(3).name == "again" and store.get(3).config == store.get(a).config

    assert main(["jobs", "cancel", str(a)]) == 0
    assert capsys.readouterr().out.strip() == f"job {a} cancelled"
    assert main(["jobs", "list", "--status", "cancelled", "--json"]) == 0
    assert [j["id"] for j in _json(capsys)] == [a]

    folder = store.get(a).job_dir
    assert folder.is_dir()
    assert main(["jobs", "delete", str(a)]) == 0
    assert not folder.exists() and [j.id for j in store.list()] == [3, b]


def test_refusals_are_one_line_errors(store, capsys):
    assert main(["jobs", "show", "7"]) == 2
    assert "no job with id 7" in capsys.readouterr().err
    assert main(["jobs", "list", "--status", "done"]) == 2
    assert "unknown status 'done'" in capsys.readouterr().err

    done = store.create("done", preset("smoke"), [])
    store.set_status(done, "running")
    store.set_status(done, "completed")
    assert main(["jobs", "resume", str(done)]) == 2
    assert "only interrupted, failed or cancelled" in capsys.readouterr().err
    assert main(["jobs", "cancel", str(done)]) == 2
    assert "cannot go from 'completed' to 'cancelled'" in capsys.readouterr().err

    running = store.create("busy", preset("smoke"), [])
    assert store.claim(running)  # this process runs it (as the window would)
    try:
        assert main(["jobs", "delete", str(running)]) == 2
        assert "is running: cancel it first" in capsys.readouterr().err
        assert main(["jobs", "move", str(running), "0"]) == 2
        assert "only queued jobs can be reordered" in capsys.readouterr().err
        assert main(["jobs", "cancel", str(running)]) == 0
        assert "cancel requested" in capsys.readouterr().out
        assert store.cancel_requested(running)
    finally:
        store.release(running)
