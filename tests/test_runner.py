"""The job runner driving the real gan.training.loop on a small real dataset."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from app.jobs import runner
from app.jobs.runner import JobNotRunnable, genres_to_load, run_job, run_queue
from app.jobs.store import JobStore
from gan.config import preset
from gan.training.events import EpochReport, Notice, RunFinished, RunStarted, StepStats
from tests.fixtures import jobs_corpus


@pytest.fixture
def store():
    s = JobStore()
    yield s
    s.close()


@pytest.fixture
def genre():
    return jobs_corpus.install()


SPE = 2  # steps per epoch: small, the runner is under test, not the model


def _config(epochs=2, **changes):
    return dataclasses.replace(preset("smoke"), epochs=epochs, steps_per_epoch=SPE,
                               metric_samples=8, **changes)


@pytest.mark.parametrize("epoch_end", ["inline", "background"])
def test_run_job_writes_everything(store, genre, epoch_end):
    job_id = store.create("run", _config(epoch_end=epoch_end), [f"genre={genre}"])
    seen = []
    status = run_job(job_id, store, on_event=seen.append)
    assert status == "completed"
    kinds = [type(e) for e in seen]
    assert kinds[0] is RunStarted and kinds[-1] is RunFinished
    assert kinds.count(EpochReport) == 2 and kinds.count(StepStats) == 2 * SPE
    job = store.get(job_id)
    assert (job.status, job.epoch, job.step, job.total_steps, job.progress) == \
        ("completed", 2, 2 * SPE, 2 * SPE, 1.0)
    assert job.device.startswith("cpu") and job.finished and job.steps_per_second > 0
    assert job.similarity == pytest.approx(seen[-1].similarity)
    epochs = store.epochs(job_id)
    assert [e.epoch for e in epochs] == [1, 2] and all(e.metrics for e in epochs)
    assert all(e.checkpoint_path.endswith(f"epoch_{e.epoch:04d}.pt") for e in epochs)
    samples = store.samples(job_id)
    assert len(samples) == 4 and all(__import__("os").path.isfile(s.path) for s in samples)
    assert all(s.path.startswith(str(job.job_dir)) for s in samples)
    assert [s.step for s in store.steps(job_id)] == list(range(1, 2 * SPE + 1))  # log_every=1
    reference, ceiling = store.reference(job_id)
    assert reference and 0 < ceiling <= 1
    assert store.last_checkpoint(job_id) == job.job_dir / "checkpoints" / "epoch_0002.pt"
    with pytest.raises(JobNotRunnable, match="is completed and cannot be run again"):
        run_job(job_id, store)


def test_a_notice_from_training_lands_in_the_jobs_events_with_its_level(store):
    """For example why a GPU run does not use its CUDA graph: the window's
    event list and `jobs show` read it from the store."""
    job_id = store.create("notice", _config(), [])
    seen = []
    recorder = runner._Recorder(store, job_id, seen.append)
    why = "CUDA graph not used: capture failed (RuntimeError: x); training eagerly"
    recorder(Notice(why, "warning"))
    assert [(e.level, e.message) for e in store.events(job_id)][-1] == ("warning", why)
    assert seen == [Notice(why, "warning")]  # and passed on (the command line prints it)


def test_cancel_request_from_the_store_then_resume(store, genre, monkeypatch):
    monkeypatch.setattr(runner, "CANCEL_POLL_SECONDS", 0.0)
    job_id = store.create("cancel me", _config(epochs=3), [f"genre={genre}"])
    other = JobStore(store.path)  # "the window": another connection

    def on_event(event):
        if isinstance(event, EpochReport) and event.epoch == 1:
            other.cancel(job_id)

    assert run_job(job_id, store, on_event=on_event) == "cancelled"
    other.close()
    job = store.get(job_id)
    assert job.status == "cancelled" and job.epoch == 1 and "stopped by request" in job.error
    assert not store.cancel_requested(job_id)
    seen = []
    assert run_job(job_id, store, on_event=seen.append) == "completed"
    assert seen[0].start_epoch == 1
    assert [e.epoch for e in store.epochs(job_id)] == [1, 2, 3]
    assert [s.step for s in store.steps(job_id)] == list(range(1, 3 * SPE + 1))
    assert [(s.epoch, s.index) for s in store.samples(job_id)] == \
        [(e, i) for e in (1, 2, 3) for i in (0, 1)]


class _Crash(BaseException):
    """Stands in for the process dying (nothing below catches it)."""


def test_crash_after_last_epoch_recovers_and_completes(store, genre):
    job_id = store.create("crash", _config(epochs=2), [f"genre={genre}"])

    def on_event(event):
        if isinstance(event, EpochReport) and event.epoch == 2:
            raise _Crash  # after the row was written, before "completed"

    with pytest.raises(_Crash):
        run_job(job_id, store, on_event=on_event)
    assert store.get(job_id).status == "running"
    assert store.recover_orphans() == [job_id]  # our own pid, but no runner
    assert store.get(job_id).status == "interrupted"
    events = []
    assert run_job(job_id, store, on_event=events.append) == "completed"
    assert events == []  # nothing left to train
    assert [e.epoch for e in store.epochs(job_id)] == [1, 2]
    assert "All 2 epochs were already done" in [e.message for e in store.events(job_id)]


def test_bad_tags_fail_the_job_with_a_message(store, genre):
    job_id = store.create("nothing", _config(), ["genre=no_such_genre"])
    assert run_job(job_id, store) == "failed"
    assert "unknown genre 'no_such_genre'" in store.get(job_id).error
    job_id = store.create("empty", _config(), [f"genre={genre}", "composer=nobody"], "all")
    assert run_job(job_id, store) == "failed"
    assert "no music matches" in store.get(job_id).error


def test_ctrl_c_during_loading_cancels_and_reraises(store, genre):
    job_id = store.create("ctrl-c", _config(), [f"genre={genre}"])

    def interrupted(job):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_job(job_id, store, load_data=interrupted)
    job = store.get(job_id)
    assert job.status == "cancelled" and job.resumable
    assert store.recover_orphans() == []


def test_queue_runs_in_queue_order_and_skips_cancelled(store, genre):
    tags = [f"genre={genre}"]
    a, b, c = (store.create(n, _config(epochs=1), tags) for n in "abc")
    store.move(c, 0)
    store.cancel(b)
    started = []
    run_queue(store, lambda: False, on_job_started=started.append)
    assert started == [c, a]
    assert [store.get(j).status for j in (a, b, c)] == ["completed", "cancelled", "completed"]


def test_queue_stops_when_asked(store, genre):
    tags = [f"genre={genre}"]
    a, b = (store.create(n, _config(epochs=3), tags) for n in "ab")
    stop = threading.Event()

    def on_event(event):
        if isinstance(event, EpochReport):
            stop.set()

    run_queue(store, stop.is_set, on_event=on_event)
    assert store.get(a).status == "cancelled" and store.get(a).epoch == 1
    assert store.get(b).status == "queued"


def test_genres_to_load():
    assert genres_to_load(["genre=a", "genre=b"], "any") == ["a", "b"]
    assert genres_to_load(["genre=a", "composer=x"], "all") == ["a"]
    assert genres_to_load(["genre=a", "composer=x"], "any") is None
    assert genres_to_load(["composer=x"], "any") is None
    assert genres_to_load([], "any") is None
