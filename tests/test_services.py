"""The Qt-free application layer both faces call: the store watcher, run
progress, job submission and the music selection (real store, real corpus)."""

from __future__ import annotations

import time

import pytest

from gan.config import preset
from gan.training.events import RunStarted, StepStats
from tests.fixtures import jobs_corpus

from app.jobs.progress import RunProgress
from app.jobs.records import StepRow
from app.jobs.store import JobStore
from app.jobs.submit import JobRequest, MusicUnavailable, check_music, submit
from app.jobs.watcher import JobWatcher


@pytest.fixture
def store(tmp_path):
    s = JobStore(tmp_path / "jobs.db")
    yield s
    s.close()


def _started(total_epochs=4, steps_per_epoch=3, start_step=0):
    return RunStarted(total_epochs=total_epochs, steps_per_epoch=steps_per_epoch, start_epoch=0,
                      start_step=start_step, device="cpu", n_segments=10, generator_params=1,
                      critic_params=1, run_dir="x")


def _steps(first, last):
    return [StepRow(s, 1, time.time(), -1.0, 0.5, 0.1) for s in range(first, last + 1)]


def test_watcher_reads_only_what_changed(store):
    job = submit(store, JobRequest("watched", preset("smoke"), [], "any"))
    watcher = JobWatcher(store)
    assert watcher.changed()
    jobs, gone = watcher.refresh()
    assert [j.id for j in jobs] == [job] and gone == [] and not watcher.changed()

    asked = []
    real_steps = store.steps
    store.steps = lambda job_id, after_step=0: asked.append(after_step) or real_steps(job_id, after_step)
    assert store.claim(job)
    try:
        store.record_run_started(job, _started())
        store.record_steps(job, _steps(1, 3), 3, 10.0, None)
        assert watcher.changed()
        watcher.refresh()
        assert watcher.feed(job).n_steps == 3
        store.record_steps(job, _steps(4, 5), 5, 10.0, None)
        watcher.refresh()
        series = watcher.feed(job)
        assert series.n_steps == 5 and list(series.steps["step"].view) == [1, 2, 3, 4, 5]
        assert asked == [0, 3]  # the second look asked only for rows after step 3
        assert watcher.series(job) is series  # one series per job, kept
        store.record_finished(job, "cancelled")
    finally:
        store.release(job)
    store.delete(job)
    jobs, gone = watcher.refresh()
    assert jobs == [] and gone == [job] and not watcher.has_series(job)


def test_run_progress_from_events():
    progress = RunProgress()
    progress.update(_started(total_epochs=4, steps_per_epoch=25, start_step=20))
    assert progress.total_steps == 100 and progress.eta_seconds is None
    progress.update(StepStats(epoch=2, step=40, critic_loss=1.0, generator_loss=1.0, wasserstein=0.0,
                              gradient_penalty=0.0, elapsed=10.0, steps_per_second=2.0))
    # 20 steps in 10 s since the resume: 60 steps left take 30 s
    assert progress.eta_seconds == pytest.approx(30.0)


def test_submit_queues_or_puts_next(store):
    first = submit(store, JobRequest("first", preset("smoke"), [], "any"))
    urgent = submit(store, JobRequest("urgent", preset("smoke"), [], "any", start_now=True))
    assert store.next_queued().id == urgent
    here = submit(store, JobRequest("here", preset("smoke"), [], "any"), claim=True)
    assert store.get(here).status == "running" and store.get(first).status == "queued"
    store.release(here)


@pytest.fixture
def corpus_loads(monkeypatch):
    """The genres of every ``Corpus.load`` from now on (the real load runs),
    with the test genre installed."""
    from gan.data import corpus as corpus_module

    jobs_corpus.install()
    loads = []
    real_load = corpus_module.Corpus.load.__func__

    def counting_load(cls, genres=None, include_imports=True):
        loads.append(genres)
        return real_load(cls, genres, include_imports)

    monkeypatch.setattr(corpus_module.Corpus, "load", classmethod(counting_load))
    return loads


def test_music_is_checked_once_and_trained_on_as_checked(corpus_loads):
    tags = [f"genre={jobs_corpus.GENRE}"]
    selection = check_music(tags, "any", 2)
    segments = selection.segments()  # what `train` hands the runner is cut from this selection
    assert corpus_loads == [[jobs_corpus.GENRE]]  # one read, of the one genre the tags name
    assert len(segments) == selection.segment_count >= 2
    with pytest.raises(MusicUnavailable, match="at least 2"):
        check_music(tags, "any", 10_000)
    with pytest.raises(MusicUnavailable, match="unknown genre"):
        check_music(["genre=no_such_music"], "any", 2)


def test_train_reads_the_music_once(corpus_loads, capsys):
    """`train` checks the tags against the music and trains on that same
    selection: one corpus read per run (it used to read it twice)."""
    from app.cli import main

    code = main(["train", "--preset", "smoke", "--genre", jobs_corpus.GENRE, "--epochs", "1",
                 "--set", "steps_per_epoch=1", "metric_samples=8", "--json"])
    assert code == 0, capsys.readouterr().err
    # (other readers, e.g. a genre classifier over every genre, are not the job's music)
    assert [g for g in corpus_loads if g == [jobs_corpus.GENRE]] == [[jobs_corpus.GENRE]]
