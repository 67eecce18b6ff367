"""Exporting the training music: `data export` in a real process, and the
File menu's dialog running it through the Worker."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from tests.ui_fixtures import ui_env  # noqa: F401

from gan.data import locations as paths
from gan.data.midi_io import midi_to_notes


def _main(*args, home):
    env = dict(os.environ, POLYPHONY_HOME=str(home))
    return subprocess.run([sys.executable, str(paths.REPO_ROOT / "main.py"), *args],
                          capture_output=True, text=True, env=env, timeout=120, cwd=paths.REPO_ROOT)


def _single_line_voices(path) -> bool:
    notes, _info = midi_to_notes(path)
    for voice in np.unique(notes[:, 0]):
        v = notes[notes[:, 0] == voice]
        v = v[np.argsort(v[:, 1], kind="stable")]
        if not (v[:-1, 1] + v[:-1, 2] <= v[1:, 1]).all():
            return False
    return len(notes) > 0


def test_data_export_writes_files_with_progress(tmp_path, polyphony_home):
    out = tmp_path / "music"
    done = _main("data", "export", "--genre", "chorale", "--out", str(out), "--limit", "6",
                 home=polyphony_home)
    assert done.returncode == 0, done.stderr
    files = sorted(out.glob("*.mid"))
    assert len(files) == 6 and "wrote 6 MIDI file(s) of chorale" in done.stdout
    assert all(f.name.startswith("bwv") and "_bars_" in f.name for f in files)
    assert all(_single_line_voices(f) for f in files)
    assert "100.0% (6/6)" in done.stderr  # progress lines go to stderr


def test_data_export_refuses_bad_input_in_words(tmp_path, polyphony_home):
    unknown = _main("data", "export", "--genre", "no_such_genre", "--out", str(tmp_path / "x"),
                    home=polyphony_home)
    assert unknown.returncode != 0 and "unknown genre 'no_such_genre'" in unknown.stderr
    zero = _main("data", "export", "--genre", "chorale", "--out", str(tmp_path / "y"), "--limit", "0",
                 home=polyphony_home)
    assert zero.returncode != 0 and "at least 1" in zero.stderr
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()  # nothing half-made


def test_menu_entry_exports_through_the_worker(qtbot, ui_env, tmp_path):  # noqa: F811
    from app.ui.main_window import MainWindow
    from app.ui.music_export import MusicExportDialog, start_folder

    window = MainWindow(training_mode="thread")
    qtbot.addWidget(window)
    window.show()
    file_menu = window.menuBar().actions()[0].menu()
    assert window.commands.export_music in file_menu.actions()
    window.commands.export_music.trigger()
    dialog = window.findChild(MusicExportDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.genre_combo.findText("chorale") >= 0
    dialog.genre_combo.setCurrentText("chorale")
    dialog.limit_spin.setValue(5)
    out = tmp_path / "exported"
    dialog.folder_edit.setText(str(out))
    worker = dialog.start()
    progress = []
    worker.progressed.connect(progress.append)
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=60_000)
    report = dialog.result
    assert len(report.files) == 5 and not report.stopped
    assert sorted(out.glob("*.mid")) == sorted(report.files)
    assert progress and progress[-1][:2] == (5, 5)
    assert "Wrote 5 MIDI file(s) of chorale" in window.statusBar().currentMessage()
    assert start_folder() == str(tmp_path / "Polyphony training music")  # next time: beside it
    window.close()


def test_stop_ends_the_export_between_files(qtbot, ui_env, tmp_path):  # noqa: F811
    from app.ui.music_export import MusicExportDialog

    dialog = MusicExportDialog()
    qtbot.addWidget(dialog)
    dialog.genre_combo.setCurrentText("chorale")
    dialog.limit_spin.setValue(0)  # every segment: far more than are written before Stop
    dialog.folder_edit.setText(str(tmp_path / "all"))
    worker = dialog.start()
    worker.progressed.connect(lambda _v: worker.quit())
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=60_000)
    report = dialog.result
    assert report.stopped and 1 <= len(report.files) < report.total
    assert len(list((tmp_path / "all").glob("*.mid"))) == len(report.files)
