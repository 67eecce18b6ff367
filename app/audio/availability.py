"""What sound can do on this machine, and what to tell the user when it cannot.

``audio_status()`` answers three questions (library, soundfont, output
device), each with a message that says how to fix it. It is cached; the
device probe opens and closes an output driver once (a few ms; JACK, which
can block for seconds, is never probed unless asked for by name). A player
that finds the output later (it tries again when Play is pressed after a
failure) updates the cache through ``remember_output``.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from pathlib import Path

from app.audio import fluid
from app.audio.soundfonts import SoundfontError, check_soundfont_file, default_soundfont


@dataclass(frozen=True)
class AudioStatus:
    library_ok: bool
    library_version: str | None
    soundfont: Path | None
    output_ok: bool
    output_name: str | None
    problems: dict[str, str] = field(default_factory=dict)  # "library"/"soundfont"/"output" -> message

    @property
    def can_render(self) -> bool:
        """WAV export and the piano roll's sound need the library and a soundfont."""
        return self.library_ok and self.soundfont is not None

    @property
    def can_play(self) -> bool:
        return self.can_render and self.output_ok

    def summary(self) -> str:
        if not self.problems:
            return f"sound: FluidSynth {self.library_version}, {self.soundfont.name}, output {self.output_name}"
        return "\n".join(self.problems.values())


_lock = threading.Lock()
_cached: AudioStatus | None = None


def _probe_output() -> tuple[str | None, str | None]:
    from app.audio.outputs import DriverOutput, OutputUnavailable

    def silence(left, right):
        pass

    output = DriverOutput(silence, 44100)
    try:
        name = output.start()
    except OutputUnavailable as exc:
        return None, str(exc)
    finally:
        output.close()
    return name, None


def audio_status(refresh: bool = False, probe_output: bool = True) -> AudioStatus:
    global _cached
    with _lock:
        if _cached is not None and not refresh:
            return _cached
        problems: dict[str, str] = {}
        version = None
        try:
            version = fluid.library_version()
        except fluid.FluidSynthMissing as exc:
            problems["library"] = (f"No sound: {exc} MIDI export still works.")
        soundfont = None
        default = default_soundfont()
        if default is None:
            problems["soundfont"] = (
                "No General MIDI soundfont found, so nothing can be rendered. To fix: reinstall "
                "pretty_midi (it bundles TimGM6mb.sf2), or choose an .sf2 file in the Listen panel, "
                "or set POLYPHONY_SOUNDFONT. MIDI export still works.")
        else:
            try:
                soundfont = check_soundfont_file(default.path)
            except SoundfontError as exc:
                problems["soundfont"] = f"The soundfont cannot be used: {exc}. MIDI export still works."
        output_name = None
        if "library" not in problems and probe_output:
            output_name, error = _probe_output()
            if error:
                problems["output"] = (f"No audio output: {error} The piano roll, WAV and MIDI export "
                                      "still work.")
        elif "library" in problems:
            problems.setdefault("output", "No audio output without the FluidSynth library.")
        _cached = AudioStatus(
            library_ok="library" not in problems, library_version=version, soundfont=soundfont,
            output_ok=output_name is not None, output_name=output_name, problems=problems,
        )
        return _cached


def remember_output(name: str) -> None:
    """A player opened the output ``name`` after the cached answer said
    there was none (a sound server started later): later asks see it."""
    global _cached
    with _lock:
        if _cached is not None and not _cached.output_ok:
            problems = {k: v for k, v in _cached.problems.items() if k != "output"}
            _cached = dataclasses.replace(_cached, output_ok=True, output_name=name, problems=problems)


def clear_cache() -> None:
    global _cached
    with _lock:
        _cached = None
    fluid.clear_cache()
