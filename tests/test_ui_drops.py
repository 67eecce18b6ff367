"""Dragging MIDI music onto the window: real files, real drag-and-drop events.

A drop is the event pair a desktop sends (drag enter, then drop) aimed at a
widget deep inside the window; Qt carries it up to the first widget that
takes it, as it does for a real mouse drag.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QInputDialog

from tests.fixtures.midi_factory import melody, write_midi
from tests.ui_fixtures import ui_env  # noqa: F401

from app.ui.main_window import CLOSE_STOP, MainWindow


def drop(widget, paths) -> bool:
    """Drag ``paths`` over ``widget`` and drop them; whether any widget took it."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = widget.rect().center()
    enter = QDragEnterEvent(centre, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(QPointF(centre), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


@pytest.fixture
def window(qtbot, ui_env, monkeypatch):  # noqa: F811
    monkeypatch.setenv("POLYPHONY_AUDIO_DRIVERS", "none")
    win = MainWindow()
    win.close_policy = CLOSE_STOP
    qtbot.addWidget(win)
    win.resize(1280, 720)
    win.show()
    yield win
    win.close()


@pytest.fixture
def songs(tmp_path):
    folder = tmp_path / "My Hymns"
    for i in range(2):
        write_midi(folder / f"hymn{i}.mid", [melody(8, 64 + i), melody(8, 52 + i)])
    (folder / "notes.txt").write_text("not music")
    single = write_midi(tmp_path / "loose" / "tune.mid", [melody(8, 67), melody(8, 55)])
    return folder, single


def genre_segments(window, genre: str) -> int:
    dialog = window.make_new_job_dialog()
    count = dialog.tag_picker.tag_counts().get(f"genre={genre}", 0)
    dialog.reject()
    return count


def test_a_folder_dropped_on_the_job_list_is_imported_under_the_named_genre(window, songs, qtbot,
                                                                           monkeypatch):
    folder, _single = songs
    asked = []

    def name_it(parent, title, label, text=""):
        asked.append(text)
        return "my_hymns", True

    monkeypatch.setattr(QInputDialog, "getText", name_it)
    assert drop(window.job_list.viewport(), [folder])  # the list itself takes no drops: the window does
    assert asked == ["My_Hymns"]  # the folder's name is offered
    qtbot.waitUntil(lambda: window.importer.last_report != "", timeout=60_000)
    assert "Imported 2 file(s)" in window.importer.last_report
    assert "notes.txt" in window.importer.last_report  # skipped, with the reason
    assert "genre my_hymns" in window.statusBar().currentMessage()
    window.importer.report_dialog.accept()
    assert genre_segments(window, "my_hymns") > 0


def test_a_dropped_file_is_imported_and_a_cancelled_name_imports_nothing(window, songs, qtbot, monkeypatch):
    _folder, single = songs
    answers = iter([("", False), ("loose_tunes", True)])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
    assert drop(window.detail.charts, [single])
    assert window.importer.worker is None  # cancelled: nothing started
    assert drop(window.detail.charts, [single])
    qtbot.waitUntil(lambda: window.importer.last_report != "", timeout=60_000)
    assert "Imported 1 file(s)" in window.importer.last_report
    window.importer.report_dialog.accept()
    assert genre_segments(window, "loose_tunes") > 0


def test_anything_else_is_refused(window, tmp_path):
    text = tmp_path / "readme.txt"
    text.write_text("hello")
    assert not drop(window.job_list.viewport(), [text])


def test_a_midi_file_dropped_on_compose_becomes_the_melody(window, songs, monkeypatch):
    folder, single = songs
    compose = window.detail.show_compose()
    picker = compose.melody_picker
    picker.path_edit.setText("/some/old/melody.mid")
    picker.path_edit.setCursorPosition(6)  # a text drop would land here
    assert drop(picker.path_edit, [single])
    assert picker.path_edit.text() == str(single)  # replaced, no "file:///" inside
    assert picker.file_radio.isChecked() and picker.track_combo.count() > 1
    # anywhere else on the tab too
    other = folder / "hymn1.mid"
    assert drop(compose.take_list.viewport(), [other])
    assert picker.path_edit.text() == str(other)
    assert "hymn1.mid" in compose.message_label.text()
    # a folder dropped on Compose is music to import: the window asks for its genre
    asked = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (asked.append(1), ("", False))[1])
    assert drop(compose.take_list.viewport(), [folder]) and asked == [1]
