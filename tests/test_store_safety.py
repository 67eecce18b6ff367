"""Nothing the store does not know is deleted; damaged files are never
written; what a damaged or lost database held comes back from the job
folders (issue 15, items 1 and 3)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
import torch

from app.jobs.adopt import adopt_orphans, orphan_folders
from app.jobs.errors import StoreDamaged
from app.jobs.recovery import recover_store
from app.jobs.store import JobStore
from gan.config import preset
from gan.training.checkpoint import save_checkpoint


def _drop_database(path) -> None:
    for suffix in ("", "-wal", "-shm"):
        p = path.with_name(path.name + suffix)
        if p.exists():
            p.unlink()


def _write_run(folder, config, epochs: int, genre: str = "chorale") -> None:
    """What a training run leaves in its folder: a checkpoint per epoch
    (written by the real writer, as the loop writes them) and samples."""
    for epoch in range(1, epochs + 1):
        state = {"config": config.to_dict(), "epoch": epoch, "step": 3 * epoch,
                 "generator": {"w": torch.full((4,), float(epoch))},
                 "similarity": 0.1 * epoch, "metrics": {"polyphony": 1.5 + epoch},
                 "genre": genre}
        save_checkpoint(state, folder / "checkpoints" / f"epoch_{epoch:04d}.pt")
        for i in range(2):
            sample = folder / "samples" / f"epoch_{epoch:04d}_{i:02d}.mid"
            sample.parent.mkdir(parents=True, exist_ok=True)
            sample.write_bytes(b"MThd")


def test_a_folder_the_store_does_not_know_is_never_deleted(polyphony_home):
    store = JobStore()
    old = store.create("precious", preset("smoke"), ["genre=chorale"])
    old_dir = store.get(old).job_dir
    _write_run(old_dir, preset("smoke"), epochs=2)
    kept = sorted(p.relative_to(old_dir) for p in old_dir.rglob("*"))
    store.close()
    _drop_database(store.path)  # the database is lost; the folders are not

    store = JobStore()
    new = store.create("fresh", preset("smoke"), [])
    assert new == old  # the id comes round again ...
    assert sorted(p.relative_to(old_dir) for p in old_dir.rglob("*")) == kept  # ... nothing lost
    new_dir = store.get(new).job_dir
    assert new_dir != old_dir and new_dir.name == f"{new}-2" and (new_dir / "checkpoints").is_dir()
    assert any("belongs to no job" in e.message and e.level == "warning"
               for e in store.events(new))
    assert orphan_folders(store) == [old_dir]
    store.close()


def test_adopt_rebuilds_jobs_from_their_folders(polyphony_home):
    store = JobStore()
    config = preset("smoke").with_overrides({"epochs": 3})
    first = store.create("two of three", config, ["genre=chorale", "composer=bach"])
    _write_run(store.get(first).job_dir, config, epochs=2)
    second = store.create("all done", config, ["genre=chorale"])
    _write_run(store.get(second).job_dir, config, epochs=3)
    store.close()
    _drop_database(store.path)

    store = JobStore()
    report = adopt_orphans(store)
    assert [(f.name, status, n) for f, _, status, n in report.adopted] == [
        (str(first), "interrupted", 2), (str(second), "completed", 3)]
    job = store.get(first)
    assert (job.name, job.tags, job.status, job.epoch) == (
        "two of three", ["genre=chorale", "composer=bach"], "interrupted", 2)
    assert job.config == config and job.resumable
    epochs = store.epochs(first)
    assert [e.epoch for e in epochs] == [1, 2]
    assert epochs[1].similarity == pytest.approx(0.2) and epochs[1].step == 6
    assert epochs[1].metrics == {"polyphony": pytest.approx(3.5)}
    assert store.resume_point(first)[0] == 2
    assert len(store.samples(first)) == 4
    assert store.get(second).status == "completed"
    assert orphan_folders(store) == [] and adopt_orphans(store).adopted == []  # once only
    store.close()


def test_a_folder_that_says_nothing_is_not_adopted(polyphony_home):
    store = JobStore()
    junk = store.jobs_root / "99"
    (junk / "checkpoints").mkdir(parents=True)
    (junk / "checkpoints" / "epoch_0001.pt").write_bytes(b"truncated")
    report = adopt_orphans(store)
    assert report.adopted == [] and report.refused[0][0] == junk
    assert "no readable checkpoint" in report.refused[0][1]
    assert (junk / "checkpoints" / "epoch_0001.pt").read_bytes() == b"truncated"
    store.close()


def _page_of(path, table: str) -> int:
    conn = sqlite3.connect(path)
    page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    return (page - 1) * size, size


def _garbage_in(path, table: str) -> bytes:
    offset, size = _page_of(path, table)
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(bytes(range(256)) * (size // 256))
    return path.read_bytes()


@pytest.fixture
def two_jobs(polyphony_home):
    store = JobStore()
    config = preset("smoke").with_overrides({"epochs": 3})
    ids = [store.create(name, config, ["genre=chorale"]) for name in ("kept one", "kept two")]
    for job_id in ids:
        job_dir = store.get(job_id).job_dir
        _write_run(job_dir, config, epochs=2)
        store.db.tx(lambda conn, job_id=job_id, job_dir=job_dir: conn.executemany(
            "INSERT INTO epochs (job_id, epoch, step, critic_loss, checkpoint_path) "
            "VALUES (?, ?, ?, ?, ?)",
            [(job_id, e, 3 * e, -0.5 * e, str(job_dir / "checkpoints" / f"epoch_{e:04d}.pt"))
             for e in (1, 2)]))
    store.close()
    conn = sqlite3.connect(store.path)  # fold the write-ahead log into the file
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return store.path, ids


@pytest.mark.parametrize("table", ["epochs", "jobs"])
def test_a_damaged_database_is_read_but_never_written(two_jobs, table):
    path, ids = two_jobs
    damaged = _garbage_in(path, table)
    store = JobStore(path)
    assert store.damage
    for read in (store.list, lambda: store.get(ids[0]), lambda: store.epochs(ids[0]),
                 lambda: store.events(ids[0]), lambda: store.resume_point(ids[0])):
        try:  # what can be read is; what cannot says so (no other error)
            read()
        except StoreDamaged as exc:
            assert "jobs recover" in str(exc)
    if table == "jobs":
        with pytest.raises(StoreDamaged, match="jobs recover"):
            store.get(ids[0])  # not "no job with id 1"
    for change in (lambda: store.delete(ids[0]), lambda: store.resume(ids[0]),
                   lambda: store.create("new", preset("smoke"), []),
                   lambda: store.add_event(ids[0], "x"), store.recover_orphans):
        with pytest.raises(StoreDamaged, match="nothing was written"):
            change()
    store.close()
    assert path.read_bytes() == damaged
    assert all((path.parent / "jobs" / str(i) / "checkpoints" / "epoch_0002.pt").exists()
               for i in ids)


def test_recovery_keeps_the_damaged_file_and_rebuilds_the_jobs(two_jobs):
    path, ids = two_jobs
    damaged = _garbage_in(path, "epochs")
    report = recover_store(path)
    assert report.recovered and report.damage
    backup = report.backups[0]
    assert backup.name.startswith("polyphony.db.damaged-") and backup.read_bytes() == damaged
    assert sorted(j for _, j, _, _ in report.adopted.adopted) == ids
    store = JobStore(path)
    assert store.damage is None
    # the names still readable in the damaged file came back with the epochs
    assert [(j.id, j.name, j.status, j.epoch) for j in store.list()] == [
        (ids[1], "kept two", "interrupted", 2), (ids[0], "kept one", "interrupted", 2)]
    epochs = store.epochs(ids[0])
    assert [e.epoch for e in epochs] == [1, 2]
    if epochs[0].critic_loss is not None:  # salvaged from the damaged file when readable
        assert epochs[0].critic_loss == pytest.approx(-0.5)
    assert recover_store(path).recovered is False  # a sound file is left alone
    new = store.create("after", preset("smoke"), [])
    assert new == max(ids) + 1
    store.close()


def test_read_only_store_never_writes(two_jobs):
    path, ids = two_jobs
    before = path.read_bytes()
    store = JobStore(path, read_only=True)
    assert [j.id for j in store.list()] == sorted(ids, reverse=True)
    assert [e.epoch for e in store.epochs(ids[0])] == [1, 2]
    with pytest.raises(Exception, match="read-only"):
        store.add_event(ids[0], "x")
    store.close()
    assert path.read_bytes() == before
    assert not os.path.exists(str(path) + "-wal") or os.path.getsize(str(path) + "-wal") == 0


def test_adopting_a_real_pruned_run_brings_back_every_epoch_with_its_losses(polyphony_home):
    """Retention deleted most checkpoints; the run's epoch log still has
    every epoch's figures, and adoption takes them from it."""
    from app.jobs.runner import run_job

    store = JobStore()
    config = preset("smoke").with_overrides({"epochs": 4, "keep_every": 0})
    job_id = store.create("pruned", config, ["genre=chorale"])
    assert run_job(job_id, store) == "completed"
    before = store.epochs(job_id)
    kept = sorted(p.name for p in (store.get(job_id).job_dir / "checkpoints").glob("epoch_*.pt"))
    assert len(kept) < 4  # retention pruned some
    store.close()
    _drop_database(store.path)

    store = JobStore()
    (folder, new_id, status, n), = adopt_orphans(store).adopted
    assert (status, n) == ("completed", 4)
    after = store.epochs(new_id)
    assert [e.epoch for e in after] == [1, 2, 3, 4]
    for old, new in zip(before, after):
        assert new.critic_loss == pytest.approx(old.critic_loss)
        assert new.similarity == pytest.approx(old.similarity)
        defined = {k for k, v in old.metrics.items() if v is not None and v == v}
        assert new.metrics.keys() == defined  # undefined metrics (a silent voice) stay out
    assert sorted(Path(e.checkpoint_path).name for e in after if e.checkpoint_path) == kept
    store.close()
