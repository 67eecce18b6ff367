"""Which General MIDI soundfont to use, and whether an .sf2 file is sound.

The default ships with a dependency: pretty_midi bundles TimGM6mb.sf2 (GPL-2,
see resources/soundfonts/README.md). A soundfont dropped into
resources/soundfonts/ wins over it; ``POLYPHONY_SOUNDFONT`` overrides both.
Soundfonts installed on the system (Debian's fluid-soundfont-gm puts
FluidR3_GM.sf2 in /usr/share/sounds/sf2) are offered as choices.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from app.paths import RESOURCES_DIR

SOUNDFONT_ENV = "POLYPHONY_SOUNDFONT"
APP_SOUNDFONT_DIR = RESOURCES_DIR / "soundfonts"


class SoundfontError(ValueError):
    """A soundfont file that is missing or cannot be used; the message names it."""


@dataclass(frozen=True)
class Soundfont:
    path: Path
    origin: str  # "environment", "app", "pretty_midi", "system", "user"

    @property
    def label(self) -> str:
        return f"{self.path.name} ({self.origin})"


def system_soundfont_dirs() -> list[Path]:
    if sys.platform.startswith("linux"):
        return [Path("/usr/share/sounds/sf2"), Path("/usr/share/soundfonts"),
                Path("/usr/local/share/soundfonts"), Path.home() / ".local/share/soundfonts"]
    if sys.platform == "darwin":
        return [Path("/opt/homebrew/share/soundfonts"), Path("/usr/local/share/soundfonts"),
                Path.home() / "Library/Audio/Sounds/Banks"]
    return [Path(os.environ.get("PROGRAMDATA", "C:/ProgramData")) / "soundfonts"]


def bundled_soundfonts() -> list[Soundfont]:
    """Soundfonts that ship with the app or its dependencies, preferred first."""
    found = [Soundfont(p, "app") for p in sorted(APP_SOUNDFONT_DIR.glob("*.sf2"))]
    try:
        import pretty_midi
    except ImportError:
        return found
    bundled = Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"
    if bundled.is_file():
        found.append(Soundfont(bundled, "pretty_midi"))
    return found


def system_soundfonts() -> list[Soundfont]:
    seen: set[Path] = set()
    found = []
    for folder in system_soundfont_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.sf2")):
            real = path.resolve()
            if real in seen or not real.is_file():
                continue
            seen.add(real)
            found.append(Soundfont(path, "system"))
    return found


def default_soundfont() -> Soundfont | None:
    """The soundfont used when the user has not picked one, or None if there is none."""
    override = os.environ.get(SOUNDFONT_ENV)
    if override:
        return Soundfont(Path(override).expanduser(), "environment")
    for candidate in bundled_soundfonts() + system_soundfonts():
        return candidate
    return None


def available_soundfonts() -> list[Soundfont]:
    """Everything to offer in a chooser: the default first, then the system's."""
    items = []
    default = default_soundfont()
    if default is not None:
        items.append(default)
    for sf in bundled_soundfonts() + system_soundfonts():
        if all(sf.path.resolve() != i.path.resolve() for i in items):
            items.append(sf)
    return items


def check_soundfont_file(path: str | os.PathLike) -> Path:
    """Cheap structural check of an .sf2 (RIFF 'sfbk'); raise SoundfontError naming the problem.

    FluidSynth itself only logs a failed load, so a broken file is caught
    here first (and :func:`app.audio.synth.load_soundfont` checks again).
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise SoundfontError(f"soundfont not found: {path}")
    if not path.is_file():
        raise SoundfontError(f"soundfont is not a file: {path}")
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
        size = path.stat().st_size
    except OSError as exc:
        raise SoundfontError(f"soundfont cannot be read: {path}: {exc}") from exc
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise SoundfontError(
            f"{path} is not a SoundFont 2 file (it should start with a RIFF 'sfbk' header); "
            "pick another .sf2 file"
        )
    declared = int.from_bytes(head[4:8], "little") + 8
    if declared > size:
        raise SoundfontError(
            f"soundfont {path} is truncated ({size} bytes of {declared}); download or copy it again"
        )
    return path
