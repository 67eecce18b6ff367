"""A Qt-free MIDI player that reports where it is.

In the manner of Frescobaldi's MIDI player, minus Qt: load a MIDI file, then
play / pause / stop / seek, loop a span, set volume, tempo, mute and solo
per track, change a track's instrument, and ask ``position()`` at any time
(cheap: it never waits on rendering or the device).

How it gets to sound fast: ``load()`` opens the output (a FluidSynth audio
driver, or a clock when there is no device) and keeps it running on silence,
and starts rendering every track into its own stereo stem (app.audio.synth,
app.audio.render_job). The output pulls mixed audio on its own thread; while
playing, that thread renders each block just before it plays it, so play()
sounds within one block. Mute/solo/volume only change the mix; a tempo,
instrument or soundfont change re-renders and playback carries on from the
same place in the music (silent until the new render reaches it).

Positions are in score seconds: seconds of the MIDI file at its own tempo,
whatever the tempo factor, so a piano roll maps them to steps with the
file's tick map and A/B switching keeps the place in the music.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

from app.audio.output_choice import OutputChoice
from app.audio.render import resolve_soundfont
from app.audio.render_job import RenderJob
from app.audio.score import Score, load_score
from app.audio.soundfonts import check_soundfont_file
from app.audio.synth import DEFAULT_SAMPLE_RATE

STOPPED, PLAYING, PAUSED = "stopped", "playing", "paused"


class Player:
    def __init__(self, soundfont=None, sample_rate: int = DEFAULT_SAMPLE_RATE,
                 drivers: list[str] | None = None, use_device: bool = True,
                 on_event: Callable[[str], None] | None = None,
                 output_factory: Callable[[Callable, int], object] | None = None):
        """``on_event(name)`` is called from any thread with "state", "finished",
        "error" or "output"; a Qt adapter turns it into signals.

        ``output_factory(pull, sample_rate)`` supplies another output (an object
        with ``start() -> name | None``, ``close()``, ``latency_seconds``); by
        default a FluidSynth driver, falling back to a clock with no device.
        """
        self.sample_rate = int(sample_rate)
        self._soundfont = Path(soundfont) if soundfont else None
        self._on_event = on_event or (lambda name: None)
        self._lock = threading.RLock()
        self.score: Score | None = None
        self._job: RenderJob | None = None
        self._old_jobs: list[RenderJob] = []
        self.state = STOPPED
        self._frame = 0  # next frame to hand to the output, in the job's timeline
        self._pull_frame = 0  # frame reached by the last pull ...
        self._pull_time = 0.0  # ... and when it happened
        self.volume = 1.0
        self.tempo = 1.0
        self.muted: set[int] = set()
        self.soloed: set[int] = set()
        self.programs: dict[int, int] = {}
        self.loop_enabled = False
        self.loop_span: tuple[float, float] | None = None  # score seconds
        self._outputs = OutputChoice(self._pull, self.sample_rate, drivers, use_device, output_factory,
                                     lambda: self._on_event("output"))
        self._rush = False  # wait_rendered(): render ahead even while playing
        self.error: str | None = None
        self.first_sound_time: float | None = None  # monotonic time of the first non-silent block

    @property
    def output_name(self) -> str | None:
        """The device heard (e.g. "pulseaudio"); None: no device, a clock keeps time."""
        return self._outputs.name

    @property
    def output_error(self) -> str | None:
        """Why there is no device (None when there is one, or none was tried)."""
        return self._outputs.error

    def _ensure_output(self, retry_device: bool = False) -> None:
        if self._outputs.ensure(retry_device):
            with self._lock:  # a new output: time is measured from its first pull
                self._pull_frame, self._pull_time = self._frame, time.monotonic()

    # ---- loading -------------------------------------------------------------------------
    @property
    def soundfont(self) -> Path:
        return self._soundfont or resolve_soundfont(None)

    def set_soundfont(self, path) -> None:
        check_soundfont_file(path)
        self._soundfont = Path(path)
        self._rerender()

    def load(self, source, programs: dict[int, int] | None = None) -> Score:
        """Start rendering ``source`` (a MIDI file's path, or its ``Score``
        when the caller has read it already: the file is then not parsed a
        second time); playback state goes to stopped at 0."""
        score = source if isinstance(source, Score) else load_score(source)
        soundfont = check_soundfont_file(self.soundfont)
        with self._lock:
            self.score = score
            self.programs = dict(programs or {})
            self.muted, self.soloed = set(), set()
            self.loop_span = None
            self.state = STOPPED
            self._frame = self._pull_frame = 0
            self._replace_job(RenderJob(score, soundfont, self.sample_rate, self.tempo,
                                         dict(self.programs), self._render_error, self._wants_background))
        # The output opens now and stays open (pulling silence) until close():
        # a stream that is already running starts sounding within one block of
        # play(), where opening one at the click cost from 20 ms to, on a
        # PulseAudio null sink, over a second.
        self._ensure_output()
        self._on_event("state")
        return score

    def _wants_background(self, job: RenderJob) -> bool:
        """Render ahead unless this job is playing with its audio keeping up."""
        if job is not self._job or self.state != PLAYING or self._rush:
            return True
        return job.rendered < self._frame

    def _render_error(self, message: str) -> None:
        self.error = message
        self._on_event("error")

    def _replace_job(self, job: RenderJob) -> None:
        # the old render stops on its own at its next chunk; never wait for it here
        if self._job is not None:
            self._job.cancel()
            self._old_jobs.append(self._job)
        self._old_jobs = [j for j in self._old_jobs if j.thread.is_alive()]
        self._job = job

    def _rerender(self, here: float | None = None) -> None:
        """Render again (new tempo, instrument or soundfont), keeping the place in the music."""
        with self._lock:
            if self.score is None:
                return
            here = self._heard_seconds() if here is None else here
            self._replace_job(RenderJob(self.score, check_soundfont_file(self.soundfont), self.sample_rate,
                                         self.tempo, dict(self.programs), self._render_error, self._wants_background))
            self._seek_locked(here)

    def wait_rendered(self, timeout: float = 10.0) -> bool:
        """Block until the whole piece is rendered (tests and benchmarks; not for the GUI)."""
        job = self._job
        if job is None:
            return False
        self._rush = True
        job.wake()
        try:
            job.thread.join(timeout)
        finally:
            self._rush = False
        return not job.thread.is_alive() and job.error is None

    # ---- transport -----------------------------------------------------------------------
    def play(self) -> None:
        with self._lock:
            if self.score is None or self.state == PLAYING:
                return
        # Play after a failed device tries it again (a sound server started
        # after the app is found at the next Play, no restart needed). Done
        # before PLAYING, so an old clock and the new device, both pulling
        # for a moment, pull only silence.
        self._ensure_output(retry_device=True)
        with self._lock:
            self.first_sound_time = None
            self.state = PLAYING
            self._pull_frame = self._frame
            self._pull_time = time.monotonic()
        self._on_event("state")

    def pause(self) -> None:
        with self._lock:
            if self.state != PLAYING:
                return
            # resume from what was heard, not from what sits in the device's buffer
            self._frame = self._frames(self._heard_seconds())
            self._pull_frame = self._frame
            self.state = PAUSED
            if self._job is not None:
                self._job.wake()
        self._on_event("state")

    def toggle(self) -> None:
        if self.state == PLAYING:
            self.pause()
        else:
            self.play()

    def stop(self) -> None:
        with self._lock:
            self.state = STOPPED
            self._frame = self._pull_frame = 0
            if self._job is not None:
                self._job.wake()
        self._on_event("state")

    def seek(self, seconds: float) -> None:
        with self._lock:
            self._seek_locked(seconds)

    def _seek_locked(self, seconds: float) -> None:
        job = self._job
        limit = job.frames if job is not None else 0
        self._frame = int(min(max(0, self._frames(seconds)), max(0, limit - 1)))
        self._pull_frame = self._frame
        self._pull_time = time.monotonic()

    # ---- mix -----------------------------------------------------------------------------
    def set_volume(self, volume: float) -> None:
        self.volume = float(min(max(volume, 0.0), 2.0))

    def set_mute(self, track: int, muted: bool) -> None:
        with self._lock:
            (self.muted.add if muted else self.muted.discard)(track)

    def set_solo(self, track: int, soloed: bool) -> None:
        with self._lock:
            (self.soloed.add if soloed else self.soloed.discard)(track)

    def audible_tracks(self) -> list[int]:
        n = len(self.score.tracks) if self.score else 0
        if self.soloed:
            return [i for i in range(n) if i in self.soloed]
        return [i for i in range(n) if i not in self.muted]

    def set_tempo(self, factor: float) -> None:
        """Play faster (>1) or slower (<1) at the same pitch: re-renders at the scaled tempo."""
        if not 0.25 <= factor <= 4.0:
            raise ValueError(f"tempo factor must be between 0.25 and 4, got {factor}")
        with self._lock:
            if abs(factor - self.tempo) < 1e-9:
                return
            here = self._heard_seconds()
            self.tempo = float(factor)
            self._rerender(here)

    def set_program(self, track: int, program: int) -> None:
        if not 0 <= program <= 127:
            raise ValueError(f"General MIDI program must be 0..127, got {program}")
        with self._lock:
            self.programs[track] = int(program)
            self._rerender()

    def set_loop(self, start: float | None, end: float | None, enabled: bool = True) -> None:
        with self._lock:
            if start is None or end is None:
                self.loop_span, self.loop_enabled = None, False
                return
            if end <= start:
                raise ValueError(f"loop end ({end:.2f} s) must come after its start ({start:.2f} s)")
            self.loop_span = (float(start), float(end))
            self.loop_enabled = enabled

    # ---- position ------------------------------------------------------------------------
    def duration(self) -> float:
        return self.score.end_seconds if self.score else 0.0

    def _frames(self, seconds: float) -> int:
        return int(round(seconds / self.tempo * self.sample_rate))

    def _seconds(self, frames: float) -> float:
        return frames / self.sample_rate * self.tempo

    def _heard_seconds(self) -> float:
        if self.state != PLAYING:
            return self._seconds(self._frame)
        latency = self._outputs.latency_seconds
        elapsed = min(time.monotonic() - self._pull_time, 0.25)
        frame = self._pull_frame + (elapsed - latency) * self.sample_rate
        frame = min(frame, self._pull_frame)
        if self.loop_enabled and self.loop_span and frame < self._frames(self.loop_span[0]):
            start, end = (self._frames(s) for s in self.loop_span)
            frame += end - start
        return max(0.0, self._seconds(frame))

    def position(self) -> float:
        """Score seconds being heard now (playhead), cheap and never blocking on audio."""
        with self._lock:
            return min(self._heard_seconds(), self.duration())

    def position_steps(self) -> float:
        score = self.score
        return score.seconds_to_steps(self.position()) if score else 0.0

    def seek_steps(self, steps: float) -> None:
        if self.score is not None:
            self.seek(self.score.steps_to_seconds(steps))

    @property
    def rendered_fraction(self) -> float:
        job = self._job
        return job.rendered / job.frames if job and job.frames else 0.0

    # ---- the output thread's side ----------------------------------------------------------
    def _pull(self, left: np.ndarray, right: np.ndarray) -> None:
        """Fill one block for the output (called on the output's thread)."""
        left[:] = 0.0
        right[:] = 0.0
        finished = False
        job = self._job
        if job is not None and self.state == PLAYING:
            # rendered outside the player's lock, so position() never waits for it
            job.render_now(min(self._frame + len(left), job.frames))
        with self._lock:
            job = self._job
            renderer = job.renderer if job is not None else None
            if self.state != PLAYING or renderer is None:
                self._pull_time = time.monotonic()
                return
            want = len(left)
            filled = 0
            loop = None
            if self.loop_enabled and self.loop_span:
                loop = tuple(min(self._frames(s), job.frames) for s in self.loop_span)
            stems = self.audible_tracks()
            gain = self.volume
            while filled < want:
                if loop and loop[1] > loop[0] and self._frame == loop[1]:
                    self._frame = loop[0]  # wrap; a playhead placed after the loop plays on
                end = loop[1] if loop and self._frame < loop[1] else job.frames
                available = min(end, renderer.rendered) - self._frame
                if available <= 0:
                    if self._frame >= job.frames:
                        finished = True
                    break  # not rendered yet: play silence, the position waits
                n = min(want - filled, available)
                a, b = self._frame, self._frame + n
                if stems:
                    block = renderer.buffer[stems, :, a:b].sum(axis=0)
                    left[filled:filled + n] = block[0] * gain
                    right[filled:filled + n] = block[1] * gain
                filled += n
                self._frame = b
            self._pull_frame = self._frame
            self._pull_time = time.monotonic()
            if filled and self.first_sound_time is None and np.any(left[:filled]):
                self.first_sound_time = self._pull_time
            if finished:
                self.state = STOPPED
                self._frame = self._pull_frame = 0
        if finished:
            self._on_event("finished")
            self._on_event("state")

    # ---- teardown ------------------------------------------------------------------------
    def close(self) -> None:
        """Stop sound and every thread this player started (waits briefly for them)."""
        with self._lock:
            self.state = STOPPED
        self._outputs.close()
        jobs = self._old_jobs + ([self._job] if self._job else [])
        for job in jobs:
            job.cancel()
        for job in jobs:
            job.thread.join(timeout=2.0)
        self._old_jobs = []
