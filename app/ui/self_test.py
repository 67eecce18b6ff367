"""``python main.py --self-test [--screenshot FILE]``: prove the installed app works.

Opens the real window, fills in the real New Job dialog with the ``smoke``
preset, presses Start, waits for the job to complete through the same
training host the user gets, checks that the charts received points,
renders one generated piece to audio when audio is available, saves the
screenshot and exits 0 (or 1 with the reason). It works in a temporary data
folder so the user's jobs and settings are untouched, removed when it passes.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

TIMEOUT_S = float(os.environ.get("POLYPHONY_SELF_TEST_TIMEOUT", "600"))


def render_audio(midi_path: str) -> str:
    """Render a MIDI file offline; returns a line for the report."""
    try:
        import numpy as np
        import pretty_midi

        audio = pretty_midi.PrettyMIDI(midi_path).fluidsynth(fs=22050)
    except (ImportError, OSError, AttributeError, ValueError) as exc:
        return f"audio: not available here ({type(exc).__name__}: {exc}); skipped"
    if audio.size == 0:
        return "audio: the piece rendered to nothing (empty MIDI?)"
    peak = float(np.abs(audio).max())
    return f"audio: rendered {audio.size / 22050:.1f} s of {Path(midi_path).name}, peak {peak:.2f}"


def run_self_test(app, screenshot: str | None) -> int:
    from PySide6.QtCore import QTimer

    workdir = Path(tempfile.mkdtemp(prefix="polyphony-self-test-"))
    os.environ["POLYPHONY_HOME"] = str(workdir / "home")
    from app.ui import ui_settings

    ui_settings.isolate_settings(workdir / "settings")
    from app.ui.main_window import CLOSE_STOP, MainWindow
    from app.ui.training_host import DEFAULT_MODE

    window = MainWindow(training_mode=os.environ.get("POLYPHONY_TRAINING") or DEFAULT_MODE)
    window.close_policy = CLOSE_STOP
    window.resize(1440, 860)
    window.show()
    test = SelfTest(app, window, screenshot)
    QTimer.singleShot(300, test.guarded(test.start_job))
    watchdog = QTimer()
    watchdog.setSingleShot(True)
    watchdog.timeout.connect(lambda: test.fail(f"no result after {TIMEOUT_S + 60:.0f} s"))
    watchdog.start(int((TIMEOUT_S + 60) * 1000))
    app.exec()
    watchdog.stop()
    if test.code == 0:
        # Its job, database and samples were only the proof: nothing of a
        # passing self-test stays behind (a failing one keeps them to look at).
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        test.say(f"the self-test's data folder is kept for inspection: {workdir}")
    for line in test.lines:
        print(line)
    print("self-test " + ("passed" if test.code == 0 else "FAILED"), file=sys.stdout)
    return test.code


class SelfTest:
    """The steps, each run from the event loop: fill in the New Job dialog
    and start, watch the job, check what it left, finish."""

    def __init__(self, app, window, screenshot: str | None) -> None:
        self.app, self.window, self.screenshot = app, window, screenshot
        self.t0 = time.monotonic()
        self.job_id = 0
        self.code = 1
        self.lines: list[str] = []
        self.done = False

    def say(self, line: str) -> None:
        self.lines.append(line)

    def fail(self, reason: str) -> None:
        self.say(f"FAILED: {reason}")
        self.finish(1)

    def finish(self, code: int) -> None:
        if self.done:
            return
        self.done = True
        self.code = code
        window = self.window
        if self.screenshot:
            window.refresh()
            window.detail.charts.refresh_now()
            self.app.processEvents()
            if window.grab().save(self.screenshot):
                self.say(f"screenshot: {self.screenshot}")
            else:
                self.say(f"FAILED: could not write the screenshot {self.screenshot}")
                self.code = 1
        window.close()
        self.app.quit()

    def guarded(self, step):
        """``step`` as a slot: an exception inside a Qt slot would be printed
        and forgotten, and the self-test would wait forever; it fails instead."""
        def run() -> None:
            if self.done:
                return
            try:
                step()
            except Exception as exc:
                import traceback

                traceback.print_exc()
                self.fail(f"{type(exc).__name__}: {exc}")
        return run

    def later(self, step, ms: int = 200) -> None:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(ms, self.guarded(step))

    def start_job(self) -> None:
        window = self.window
        window.new_job()
        dialog = window.new_job_dialog()
        dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData("smoke"))
        # The smallest genre keeps the smoke run short; all music if none is listed.
        dialog.tag_picker.tick("genre=chorale")
        self.app.processEvents()
        if not dialog.start_button.isEnabled():
            return self.fail("the New Job dialog refused the smoke preset: " + "; ".join(dialog.problems()))
        dialog.start_button.click()
        self.app.processEvents()
        job = window.selected_job()
        if job is None:
            return self.fail("no job was created from the dialog")
        self.job_id = job.id
        self.say(f"job #{job.id} created from the New Job dialog ({job.name})")
        self.later(self.watch)

    def watch(self) -> None:
        job = self.window.store.get(self.job_id)
        if job.status in ("completed", "failed", "cancelled", "interrupted"):
            return self.check(job)
        if time.monotonic() - self.t0 > TIMEOUT_S:
            return self.fail(f"the smoke job did not finish in {TIMEOUT_S:.0f} s (status {job.status})")
        self.later(self.watch)

    def check(self, job) -> None:
        window = self.window
        window.refresh()
        if job.status != "completed":
            return self.fail(f"the smoke job ended {job.status}: {job.error}")
        self.say(f"job completed in {time.monotonic() - self.t0:.1f} s: {job.epoch} epochs, "
                 f"similarity {job.similarity}")
        series = window.series(job.id)
        if series is None or series.n_steps == 0 or not series.epoch_rows:
            return self.fail("the charts received no points")
        self.say(f"charts: {series.n_steps} step points, {len(series.epoch_rows)} epoch points")
        samples = window.store.samples(job.id)
        if not samples:
            return self.fail("the job wrote no samples")
        self.say(render_audio(samples[0].path))
        self.finish(0)
