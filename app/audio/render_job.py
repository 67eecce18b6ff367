"""One render of a score for the player: background thread plus render-on-demand."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from app.audio.score import Score
from app.audio.synth import StemRenderer

RENDER_CHUNK_SECONDS = 0.1
RENDER_YIELD_SECONDS = 0.001  # a pause between background chunks lets other threads in
INLINE_RENDER_SECONDS = 0.25


class RenderJob:
    """One render of a score at one tempo with one set of instruments.

    A background thread renders ahead while the player is paused or stopped,
    or when the playhead is ahead of the rendered audio (after a seek or a
    tempo change). While playing normally, the output's own thread renders
    each block just before it plays it (``render_now``): then no other Python
    thread competes for the GIL with the audio callback. (Measured: a
    background render running during playback held the callback off for up
    to 1.5 s, even with pauses between chunks.)
    """

    def __init__(self, score: Score, soundfont: Path, sample_rate: int, tempo: float,
                 programs: dict[int, int], on_error: Callable[[str], None],
                 wants_background: Callable[["RenderJob"], bool]):
        self.score = score
        self.tempo = tempo
        self.sample_rate = sample_rate
        self.frames = int(round(score.end_seconds / tempo * sample_rate))
        self.renderer: StemRenderer | None = None
        self.render_lock = threading.Lock()  # one thread renders at a time
        self._cancel = threading.Event()
        self._wake = threading.Event()
        self._args = (score, soundfont, sample_rate, tempo, programs)
        self._on_error = on_error
        self._wants_background = wants_background
        self.error: str | None = None
        self.thread = threading.Thread(target=self._run, name="polyphony-render", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        score, soundfont, rate, tempo, programs = self._args
        try:
            renderer = StemRenderer(score, soundfont, sample_rate=rate, tempo=tempo, programs=programs)
        except Exception as exc:
            self.error = str(exc)
            self._on_error(self.error)
            return
        self.frames = renderer.frames
        self.renderer = renderer
        chunk = int(RENDER_CHUNK_SECONDS * rate)
        try:
            while not self._cancel.is_set() and not renderer.done:
                if not self._wants_background(self):
                    self._wake.wait(0.02)
                    self._wake.clear()
                    continue
                with self.render_lock:
                    renderer.render_until(renderer.rendered + chunk)
                time.sleep(RENDER_YIELD_SECONDS)
        except Exception as exc:
            self.error = f"rendering failed: {exc}"
            self._on_error(self.error)
        finally:
            with self.render_lock:
                renderer.close()  # the synth is no longer needed; the buffer stays

    def render_now(self, frame: int) -> None:
        """From the output's thread: render up to ``frame`` if that is a short job."""
        renderer = self.renderer
        if renderer is None or renderer.rendered >= frame:
            return
        if frame - renderer.rendered > INLINE_RENDER_SECONDS * self.sample_rate:
            return  # far ahead (a seek): the background thread catches up meanwhile
        if not self.render_lock.acquire(timeout=0.02):
            return
        try:
            if renderer.synth is not None:
                renderer.render_until(frame)
        finally:
            self.render_lock.release()

    @property
    def rendered(self) -> int:
        r = self.renderer
        return r.rendered if r is not None else 0

    def wake(self) -> None:
        self._wake.set()

    def cancel(self) -> None:
        self._cancel.set()
        self._wake.set()
