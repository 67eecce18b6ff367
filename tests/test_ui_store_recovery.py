"""The window and a troubled job store (issue 15): a damaged database is
offered recovery before the window opens, job folders no row names are
offered for adoption above the job list, and a read-only data folder is
shown read-only under a banner. Real SQLite files, real job folders written
by a real (tiny) training run, real widgets."""

from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from app.jobs.adopt import adopt_orphans
from app.jobs.store import JobStore
from app.ui.main_window import CLOSE_STOP, MainWindow
from app.ui.recovery_dialog import RecoveryDialog, open_store_for_window
from gan.config import preset
from tests.ui_fixtures import ui_env  # noqa: F401


@pytest.fixture(scope="module")
def job_folders(tmp_path_factory):
    """A ``jobs`` folder as training leaves it: one finished two-epoch run
    (checkpoints, epoch log, samples) and one job that never started."""
    from app.jobs.runner import run_job
    from tests.compose_helpers import small_chorale_data

    home = tmp_path_factory.mktemp("trained")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POLYPHONY_HOME", str(home))
        store = JobStore(home / "polyphony.db")
        config = dataclasses.replace(preset("smoke"), epochs=2, steps_per_epoch=1)
        done = store.create("finished run", config, ["genre=chorale"])
        status = run_job(done, store, load_data=lambda job: small_chorale_data(
            job.config.bars_per_sample))
        assert status == "completed", store.get(done).error
        waiting = store.create("never started", config, ["genre=chorale"])
        store.close()
    return home / "jobs", {done: "completed", waiting: "interrupted"}


def _copy_folders(job_folders, home) -> dict[int, str]:
    source, expected = job_folders
    shutil.copytree(source, home / "jobs")
    return expected


def _damaged_store(home, table: str) -> bytes:
    """A store that knows the jobs, then garbage written over ``table``'s first page."""
    path = home / "polyphony.db"
    store = JobStore(path)
    adopt_orphans(store)
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every row in the file itself
    page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(path, "r+b") as fh:
        fh.seek((page - 1) * size)
        fh.write(bytes(range(256)) * (size // 256))
    return path.read_bytes()


def _close(window) -> None:
    window.close_policy = CLOSE_STOP
    window.close()


def test_a_damaged_database_is_recovered_in_a_dialog_then_the_window_opens(
        qtbot, ui_env, polyphony_home, job_folders):  # noqa: F811
    expected = _copy_folders(job_folders, polyphony_home)
    damaged = _damaged_store(polyphony_home, "jobs")
    seen = {}

    def drive(dialog: RecoveryDialog) -> int:
        qtbot.addWidget(dialog)
        dialog.show()
        seen["explained"] = dialog.message.text()
        qtbot.mouseClick(dialog.recover_button, Qt.LeftButton)
        # The click returns at once: the work runs on a worker, the dialog
        # shows a busy bar and cannot be quit half way.
        seen["busy"] = (dialog.is_busy(), dialog.busy.isVisible(), dialog.quit_button.isEnabled())
        dialog.reject()  # Escape while recovering: ignored
        assert dialog.isVisible()
        qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=60_000)
        seen["report"] = dialog.result_label.text()
        assert dialog.open_button.isVisible() and not dialog.recover_button.isVisible()
        qtbot.mouseClick(dialog.open_button, Qt.LeftButton)
        return dialog.result()

    store = open_store_for_window(run_dialog=drive)
    assert store is not None and store.damage is None and not store.read_only
    assert "damaged" in seen["explained"] and str(polyphony_home / "polyphony.db") in seen["explained"]
    assert "polyphony.db.damaged-" in seen["explained"]  # says what Recover does with the file
    assert seen["busy"] == (True, True, False)
    backups = sorted(polyphony_home.glob("polyphony.db.damaged-*"))
    assert [p.read_bytes() for p in backups if not p.name.endswith(("-wal", "-shm"))] == [damaged]
    assert "Recovered." in seen["report"] and str(backups[0]) in seen["report"]
    assert "2 job(s) rebuilt" in seen["report"]

    window = MainWindow(training_mode="thread", store=store)
    qtbot.addWidget(window)
    window.show()
    assert {j.id: j.status for j in window.watcher.jobs.values()} == expected
    finished = next(j for j in expected if expected[j] == "completed")
    assert [e.epoch for e in window.store.epochs(finished)] == [1, 2]
    assert window.read_only_banner is None and not window.adopt_bar.isVisible()
    _close(window)


def test_quit_leaves_the_damaged_database_as_it_was(qtbot, ui_env,  # noqa: F811
                                                    polyphony_home, job_folders):
    _copy_folders(job_folders, polyphony_home)
    damaged = _damaged_store(polyphony_home, "epochs")

    def quit_(dialog: RecoveryDialog) -> int:
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.mouseClick(dialog.quit_button, Qt.LeftButton)
        return dialog.result()

    assert open_store_for_window(run_dialog=quit_) is None
    assert (polyphony_home / "polyphony.db").read_bytes() == damaged
    assert not list(polyphony_home.glob("*.damaged-*"))


def test_job_folders_not_in_the_list_are_offered_above_it_and_adopted(
        qtbot, ui_env, polyphony_home, job_folders):  # noqa: F811
    expected = _copy_folders(job_folders, polyphony_home)  # the database was lost
    window = MainWindow(training_mode="thread")
    qtbot.addWidget(window)
    window.show()
    bar = window.adopt_bar
    assert bar.isVisible() and not window.watcher.jobs
    assert "2 job folders are not in the list" in bar.text()
    qtbot.mouseClick(bar.adopt_button, Qt.LeftButton)
    assert window.adoption.is_running()  # in the background, never on the GUI thread
    qtbot.waitUntil(lambda: not window.adoption.is_running(), timeout=60_000)
    assert {j.id: j.status for j in window.watcher.jobs.values()} == expected
    assert window.job_list.selected_job_id() in expected  # the list shows them
    assert "Adopted 2 jobs" in bar.text() and not bar.adopt_button.isVisible()
    qtbot.mouseClick(bar.close_button, Qt.LeftButton)
    assert not bar.isVisible()
    _close(window)


def test_the_job_menu_lists_the_folders_and_asks_first(qtbot, ui_env,  # noqa: F811
                                                       polyphony_home, job_folders, monkeypatch):
    window = MainWindow(training_mode="thread")
    qtbot.addWidget(window)
    window.show()
    told, asked = [], []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text, *a: told.append(text))
    window.commands.adopt.trigger()  # nothing to adopt: said so
    assert len(told) == 1 and "nothing to adopt" in told[0]
    assert not window.adopt_bar.isVisible()

    expected = _copy_folders(job_folders, polyphony_home)
    answers = iter([QMessageBox.No, QMessageBox.Yes])
    monkeypatch.setattr(QMessageBox, "question",
                        lambda _p, _t, text, *a: (asked.append(text), next(answers))[1])
    window.commands.adopt.trigger()
    assert all(str(job_id) in asked[0] for job_id in expected)  # the folders, by name
    assert not window.adoption.is_running() and not window.watcher.jobs  # "No": nothing
    window.commands.adopt.trigger()
    qtbot.waitUntil(lambda: not window.adoption.is_running(), timeout=60_000)
    assert {j.id: j.status for j in window.watcher.jobs.values()} == expected
    _close(window)


def test_a_read_only_store_is_shown_under_a_banner_and_nothing_is_written(
        qtbot, ui_env, polyphony_home, job_folders):  # noqa: F811
    expected = _copy_folders(job_folders, polyphony_home)
    path = polyphony_home / "polyphony.db"
    store = JobStore(path)
    adopt_orphans(store)
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = path.read_bytes()
    # What app.jobs.access.open_for_reading opens on a read-only folder (tests
    # may run as root, for whom no folder is read-only).
    window = MainWindow(training_mode="thread", store=JobStore(path, read_only=True))
    qtbot.addWidget(window)
    window.show()
    banner = window.read_only_banner
    assert banner is not None and banner.isVisible()
    assert "Read-only" in banner.text() and str(polyphony_home) in banner.text()
    assert "(read-only)" in window.windowTitle()
    assert {j.id: j.status for j in window.watcher.jobs.values()} == expected
    commands = window.commands
    for action in (commands.new, commands.start, commands.resume, commands.delete,
                   commands.clone, commands.adopt, commands.free_space):
        assert not action.isEnabled(), action.text()
    compose = [i for i in range(window.detail.count()) if window.detail.tabText(i) == "Compose"]
    assert compose and not window.detail.isTabEnabled(compose[0])
    assert window.import_music([str(polyphony_home)], genre="mine") is None
    assert not window.adopt_bar.isVisible()
    # the welcome page (shown when a store has no jobs) offers no first job either
    assert not window.welcome.first_button.isEnabled() and not window.welcome.new_button.isEnabled()
    _close(window)
    assert path.read_bytes() == before


# The window, opened by a process that cannot write the data folder: it
# prints what it shows. Root ignores permissions, so as root the process
# drops the capabilities that let it write anywhere (as test_cli_jobs_storage).
_READ_ONLY_WINDOW = """
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.ui import ui_settings
ui_settings.isolate_settings(sys.argv[1])
from app.ui.main_window import MainWindow
from app.ui.recovery_dialog import open_store_for_window
store = open_store_for_window()
window = MainWindow(training_mode="thread", store=store)
print(json.dumps({"read_only": store.read_only, "title": window.windowTitle(),
                  "banner": window.read_only_banner.text(),
                  "jobs": sorted(window.watcher.jobs), "new": window.commands.new.isEnabled()}))
window.shutdown()
"""


def _as_a_reader() -> None:
    if os.geteuid() == 0:  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (1, 2, 3):
            if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "cannot drop capability")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux permissions")
def test_a_read_only_data_folder_opens_the_window_read_only(tmp_path, polyphony_home):
    store = JobStore(polyphony_home / "polyphony.db")
    ids = [store.create(name, preset("smoke"), ["genre=chorale"]) for name in ("a", "b")]
    store.close()
    conn = sqlite3.connect(store.path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = store.path.read_bytes()
    folders = [polyphony_home, *(p for p in polyphony_home.rglob("*") if p.is_dir())]
    files = [p for p in polyphony_home.rglob("*") if p.is_file()]
    for p in files:
        p.chmod(0o444)
    for p in folders:
        p.chmod(0o555)
    try:
        out = subprocess.run([sys.executable, "-c", _READ_ONLY_WINDOW, str(tmp_path / "qt")],
                             cwd=Path(__file__).resolve().parent.parent, capture_output=True,
                             text=True, timeout=120, check=False, preexec_fn=_as_a_reader,
                             env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    finally:
        for p in folders:
            p.chmod(0o755)
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout.strip().splitlines()[-1])
    assert shown["read_only"] and shown["title"] == "Polyphony (read-only)"
    assert str(polyphony_home) in shown["banner"] and "cannot be written" in shown["banner"]
    assert shown["jobs"] == ids and shown["new"] is False
    assert store.path.read_bytes() == before


def test_a_recovery_that_fails_says_why_and_can_be_tried_again(qtbot, ui_env,  # noqa: F811
                                                                polyphony_home):
    database = polyphony_home / "polyphony.db"
    database.mkdir()  # not a file SQLite can open: recovery must fail, and say so
    dialog = RecoveryDialog(database, "file is not a database", polyphony_home / "jobs")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.recover()
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=30_000)
    assert dialog.report is None and str(database) in dialog.error
    assert "Recovery failed" in dialog.result_label.text()
    assert "Nothing was deleted" in dialog.result_label.text()
    assert dialog.recover_button.text() == "Try again" and dialog.recover_button.isEnabled()
    assert not dialog.open_button.isVisible() and database.is_dir()
    qtbot.mouseClick(dialog.quit_button, Qt.LeftButton)
    assert dialog.result() == QDialog.Rejected
