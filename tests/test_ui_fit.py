"""The window on a laptop screen: every tab usable at 1280x720, and the
window never resizes itself (opening Compose and composing made it taller)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize

from tests.compose_helpers import unet_job  # noqa: F401 (fixture)
from tests.ui_fixtures import ui_env  # noqa: F401

from app.ui.main_window import CLOSE_STOP, MainWindow

LAPTOP = QSize(1280, 720)


def fits(window) -> bool:
    hint = window.minimumSizeHint()
    return hint.width() <= LAPTOP.width() and hint.height() <= LAPTOP.height()


@pytest.mark.slow
def test_every_tab_fits_a_laptop_and_composing_never_resizes_the_window(
        unet_job, qtbot, ui_env, monkeypatch, tmp_path):  # noqa: F811
    home, job_id = unet_job
    monkeypatch.setenv("POLYPHONY_HOME", str(tmp_path / "home"))  # takes go here
    monkeypatch.setenv("POLYPHONY_AUDIO_DRIVERS", "none")
    window = MainWindow(db_path=home / "polyphony.db")
    window.close_policy = CLOSE_STOP
    qtbot.addWidget(window)
    window.resize(LAPTOP)
    window.show()
    qtbot.waitExposed(window)
    window.select_job(job_id)
    assert window.detail.listen.sources(), "the job's samples are listed"
    detail = window.detail
    for index in range(detail.count()):
        detail.setCurrentIndex(index)
        qtbot.wait(50)
        assert window.size() == LAPTOP, detail.tabText(index)
        assert fits(window), (detail.tabText(index), window.minimumSizeHint())
    panel = detail.show_compose()
    panel.takes_spin.setValue(3)
    with qtbot.waitSignal(panel.composed, timeout=120_000):
        assert panel.compose()
    qtbot.wait(100)
    assert len(panel.takes()) == 3 and panel.listen.current_item() is not None
    assert window.size() == LAPTOP
    # what composing said (a line or two) hides no control: Compose stays in sight
    button = panel.compose_button
    assert button.visibleRegion().boundingRect() == button.rect(), panel.message_label.text()
    assert fits(window), window.minimumSizeHint()
    # every tab also fits the other way round: still shrinkable to a laptop after all that
    for index in range(detail.count()):
        detail.setCurrentIndex(index)
        qtbot.wait(20)
        assert window.size() == LAPTOP and fits(window), detail.tabText(index)
    # the New Job dialog fits the screen it opens on (the form scrolls)
    dialog = window.make_new_job_dialog()
    room = window.screen().availableGeometry()
    assert dialog.width() <= room.width() and dialog.height() <= room.height()
    hint = dialog.minimumSizeHint()
    assert hint.width() <= LAPTOP.width() and hint.height() <= LAPTOP.height() - 60
    dialog.reject()
    window.close()
