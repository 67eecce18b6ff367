"""Render screenshots of the window's main states into docs/screenshots/.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py

Runs the real window on real jobs in a temporary data folder: the first
launch (welcome page), the New Job dialog (valid, and with an invalid
value), a job training live, a finished job's charts, music metrics,
samples while "Hear it learn" plays (and the charts' cursor following it),
events, Compose with three takes, a job list with several statuses, the
dark theme, and the window at 1280x720. Works under offscreen Qt too.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
# Seconds to wait for the demo training: minutes on a shared, busy 2-core machine.
TRAINING_WAIT = float(os.environ.get("POLYPHONY_SHOTS_WAIT", "1800"))


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="polyphony-shots-"))
    os.environ["POLYPHONY_HOME"] = str(work / "home")
    from PySide6.QtWidgets import QApplication

    import app.ui  # noqa: F401  (PySide workaround before the QApplication)
    from app.ui import ui_settings

    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    ui_settings.isolate_settings(work / "settings")
    from gan.config import PRESETS

    from app.ui.main_window import CLOSE_STOP, MainWindow

    OUT.mkdir(parents=True, exist_ok=True)
    window = MainWindow()
    window.close_policy = CLOSE_STOP
    window.resize(1500, 900)
    window.show()

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            qapp.processEvents()
            time.sleep(0.02)

    def shot(widget, name: str) -> None:
        pump(0.3)
        path = OUT / f"{name}.png"
        if not widget.grab().save(str(path)):
            raise SystemExit(f"could not write {path}")
        print(f"wrote {path.relative_to(ROOT)}")

    def wait_for(predicate, timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > end:
                raise SystemExit(f"timed out waiting for {what}")
            pump(0.2)

    pump(1.0)
    shot(window, "01_first_launch")

    # The New Job dialog, as a user fills it in.
    wait_for(lambda: window.device_list() is not None, 60, "the device check")
    dialog = window.make_new_job_dialog()
    dialog.resize(1100, 760)
    dialog.show()
    dialog.name_edit.setText("chorales, quick")
    dialog.tag_picker.tick("genre=chorale")
    shot(dialog, "02_new_job")
    dialog.form.set_value("batch_size", "0")
    dialog.form.set_value("generator_lr", "fast")
    shot(dialog, "03_new_job_invalid")
    dialog.reject()

    store = window.store
    # The quick preset, cut to 500 steps (about a minute): long enough for
    # the similarity index to climb visibly.
    demo = dataclasses.replace(PRESETS["quick"], epochs=10, steps_per_epoch=50, log_every=1)
    first = store.create("chorales, quick", demo, ["genre=chorale"])
    window.refresh()
    window.job_list.select_job(first)
    window.start_queue()
    wait_for(lambda: store.get(first).epoch >= 3, TRAINING_WAIT, "three epochs of the demo job")
    shot(window, "04_training_live")
    wait_for(lambda: store.get(first).status == "completed", TRAINING_WAIT, "the demo job to finish")
    wait_for(lambda: not window.host.is_running(), 60, "the queue to stop")
    window.refresh()
    shot(window, "05_completed_charts")
    window.detail.charts.tabs.setCurrentIndex(1)
    shot(window, "06_music_metrics")
    scroll = window.detail.charts.metrics.widget.verticalScrollBar()  # down to the voice leading
    scroll.setValue(scroll.maximum())
    shot(window, "06b_voice_leading")
    scroll.setValue(0)
    window.detail.charts.tabs.setCurrentIndex(0)
    window.detail.setCurrentIndex(2)
    listen = window.detail.listen
    listen.tour.start(piece=1)  # Hear it learn: piece 1 of every epoch in turn
    wait_for(lambda: (window.detail.charts.cursor_epoch() or 0) >= 2, 120, "the second epoch's piece")
    shot(window, "07_samples")
    window.detail.setCurrentIndex(0)
    shot(window, "12_hear_it_learn_cursor")  # the charts' cursor at the epoch being heard
    listen.stop()
    window.detail.setCurrentIndex(3)
    shot(window, "08_events")
    compose = window.detail.show_compose()  # accompany a built-in tune with the demo job's model
    compose.takes_spin.setValue(3)
    compose.compose()
    wait_for(lambda: not compose.is_busy(), 300, "the takes")
    shot(window, "13_compose")
    window.detail.setCurrentIndex(0)

    # A second job, cancelled part-way, compared with the first; one queued.
    second = store.create("chorales, wider", dataclasses.replace(demo, width=8, epochs=50),
                          ["genre=chorale"])
    window.refresh()
    window.start_queue()
    wait_for(lambda: store.get(second).epoch >= 2, TRAINING_WAIT, "the second job's epochs")
    store.cancel(second)
    wait_for(lambda: store.get(second).status == "cancelled", 120, "the cancel")
    wait_for(lambda: not window.host.is_running(), 60, "the queue to stop")
    store.create("musegan, all music", dataclasses.replace(PRESETS["quick"], architecture="musegan"), [])
    window.refresh()
    window.job_list.select_job(second)
    pump(0.5)
    window.overlay(first)
    shot(window, "09_compare_and_statuses")
    from app.ui import theme

    theme.apply_theme("dark", remember=False)  # View > Theme > Dark
    window.job_list.select_job(first)
    shot(window, "11_dark_theme")
    theme.apply_theme("system", remember=False)
    window.resize(1280, 720)  # a laptop screen: every tab fits
    window.detail.setCurrentIndex(2)
    shot(window, "14_laptop_1280x720")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
