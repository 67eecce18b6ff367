"""The job store on real SQLite files: life cycle, queue, files, migrations."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from app.jobs import liveness
from app.jobs.store import (InvalidTransition, JobIsRunning, JobNotFound, JobStore,
                            StoreError)
from app import paths
from gan.config import ConfigError, TrainConfig, preset
from gan.training.events import EpochReport, RunStarted

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def store():
    s = JobStore()
    yield s
    s.close()


def _job(store, name="j", tags=("genre=chorale",)):
    return store.create(name, preset("smoke"), list(tags))


def test_create_get_list_newest_first(store):
    a = _job(store, "first")
    b = store.create("second", preset("smoke", "musegan"), ["genre=chorale", "composer=bach"],
                     tag_mode="all")
    assert store.path == paths.database_path()
    job = store.get(b)
    assert (job.name, job.status, job.architecture, job.tag_mode) == \
        ("second", "queued", "musegan", "all")
    assert job.tags == ["genre=chorale", "composer=bach"]
    assert job.config == preset("smoke", "musegan")
    assert job.total_epochs == 2 and job.progress == 0.0
    assert job.job_dir == paths.jobs_dir() / str(b) and job.job_dir.is_dir()
    assert [j.id for j in store.list()] == [b, a]
    assert [j.id for j in store.list(["completed"])] == []
    with pytest.raises(ValueError, match="unknown status 'done'"):
        store.list(["done"])


def test_missing_job_is_a_clear_key_error(store):
    with pytest.raises(KeyError) as info:
        store.get(42)
    assert str(info.value) == "no job with id 42 (see `python main.py jobs list`)"
    with pytest.raises(JobNotFound):
        store.cancel(42)


def test_invalid_config_or_tag_mode_creates_nothing(store):
    bad = TrainConfig(epochs=0)
    with pytest.raises(ConfigError, match="epochs"):
        store.create("bad", bad, [])
    with pytest.raises(ValueError, match="tag mode 'some'"):
        store.create("bad", preset("smoke"), [], tag_mode="some")
    assert store.list() == []


def test_status_life_cycle_and_illegal_transitions(store):
    job = _job(store)
    with pytest.raises(InvalidTransition, match="'queued' to 'completed'"):
        store.set_status(job, "completed")
    store.set_status(job, "running")
    assert store.get(job).started is not None
    store.set_status(job, "failed", "out of memory")
    got = store.get(job)
    assert (got.status, got.error) == ("failed", "out of memory") and got.finished
    store.set_status(job, "queued")  # resume: back in the queue, error cleared
    assert store.get(job).error == ""
    store.set_status(job, "running")
    store.set_status(job, "completed")
    for new in ("queued", "running", "failed", "interrupted"):
        with pytest.raises(InvalidTransition) as info:
            store.set_status(job, new)
        assert info.value.old == "completed" and info.value.new == new
    with pytest.raises(ValueError, match="unknown status"):
        store.set_status(job, "paused")
    messages = [e.message for e in store.events(job)]
    assert "Status running -> failed: out of memory" in messages


def test_cancel_queued_and_running(store):
    queued, running = _job(store), _job(store)
    store.cancel(queued)
    assert store.get(queued).status == "cancelled"
    assert store.claim(running)
    try:
        assert not store.cancel_requested(running)
        store.cancel(running)
        assert store.get(running).status == "running"  # the runner decides when
        assert store.cancel_requested(running)
        store.record_finished(running, "cancelled", "cancel requested")
        assert not store.cancel_requested(running)
    finally:
        store.release(running)
    store.resume(running)
    assert store.get(running).status == "queued"
    store.set_status(running, "running")
    store.set_status(running, "completed")
    with pytest.raises(InvalidTransition):
        store.cancel(running)


def test_queue_order_move_clone_delete(store):
    a, b, c = _job(store, "a"), _job(store, "b"), _job(store, "c")
    assert store.next_queued().id == a
    assert [store.get(j).queue_position for j in (a, b, c)] == [0, 1, 2]
    store.move(c, 0)
    assert [store.get(j).queue_position for j in (c, a, b)] == [0, 1, 2]
    store.move(a, 99)  # clamped to the end
    assert [store.get(j).queue_position for j in (c, b, a)] == [0, 1, 2]
    assert store.next_queued().id == c
    store.cancel(c)
    assert store.get(c).queue_position == -1
    with pytest.raises(InvalidTransition, match="only queued jobs"):
        store.move(c, 0)
    d = store.clone(b)
    got = store.get(d)
    assert got.name == "b (again)" and got.config == store.get(b).config
    assert got.tags == store.get(b).tags and got.queue_position == 2  # at the back
    # resuming puts a job at the back of the queue too
    store.resume(c)
    assert store.get(c).queue_position == 3

    folder = store.get(a).job_dir
    (folder / "samples").mkdir()
    (folder / "samples" / "x.mid").write_bytes(b"MThd")
    store.delete(a)
    assert not folder.exists()
    with pytest.raises(KeyError):
        store.get(a)
    assert store.claim(b)
    try:
        with pytest.raises(JobIsRunning, match="cancel it first"):
            store.delete(b)
        assert store.get(b).job_dir.is_dir()
    finally:
        store.release(b)


def test_claim_is_exclusive(store):
    job = _job(store)
    assert store.claim(job)
    try:
        assert not store.claim(job)  # a second queue runner cannot take it
        assert store.get(job).status == "running"
    finally:
        store.release(job)


def _started(start_epoch=0, start_step=0):
    return RunStarted(total_epochs=4, steps_per_epoch=3, start_epoch=start_epoch,
                      start_step=start_step, device="cpu", n_segments=10,
                      generator_params=100, critic_params=50, run_dir="x",
                      reference_metrics={"polyphony": 2.5, "bad": float("nan")}, ceiling=0.93)


def _report(job_dir: Path, epoch: int, similarity: float, write=True):
    ckpt = job_dir / "checkpoints" / f"epoch_{epoch:04d}.pt"
    if write:
        ckpt.write_bytes(b"checkpoint")
    return EpochReport(epoch=epoch, step=3 * epoch, critic_loss=-1.0, generator_loss=0.5,
                       wasserstein=1.2, metrics={"polyphony": 2.0, "x": float("nan")},
                       similarity=similarity, ceiling=0.93,
                       sample_paths=[str(job_dir / f"s{epoch}_{i}.mid") for i in range(2)],
                       checkpoint_path=str(ckpt), seconds=1.5,
                       samples=np.zeros((2, 4, 32, 84), bool))


def test_run_records_and_resume_replaces_redone_epochs(store):
    from app.jobs.records import StepRow

    job = _job(store)
    folder = store.get(job).job_dir
    assert store.claim(job)
    try:
        store.record_run_started(job, _started())
        assert store.reference(job) == ({"polyphony": 2.5, "bad": None}, 0.93)
        store.record_steps(job, [StepRow(s, 1, time.time(), -1.0, 0.5, float("nan"))
                                 for s in (1, 2, 3, 4)], 4, 10.0, 9.0)
        got = store.get(job)
        assert (got.step, got.total_steps, got.eta_seconds, got.device) == (4, 12, 9.0, "cpu")
        assert got.progress == pytest.approx(1 / 3)
        store.record_epoch(job, _report(folder, 1, 0.5))  # step 3, judged while step 4 ran
        assert (store.get(job).epoch, store.get(job).step) == (1, 4)  # the step never goes back
        for epoch, sim in ((2, 0.7), (3, 0.6)):
            store.record_epoch(job, _report(folder, epoch, sim))
        # a checkpoint written just before a crash, without its epoch row
        (folder / "checkpoints" / "epoch_0004.pt").write_bytes(b"partial")
        got = store.get(job)
        assert (got.epoch, got.similarity, got.best_similarity, got.best_epoch) == (3, 0.6, 0.7, 2)
        assert store.last_checkpoint(job) == folder / "checkpoints" / "epoch_0003.pt"
        (folder / "checkpoints" / "epoch_0003.pt").unlink()  # lost file: fall back
        assert store.last_checkpoint(job) == folder / "checkpoints" / "epoch_0002.pt"
        store.record_finished(job, "failed", "boom")
    finally:
        store.release(job)

    assert store.claim(job)
    try:
        store.record_run_started(job, _started(start_epoch=2, start_step=6))
        assert [e.epoch for e in store.epochs(job)] == [1, 2]
        assert store.get(job).similarity == 0.7
        store.record_epoch(job, _report(folder, 3, 0.8))
        store.record_epoch(job, _report(folder, 4, 0.75))
        store.record_finished(job, "completed")
    finally:
        store.release(job)
    rows = store.epochs(job)
    assert [e.epoch for e in rows] == [1, 2, 3, 4]
    assert rows[2].similarity == 0.8 and rows[2].metrics == {"polyphony": 2.0, "x": None}
    assert [(s.epoch, s.index) for s in store.samples(job)] == \
        [(e, i) for e in (1, 2, 3, 4) for i in (0, 1)]
    assert [s.path for s in store.samples(job, epoch=3)][0].endswith("s3_0.mid")
    assert [s.step for s in store.steps(job)] == [1, 2, 3, 4]
    got = store.get(job)
    assert (got.status, got.best_similarity, got.best_epoch, got.progress) == \
        ("completed", 0.8, 3, 1.0)


def test_change_counter_moves_on_writes_not_heartbeats(store):
    c0 = store.change_counter()
    job = _job(store)
    c1 = store.change_counter()
    assert c1 > c0
    assert store.claim(job)
    try:
        c2 = store.change_counter()
        assert c2 > c1
        store.heartbeat(job)
        assert store.change_counter() == c2
        # a write by another connection (another process in real life)
        other = JobStore(store.path)
        other.add_event(job, "from elsewhere")
        other.close()
        assert store.change_counter() > c2
    finally:
        store.release(job)


def test_one_connection_per_thread(store):
    mine = store.db.conn()
    seen = []

    def work():
        seen.append(store.db.conn())
        store.add_event(_job(store), "from a thread")
        store.close()

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen and seen[0] is not mine
    assert store.db.conn() is mine
    assert len(store.list()) == 1


def _exited_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _set_worker(store, job, pid, host, heartbeat, token=None):
    conn = sqlite3.connect(store.path)
    conn.execute("UPDATE jobs SET status='running', worker_pid=?, worker_host=?, "
                 "worker_token=?, heartbeat=? WHERE id=?", (pid, host, token, heartbeat, job))
    conn.commit()
    conn.close()


def test_recover_orphans(store):
    now = time.time()
    dead, alive, mine, far_stale, far_fresh, recycled = (_job(store) for _ in range(6))
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        _set_worker(store, dead, _exited_pid(), liveness.host(), now)
        _set_worker(store, alive, sleeper.pid, liveness.host(), now - 1000,
                    liveness.process_token(sleeper.pid))
        _set_worker(store, mine, __import__("os").getpid(), liveness.host(), now)
        _set_worker(store, far_stale, 123, "another-host", now - 600)
        _set_worker(store, far_fresh, 123, "another-host", now - 5)
        # the pid is alive but belongs to another process than the worker's
        _set_worker(store, recycled, sleeper.pid, liveness.host(), now, token="1")
        found = store.recover_orphans()
        assert sorted(found) == sorted([dead, mine, far_stale, recycled])
        assert store.get(alive).status == "running"
        assert store.get(far_fresh).status == "running"
        job = store.get(dead)
        assert job.status == "interrupted" and "stopped unexpectedly" in job.error
        assert store.recover_orphans() == []
    finally:
        sleeper.kill()
        sleeper.wait()


def test_version_1_database_is_upgraded(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "jobs_v1.db", path)
    store = JobStore(path)
    try:
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        old, queued = store.get(1), store.get(2)
        assert (old.name, old.status, old.epoch, old.best_similarity) == \
            ("old chorale run", "completed", 2, 0.45)
        assert old.world_size == 1 and old.eta_seconds is None
        assert [e.similarity for e in store.epochs(1)] == [0.45, 0.41]
        assert store.epochs(1)[0].metrics == {"empty_bar_rate": 0.1}
        assert len(store.samples(1)) == 2 and store.events(1)[0].message.startswith("Training")
        assert queued.tag_mode == "all" and queued.architecture == "musegan"
        assert store.next_queued().id == 2
        assert store.steps(1) == [] and store.change_counter() >= 1
        # the upgraded file works like a new one
        new = store.create("new", preset("smoke"), [])
        assert store.claim(new)
        store.record_finished(new, "completed")
        store.release(new)
    finally:
        store.close()


def test_newer_schema_is_refused_clearly(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(RuntimeError, match="newer Polyphony"):
        JobStore(path)


def test_unwritable_location_gives_store_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as info:
        JobStore(blocker / "sub" / "polyphony.db")
    assert "Polyphony cannot write to" in str(info.value)
    assert str(blocker) in str(info.value)


def test_damaged_database_gives_store_error(tmp_path):
    path = tmp_path / "broken.db"
    path.write_bytes(b"this is not sqlite" * 100)
    store = JobStore(path)  # opens, so what can be read still can
    assert store.damage
    with pytest.raises(StoreError, match="damaged"):
        store.list()
    with pytest.raises(StoreError, match="jobs recover"):
        store.create("x", preset("smoke"), [])
    assert path.read_bytes() == b"this is not sqlite" * 100  # nothing written


def test_create_already_claimed(store):
    job = store.create("now", preset("smoke"), [], claim=True)
    try:
        got = store.get(job)
        assert got.status == "running" and got.queue_position == -1
        assert store.next_queued() is None  # no queue runner can take it
        assert store.recover_orphans() == []  # this process holds it
    finally:
        store.release(job)
    assert store.recover_orphans() == [job]


def test_add_event_to_a_missing_job(store):
    with pytest.raises(JobNotFound):
        store.add_event(5, "hello")


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_forked_child_opens_its_own_connection(store):
    import os

    job = _job(store)
    parent_conn = store.db.conn()
    pid = os.fork()
    if pid == 0:  # child: write through the inherited store object
        code = 1
        try:
            code = 0 if store.db.conn() is not parent_conn else 3
            store.add_event(job, "from the forked child")
        except BaseException:
            code = 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert store.events(job)[-1].message == "from the forked child"
