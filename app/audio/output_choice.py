"""Which output a player sounds through, and trying the device again.

``OutputChoice`` opens, in order of preference, an output the caller
supplies (tests), the sound device (a FluidSynth audio driver), or a clock
that plays nothing but keeps time. A player left on its clock because the
device failed asks again when Play is pressed (``ensure(retry_device=True)``,
at most once per ``RETRY_DEVICE_SECONDS``): a sound server started after the
app, or headphones plugged in, are then heard without a restart. A device
found that way replaces the clock and is remembered in the audio status.
"""

from __future__ import annotations

import time
from typing import Callable

from app.audio.availability import remember_output
from app.audio.outputs import ClockOutput, DriverOutput, OutputUnavailable

RETRY_DEVICE_SECONDS = 1.0  # Play pressed again sooner does not knock on the device again


class OutputChoice:
    def __init__(self, pull: Callable, sample_rate: int, drivers: list[str] | None, use_device: bool,
                 factory: Callable | None, on_change: Callable[[], None]):
        """``on_change()`` is called when the device is found or fails (anew)."""
        self._pull, self.sample_rate = pull, int(sample_rate)
        self._drivers, self._use_device, self._factory = drivers, use_device, factory
        self._on_change = on_change
        self.output = None
        self.name: str | None = None  # e.g. "pulseaudio"; None = no device (clock only)
        self.error: str | None = None
        self._tried = 0.0  # monotonic time of the last failed attempt at the device

    @property
    def latency_seconds(self) -> float:
        return self.output.latency_seconds if self.output is not None else 0.0

    def ensure(self, retry_device: bool = False) -> bool:
        """Open an output if there is none (or, with ``retry_device``, try
        the device again after a failure); True when the output changed."""
        if self.output is not None and not (retry_device and self._may_retry()):
            return False
        if self._factory is not None:
            self.output = self._factory(self._pull, self.sample_rate)
            self.name = self.output.start()
            return True
        if self._use_device and self._open_device():
            return True
        if self.output is None:
            self.output = ClockOutput(self._pull, self.sample_rate)
            self.output.start()
            self.name = None
            return True
        return False

    def _may_retry(self) -> bool:
        return (self._use_device and self.name is None and self._factory is None
                and time.monotonic() - self._tried >= RETRY_DEVICE_SECONDS)

    def _open_device(self) -> bool:
        output = DriverOutput(self._pull, self.sample_rate, self._drivers)
        try:
            name = output.start()
        except OutputUnavailable as exc:
            self._tried = time.monotonic()
            changed = self.error != str(exc)
            self.error = str(exc)
            if changed:
                self._on_change()
            return False
        # The clock goes first: its thread must not pull beside the device.
        self.close()
        self.output, self.name, self.error = output, name, None
        remember_output(name)
        self._on_change()
        return True

    def close(self) -> None:
        output, self.output = self.output, None
        if output is not None:
            output.close()
