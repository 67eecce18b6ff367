"""`python main.py train ...` end to end (real store, real training)."""

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
from tests.fixtures import jobs_corpus

REPO = Path(__file__).resolve().parent.parent
FAST = ["--preset", "smoke", "--set", "steps_per_epoch=2", "metric_samples=8"]  # both forms:
# several settings after one --set, and --set repeated (in the cases below)


@pytest.fixture
def genre():
    return jobs_corpus.install()


def _jobs():
    store = JobStore()
    try:
        return store.list()
    finally:
        store.close()


@pytest.mark.parametrize("extra, message", [
    (["--set", "batch_size=0"],
     "batch_size = 0: Batch size must be a whole number from 1 to 4,096"),
    (["--set", "loudness=11"], "unknown setting 'loudness'"),
    (["--set", "batch_size=16", "loudness=11"], "unknown setting 'loudness'"),
    (["--set", "nonsense"], "'nonsense' is not of the form field=value"),
    (["--epochs", "many"], "epochs = 'many' is not a whole number"),
    (["--preset", "huge"], "preset = 'huge' is not allowed"),
    (["--tag", "bach"], "tag 'bach' must look like key=value"),
    (["--genre", "no_such_genre"], "unknown genre 'no_such_genre'"),
    (["--tag", "composer=nobody", "--match", "all"], "select 0 training segment(s)"),
])
def test_invalid_input_is_refused_and_creates_no_job(genre, capsys, extra, message):
    code = main(["train", *FAST, "--genre", genre, *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
    assert _jobs() == []


def test_train_json_prints_one_object_per_event(genre, capsys):
    code = main(["train", *FAST, "--genre", genre, "--epochs", "2", "--json", "--name", "js",
                 "--tag", "composer=tester", "--match", "all"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    events = [json.loads(line) for line in out]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "RunStarted" and kinds[-2:] == ["RunFinished", "JobFinished"]
    assert kinds.count("EpochReport") == 2 and kinds.count("StepStats") == 4
    last = events[-1]
    assert (last["status"], last["epoch"], last["name"]) == ("completed", 2, "js")
    assert 0 <= last["similarity_index"] <= 1
    job = _jobs()[0]
    assert job.id == last["job_id"] and job.status == "completed"
    assert job.tags == [f"genre={genre}", "composer=tester"] and job.tag_mode == "all"
    assert job.config.steps_per_epoch == 2 and job.config.epochs == 2


def test_train_text_output(genre, capsys):
    assert main(["train", *FAST, "--genre", genre, "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "training on cpu" in out and "  step 1/4  critic " in out
    assert "epoch 1/2  critic" in out and "similarity" in out and "ETA" in out
    assert "job 1 completed: epoch 2/2" in out


def test_queue_only_then_jobs_run(genre, capsys):
    assert main(["train", *FAST, "--genre", genre, "--epochs", "1", "--queue-only"]) == 0
    assert main(["train", *FAST, "--genre", genre, "--epochs", "1", "--queue-only",
                 "--json"]) == 0
    out = capsys.readouterr().out
    assert "job 1 queued" in out and json.loads(out.splitlines()[-1])["job_id"] == 2
    assert [j.status for j in _jobs()] == ["queued", "queued"]
    assert main(["jobs", "run"]) == 0
    assert [j.status for j in _jobs()] == ["completed", "completed"]
    assert "the queue is empty" in capsys.readouterr().out


@pytest.mark.slow
def test_ctrl_c_cancels_cleanly_and_the_job_can_resume(genre, polyphony_home):
    env = dict(os.environ, POLYPHONY_HOME=str(polyphony_home), PYTHONUNBUFFERED="1")
    child = subprocess.Popen([sys.executable, "main.py", "train", *FAST, "--genre", genre,
                              "--epochs", "500", "--json"], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        for line in child.stdout:
            lines.append(line)
            if '"EpochReport"' in line:
                child.send_signal(signal.SIGINT)
                break
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    lines += out.splitlines()
    assert child.returncode == 130, err
    assert "Traceback" not in err and "stopping after this step" in err
    final = json.loads(lines[-1])
    assert final["event"] == "JobFinished" and final["status"] == "cancelled"
    store = JobStore()
    try:
        job = store.get(final["job_id"])
        assert job.status == "cancelled" and job.resumable and job.epoch >= 1
        assert store.last_checkpoint(job.id) is not None
    finally:
        store.close()
    assert main(["jobs", "resume", str(final["job_id"]), "--queue-only"]) == 0
    assert _jobs()[0].status == "queued"


def test_json_output_survives_undefined_metrics():
    """A voice that stays silent has NaN metrics (its pitch range is
    undefined): ``--json`` prints them as null instead of failing the job,
    which it did once ("Out of range float values are not JSON compliant")."""
    import numpy as np

    from gan.training.events import EpochReport, to_json

    report = EpochReport(epoch=2, step=40, critic_loss=float("nan"), generator_loss=1.5,
                         wasserstein=float("inf"),
                         metrics={"pitch_range/bass": float("nan"), "pitch_range": 9.0,
                                  "note_density/alto": float("-inf")},
                         similarity=0.4, ceiling=0.95, sample_paths=["a.mid"], checkpoint_path="c.pt",
                         seconds=2.0, samples=np.zeros((1, 4, 16, 84), bool))
    back = json.loads(json.dumps(to_json(report), allow_nan=False))
    assert back["metrics"] == {"pitch_range/bass": None, "pitch_range": 9.0, "note_density/alto": None}
    assert back["critic_loss"] is None and back["wasserstein"] is None
    assert back["generator_loss"] == 1.5 and "samples" not in back
