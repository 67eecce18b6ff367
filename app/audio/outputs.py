"""Where the player's audio goes: a FluidSynth audio driver, or a clock.

Both pull audio from the player through ``pull(left, right)`` (two float32
arrays to fill, of the block's length) on their own thread, so the player's
position comes from what the output has actually taken.

:class:`DriverOutput` uses FluidSynth's ``new_fluid_audio_driver2`` with a
callback: the same library that renders also plays (PulseAudio/PipeWire/ALSA
on Linux, CoreAudio on macOS, WASAPI/DirectSound on Windows), with no Qt.
JACK is not tried by default: with no sound server it blocks for seconds.
:class:`ClockOutput` is for machines with no output device: it consumes audio
in real time and plays nothing, so the playhead still moves honestly.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Callable

import numpy as np

from app.audio.fluid import AUDIO_FUNC, load_fluidsynth

DRIVERS_ENV = "POLYPHONY_AUDIO_DRIVERS"  # comma list, or "none" for no output

Pull = Callable[[np.ndarray, np.ndarray], None]


class OutputUnavailable(RuntimeError):
    """No audio output could be opened; the message lists what was tried and how to fix it."""


def default_drivers() -> list[str]:
    override = os.environ.get(DRIVERS_ENV)
    if override is not None:
        names = [n.strip() for n in override.split(",") if n.strip()]
        return [] if names == ["none"] else names
    if sys.platform.startswith("linux"):
        return ["pulseaudio", "pipewire", "alsa"]
    if sys.platform == "darwin":
        return ["coreaudio"]
    if sys.platform == "win32":
        return ["wasapi", "dsound", "waveout"]
    return ["pulseaudio", "alsa", "oss"]


def how_to_get_output() -> str:
    if sys.platform.startswith("linux"):
        return ("connect a sound card or headphones and make sure PulseAudio/PipeWire runs "
                "(`pactl info`); on a headless machine `pulseaudio -D` and "
                "`pactl load-module module-null-sink` give a virtual output")
    return "connect an audio output device and check the system's sound settings"


class DriverOutput:
    def __init__(self, pull: Pull, sample_rate: int, drivers: list[str] | None = None,
                 period_size: int = 512, periods: int = 4):
        self._pull = pull
        self.sample_rate = int(sample_rate)
        self.drivers = default_drivers() if drivers is None else list(drivers)
        self.period_size = period_size
        self.periods = periods
        self.name: str | None = None
        self._driver = None
        self._settings = None
        self._callback = AUDIO_FUNC(self._on_audio)  # kept alive as long as the driver

    @property
    def latency_seconds(self) -> float:
        return self.period_size * self.periods / self.sample_rate

    def start(self) -> str:
        """Open the first driver that works; return its name or raise OutputUnavailable."""
        if self._driver:
            return self.name
        fs = load_fluidsynth()
        tried = []
        for name in self.drivers:
            settings = fs.new_fluid_settings()
            fs.fluid_settings_setstr(settings, b"audio.driver", name.encode())
            fs.fluid_settings_setnum(settings, b"synth.sample-rate", float(self.sample_rate))
            fs.fluid_settings_setint(settings, b"audio.period-size", self.period_size)
            fs.fluid_settings_setint(settings, b"audio.periods", self.periods)
            # With PulseAudio's adjust-latency mode the stream sometimes stalled for
            # 0.4-1.5 s after its first block (measured on a null sink); the fixed
            # buffer of period-size x periods never did.
            fs.fluid_settings_setint(settings, b"audio.pulseaudio.adjust-latency", 0)
            driver = fs.polyphony_new_driver2(settings, self._callback, None)
            if driver:
                self._driver, self._settings, self.name = driver, settings, name
                return name
            fs.delete_fluid_settings(settings)
            tried.append(name)
        what = ", ".join(tried) if tried else "none (audio output switched off by " + DRIVERS_ENV + ")"
        raise OutputUnavailable(f"no audio output device could be opened (tried: {what}). "
                                f"To fix: {how_to_get_output()}.")

    def _on_audio(self, _data, length, _nfx, _fx, nout, out):
        try:
            left = np.ctypeslib.as_array(out[0], shape=(length,))
            right = np.ctypeslib.as_array(out[1], shape=(length,)) if nout > 1 else np.empty(length, np.float32)
            self._pull(left, right)
        except Exception:  # an exception must not cross into C; play silence instead
            import traceback

            traceback.print_exc()
        return 0

    def close(self) -> None:
        if self._driver:
            fs = load_fluidsynth()
            fs.polyphony_delete_driver(self._driver)  # joins the driver's thread
            fs.delete_fluid_settings(self._settings)
            self._driver = self._settings = None


class ClockOutput:
    """No device: take audio at real-time pace on a thread, play nothing."""

    name = None

    def __init__(self, pull: Pull, sample_rate: int, period_size: int = 512):
        self._pull = pull
        self.sample_rate = int(sample_rate)
        self.period_size = period_size
        self.latency_seconds = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="polyphony-clock-output", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        left = np.zeros(self.period_size, np.float32)
        right = np.zeros(self.period_size, np.float32)
        period = self.period_size / self.sample_rate
        t0 = time.monotonic()
        taken = 0
        while not self._stop.is_set():
            due = int((time.monotonic() - t0) * self.sample_rate)
            while taken + self.period_size <= due:
                self._pull(left, right)
                taken += self.period_size
            self._stop.wait(period / 2)

    def close(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=2.0)
            self._thread = None
