"""A few built-in melodies, and the small text notation they are written in.

The notation is also what a user types to enter a melody by hand:
``"E4 E4 F4 G4 | G4 F4 E4 D4 | C4:2 r:2"``. Each token is a pitch
(``C4`` = MIDI 60, sharps ``#``, flats ``b``) or ``r`` for a rest,
optionally followed by ``:beats`` (quarter notes; 0.5 = an eighth); a token
without ``:beats`` lasts as long as the token before it. ``|`` marks a bar
line and is checked, so a miscounted bar is reported where it is.

The tunes are public-domain folk songs and hymns, plus the soprano line of
a Bach chorale taken from the committed chorale dataset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from gan.compose.melody import Melody, MelodyError, melody_from_notes
from gan.data.roll import STEPS_PER_BAR, STEPS_PER_BEAT

_TOKEN = re.compile(r"^(?:(?P<rest>[rR])|(?P<name>[A-Ga-g])(?P<acc>[#b]*)(?P<oct>-?\d))"
                    r"(?::(?P<beats>\d+(?:\.\d+)?|\d*\.\d+))?$")
_PITCH_CLASS = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


def parse_notes(text: str, pickup_beats: float = 0.0) -> np.ndarray:
    """Note rows (start, duration, pitch) in 16th steps from the notation above.

    Raises ``MelodyError`` naming the bad token (and its position).
    """
    steps, duration = 0, STEPS_PER_BEAT
    first_bar_line = int(round(float(pickup_beats) * STEPS_PER_BEAT))
    rows: list[tuple[int, int, int]] = []
    bar_lines_seen = 0
    for index, token in enumerate(text.split(), start=1):
        if token == "|":
            expected = first_bar_line + bar_lines_seen * STEPS_PER_BAR
            if first_bar_line == 0:
                expected += STEPS_PER_BAR
            if steps != expected:
                raise MelodyError(f"bar line {bar_lines_seen + 1} (token {index}) comes after "
                                  f"{steps / STEPS_PER_BEAT:g} beats, expected "
                                  f"{expected / STEPS_PER_BEAT:g}: a bar of 4/4 has 4 beats")
            bar_lines_seen += 1
            continue
        match = _TOKEN.match(token)
        if not match:
            raise MelodyError(f"token {index} {token!r} is not a note: write a pitch like C4, F#4 "
                              f"or Bb3, or r for a rest, optionally with :beats (E4:2, r:0.5)")
        if match["beats"] is not None:
            beats = float(match["beats"])
            length = beats * STEPS_PER_BEAT
            if length <= 0 or not float(length).is_integer():
                raise MelodyError(f"token {index} {token!r}: a length must be a whole number of "
                                  f"16ths (multiples of 0.25 beats)")
            duration = int(length)
        if not match["rest"]:
            pc = _PITCH_CLASS[match["name"].lower()] + match["acc"].count("#") - match["acc"].count("b")
            pitch = 12 * (int(match["oct"]) + 1) + pc
            if not 0 <= pitch <= 127:
                raise MelodyError(f"token {index} {token!r} is outside the MIDI range")
            rows.append((steps, duration, pitch))
        steps += duration
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


@dataclass(frozen=True)
class BuiltinMelody:
    name: str  # short id for the command line
    title: str
    notation: str
    pickup_beats: float = 0.0
    tempo: float = 100.0
    key: str = "C"  # MIDI key-signature name

    def melody(self) -> Melody:
        return melody_from_notes(self.title, parse_notes(self.notation, self.pickup_beats),
                                 tempo=self.tempo, pickup_beats=self.pickup_beats, key=self.key,
                                 program=73)  # flute: stands out from choir voices


BUILTINS: dict[str, BuiltinMelody] = {m.name: m for m in (
    BuiltinMelody("ode_to_joy", "Ode to Joy (Beethoven, 1824)",
                  "E4 E4 F4 G4 | G4 F4 E4 D4 | C4 C4 D4 E4 | E4:1.5 D4:0.5 D4:2 | "
                  "E4:1 E4 F4 G4 | G4 F4 E4 D4 | C4 C4 D4 E4 | D4:1.5 C4:0.5 C4:2 | "
                  "D4:1 D4 E4 C4 | D4 E4:0.5 F4 E4:1 C4 | D4 E4:0.5 F4 E4:1 D4 | C4 D4 G3:2 | "
                  "E4:1 E4 F4 G4 | G4 F4 E4 D4 | C4 C4 D4 E4 | D4:1.5 C4:0.5 C4:2",
                  tempo=110),
    BuiltinMelody("twinkle", "Twinkle, Twinkle, Little Star (French folk tune)",
                  "C5 C5 G5 G5 | A5 A5 G5:2 | F5:1 F5 E5 E5 | D5 D5 C5:2 | "
                  "G5:1 G5 F5 F5 | E5 E5 D5:2 | G5:1 G5 F5 F5 | E5 E5 D5:2 | "
                  "C5:1 C5 G5 G5 | A5 A5 G5:2 | F5:1 F5 E5 E5 | D5 D5 C5:2", tempo=100),
    BuiltinMelody("frere_jacques", "Frere Jacques (French folk round)",
                  "G4 A4 B4 G4 | G4 A4 B4 G4 | B4 C5 D5:2 | B4:1 C5 D5:2 | "
                  "D5:0.5 E5 D5 C5 B4:1 G4 | D5:0.5 E5 D5 C5 B4:1 G4 | G4 D4 G4:2 | G4:1 D4 G4:2",
                  tempo=100, key="G"),
    BuiltinMelody("auld_lang_syne", "Auld Lang Syne (Scottish folk song, with a pick-up)",
                  "G4 | C5:1.5 C5:0.5 C5:1 E5 | D5:1.5 C5:0.5 D5:1 E5:0.5 D5 | "
                  "C5:1.5 C5:0.5 E5:1 G5 | A5:3 A5:1 | G5:1.5 E5:0.5 E5:1 C5 | "
                  "D5:1.5 C5:0.5 D5:1 E5:0.5 D5 | C5:1.5 A4:0.5 A4:1 G4 | C5:3",
                  pickup_beats=1, tempo=90),
)}

# The soprano of a Bach chorale, read from the committed dataset.
CHORALE_NAME = "chorale_soprano"
_CHORALE_WORK = "bwv140.7"  # "Wachet auf, ruft uns die Stimme"
_CHORALE_BARS = 8


def builtin_names() -> list[str]:
    names = list(BUILTINS)
    if _chorale_piece() is not None:
        names.append(CHORALE_NAME)
    return names


def builtin_titles() -> dict[str, str]:
    titles = {name: m.title for name, m in BUILTINS.items()}
    if _chorale_piece() is not None:
        titles[CHORALE_NAME] = f"Bach chorale {_CHORALE_WORK.upper()}, soprano (first {_CHORALE_BARS} bars)"
    return titles


def _chorale_piece():
    from gan.data.dataset_file import DatasetFileError, read_pieces
    from gan.data.locations import DATA_DIR

    path = DATA_DIR / "chorale.npz"
    try:
        pieces = read_pieces(path) if path.exists() else []
    except DatasetFileError:
        return None
    return next((p for p in pieces if p.name == _CHORALE_WORK), None)


def builtin_melody(name: str) -> Melody:
    """A built-in melody by its short name (``MelodyError`` listing the names)."""
    if name in BUILTINS:
        return BUILTINS[name].melody()
    if name == CHORALE_NAME:
        piece = _chorale_piece()
        if piece is not None:
            notes = piece.notes[(piece.notes[:, 0] == 0) & (piece.notes[:, 1] < _CHORALE_BARS * STEPS_PER_BAR)]
            key = piece.tags.get("key", "C").replace("-", "b")
            key += "m" if piece.tags.get("mode") == "minor" else ""
            return melody_from_notes(builtin_titles()[CHORALE_NAME], notes[:, 1:], tempo=piece.tempo,
                                     key=key, program=52)
    raise MelodyError(f"no built-in melody called {name!r}; choose one of {', '.join(builtin_names())}")
