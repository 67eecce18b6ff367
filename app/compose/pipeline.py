"""The compose pipeline: a model choice and a melody (or seeds) in, MIDI files out.

One recipe for both faces: load the chosen checkpoint, accompany the melody
with one take per seed (moved by octaves towards where the job's melodies
lay) or write pieces from noise, and write each result with the genre's
instruments and voice names. The caller says where each file goes
(``targets``), so the command line writes ``--out`` and the window its takes
folder. Runs on any thread: it touches no store and no widget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from app.compose.choice import ModelChoice
from app.music.selection import top_voice_range

Targets = Callable[[int, int], Path]  # (index of the result, its seed) -> where to write it


@dataclass
class Composed:
    files: list[Path]
    seeds: list[int]  # the seed of each file (interpolation: the walk's start)
    messages: list[str] = field(default_factory=list)


def programs_for(genre: str | None) -> list[int]:
    """General MIDI programs of the four voices for a genre."""
    from gan.data.midi_write import programs_for as table

    return list(table(genre))


def numbered(out: Path, count: int) -> list[Path]:
    """FILE.mid for one file, FILE_1.mid ... FILE_K.mid for several."""
    if count == 1:
        return [out]
    return [out.with_name(f"{out.stem}_{i}{out.suffix}") for i in range(1, count + 1)]


def load_model(choice: ModelChoice, device: str = "cpu") -> Any:
    from gan.compose.accompany import load_model as load

    model, _ = load(choice.checkpoint, device=device)
    return model


def accompany_melody(choice: ModelChoice, melody: Any, seeds: list[int], targets: Targets, *,
                     device: str = "cpu", preferred_range: tuple[int, int] | None = None,
                     model: Any = None) -> Composed:
    """One accompaniment per seed. ``preferred_range`` (default: read from
    the job's music) is where the model's melodies lay."""
    from gan.compose.accompany import accompany
    from gan.compose.export import write_composition
    from gan.data.roll import VOICE_NAMES

    model = model if model is not None else load_model(choice, device)
    if preferred_range is None:
        preferred_range = top_voice_range(list(choice.tags), choice.tag_mode)
    result = accompany(model, melody, seeds, preferred_range=preferred_range)
    programs = programs_for(choice.genre)
    files = [write_composition(targets(i, take.seed), take.notes, result.melody, programs=programs,
                               track_names=VOICE_NAMES)
             for i, take in enumerate(result.takes)]
    return Composed(files, [take.seed for take in result.takes], list(result.messages))


def generate_pieces(choice: ModelChoice, n: int, seed: int, targets: Targets, *,
                    interpolate_to: int | None = None, steps: int = 5, device: str = "cpu",
                    model: Any = None) -> Composed:
    """MuseGAN: ``n`` pieces from ``seed``, or ``steps`` pieces walking from
    ``seed`` to ``interpolate_to``."""
    from gan.compose.accompany import generate_pieces as generate
    from gan.compose.accompany import interpolate
    from gan.compose.export import write_roll

    model = model if model is not None else load_model(choice, device)
    if interpolate_to is None:
        rolls = generate(model, n, seed)
        message = f"{len(rolls)} piece(s) from seed {seed}"
    else:
        rolls = interpolate(model, seed, interpolate_to, steps)
        message = f"{len(rolls)} pieces walking from seed {seed} to seed {interpolate_to}"
    programs = programs_for(choice.genre)
    files = [write_roll(targets(i, seed), roll, programs=programs) for i, roll in enumerate(rolls)]
    return Composed(files, [seed] * len(files), [message])
