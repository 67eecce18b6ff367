"""Disk use per job and freeing space from finished jobs: real job folders
made by the store, checkpoint files laid out as training leaves them
(``latest.pt`` hard-linked to the newest ``epoch_N.pt``)."""

from __future__ import annotations

import os

import pytest
from PySide6.QtWidgets import QMessageBox

from app.jobs.disk import cleanup_plan, disk_use, format_bytes, free_space
from app.jobs.store import JobStore
from gan.config import preset
from tests.score_records import BEST_EPOCH, SETTLING_INDEX, record_run
from tests.ui_fixtures import ui_env  # noqa: F401

CKPT = 100_000  # bytes per checkpoint file
EPOCHS = len(SETTLING_INDEX)


def lay_out_checkpoints(job_dir, epochs, size=CKPT):
    """epoch_0001.pt ... and latest.pt as a second name of the newest."""
    folder = job_dir / "checkpoints"
    folder.mkdir(exist_ok=True)
    for epoch in epochs:
        (folder / f"epoch_{epoch:04d}.pt").write_bytes(os.urandom(size))
    os.link(folder / f"epoch_{max(epochs):04d}.pt", folder / "latest.pt")
    samples = job_dir / "samples"
    samples.mkdir(exist_ok=True)
    (samples / "epoch_0001_00.mid").write_bytes(b"M" * 500)


@pytest.fixture
def store(polyphony_home):
    s = JobStore()
    yield s
    s.close()


def finished_job(store, name="done", epochs=EPOCHS):
    job_id = store.create(name, preset("smoke"), ["genre=chorale"])
    record_run(store, job_id, epochs)
    store.record_finished(job_id, "completed")
    job = store.get(job_id)
    lay_out_checkpoints(job.job_dir, range(1, epochs + 1))
    return store.get(job_id)


def test_disk_use_counts_a_hard_linked_checkpoint_once(store):
    job = finished_job(store)
    use = disk_use(job)
    assert use.checkpoints == EPOCHS * CKPT  # latest.pt is the same file as epoch_0016.pt
    assert use.samples == 500 and use.other > 0  # job.json
    assert use.total == use.checkpoints + use.samples + use.other


def test_plan_keeps_latest_and_best_and_never_touches_busy_jobs_or_other_files(store):
    job = finished_job(store)
    assert job.best_epoch == BEST_EPOCH
    busy = store.create("queued", preset("smoke"), [])
    lay_out_checkpoints(store.get(busy).job_dir, range(1, 4))
    stray = job.job_dir / "checkpoints" / "notes.txt"
    stray.write_text("mine")
    plan = cleanup_plan(store)
    assert [j.job_id for j in plan.jobs] == [job.id]  # the queued job is left alone
    kept = sorted(p.name for p in plan.jobs[0].keep)
    assert kept == [f"epoch_{BEST_EPOCH:04d}.pt", f"epoch_{EPOCHS:04d}.pt"]
    assert len(plan.files) == EPOCHS - 2 and all(p.name.startswith("epoch_") for p in plan.files)
    assert plan.frees == (EPOCHS - 2) * CKPT
    before = disk_use(job)
    deleted, problems = free_space(plan)
    assert deleted == EPOCHS - 2 and problems == []
    after = disk_use(job)
    assert before.total - after.total == plan.frees
    left = sorted(p.name for p in (job.job_dir / "checkpoints").iterdir())
    assert left == [f"epoch_{BEST_EPOCH:04d}.pt", f"epoch_{EPOCHS:04d}.pt", "latest.pt", "notes.txt"]
    assert len(list((store.get(busy).job_dir / "checkpoints").iterdir())) == 4
    assert cleanup_plan(store).files == []  # nothing more to free


def test_sizes_read_like_a_file_manager():
    assert format_bytes(512) == "512 bytes"
    assert format_bytes(8_600_000) == "8.6 MB"
    assert format_bytes(345_000_000) == "345 MB"
    assert format_bytes(1_200_000_000) == "1.2 GB"


def test_window_shows_disk_use_and_frees_space_after_asking(qtbot, ui_env, monkeypatch):  # noqa: F811
    from app.ui.main_window import MainWindow

    store = JobStore()
    job = finished_job(store, "chorales, quick")
    store.close()
    window = MainWindow(training_mode="thread")
    qtbot.addWidget(window)
    window.show()
    window.select_job(job.id)
    view = window.detail.settings_view
    row = next(i for i in range(view.rowCount()) if view.item(i, 0).text() == "Disk use")
    assert view.item(row, 1).text().startswith(format_bytes(disk_use(job).total))
    asked, answers = [], iter([QMessageBox.No, QMessageBox.Yes])

    def question(_parent, _title, text, *_args):
        asked.append(text)
        return next(answers)

    monkeypatch.setattr(QMessageBox, "question", question)
    job_menu = window.menuBar().actions()[1].menu()
    assert window.commands.free_space in job_menu.actions()
    window.commands.free_space.trigger()  # answered No: nothing deleted
    frees = format_bytes((EPOCHS - 2) * CKPT)
    assert f"This frees {frees}." in asked[0] and "#1 chorales, quick" in asked[0]
    assert len(list((job.job_dir / "checkpoints").glob("epoch_*.pt"))) == EPOCHS
    window.commands.free_space.trigger()  # Yes
    assert len(list((job.job_dir / "checkpoints").glob("epoch_*.pt"))) == 2
    assert window.statusBar().currentMessage().startswith(f"Freed {frees}")
    assert view.item(row, 1).text().startswith(format_bytes(disk_use(job).total))
    window.close()
