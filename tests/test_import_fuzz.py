"""Fuzzing the MIDI importer with structure-aware mutations of real music
(issue 15): Bach chorales and a string quartet movement from the built-in
data, written as MIDI files, then mutated where MIDI readers break (see
tests/fixtures/midi_fuzz.py). Whatever comes out: no crash, a reason in
words (never a library's exception name), and nothing over the bounds of
gan.data.limits, in bounded time."""

from __future__ import annotations

import re
import time
from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gan.data import limits
from gan.data.dataset_file import read_pieces
from gan.data.importer import _Skip, import_folder, midi_file_to_piece
from gan.data.locations import DATA_DIR
from gan.data.midi_io import MidiReadError
from gan.data.roll import STEPS_PER_BAR
from tests.fixtures.midi_factory import write_midi
from tests.fixtures.midi_fuzz import mutate

# A reason must read like words, not like "ZeroDivisionError: float division by zero".
LIBRARY_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback|\bassert")
SECONDS_PER_FILE = 30  # measured worst case inside the limits: about 8 s on 2 busy cores


@lru_cache(maxsize=None)
def _real_files(folder: str) -> tuple[bytes, ...]:
    """Three real pieces as MIDI: two chorales and a quartet movement."""
    from pathlib import Path

    pieces = read_pieces(DATA_DIR / "chorale.npz")[:2] + read_pieces(DATA_DIR / "string_quartet.npz")[:1]
    out = []
    for k, piece in enumerate(pieces):
        tracks = [[(int(s), int(d), int(p)) for t, s, d, p in piece.notes if t == voice]
                  for voice in range(4)]
        out.append(write_midi(Path(folder) / f"real_{k}.mid", tracks).read_bytes())
    return tuple(out)


def _check_one(path) -> str:
    """Import one file; returns its outcome after checking it."""
    started = time.perf_counter()
    try:
        piece = midi_file_to_piece(path, {"genre": "fuzz"})
    except (_Skip, MidiReadError) as exc:
        reason = str(exc)
        assert reason and not LIBRARY_NAME.search(reason), reason
        outcome = reason
    else:
        notes = piece.notes
        assert 1 <= piece.n_bars <= limits.MAX_BARS_PER_FILE
        assert len(notes) <= limits.MAX_NOTES_PER_FILE
        assert notes[:, 1].min() >= 0 and (notes[:, 2] >= 1).all()
        assert (notes[:, 1] + notes[:, 2]).max() <= piece.n_bars * STEPS_PER_BAR
        assert set(notes[:, 0]) <= {0, 1, 2, 3} and 0 <= notes[:, 3].min() <= notes[:, 3].max() <= 127
        outcome = "imported"
    assert time.perf_counter() - started < SECONDS_PER_FILE
    return outcome


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(which=st.integers(0, 2), seed=st.integers(0, 2**32 - 1), count=st.integers(1, 3))
def test_mutated_real_files_import_or_are_refused_in_words(tmp_path_factory, which, seed, count):
    folder = tmp_path_factory.getbasetemp() / "fuzz_seeds"
    folder.mkdir(exist_ok=True)
    data, what = mutate(_real_files(str(folder))[which], seed, count)
    path = folder / f"mutant_{which}_{seed}.mid"
    path.write_bytes(data)
    try:
        _check_one(path)
    except AssertionError as exc:
        raise AssertionError(f"mutations {what}: {exc}") from None
    finally:
        path.unlink()


def test_a_folder_of_mutants_is_reported_file_by_file(tmp_path):
    folder = tmp_path / "mutants"
    folder.mkdir()
    real = _real_files(str(tmp_path))
    for k in range(30):
        data, _ = mutate(real[k % 3], 10_000 + k, 2)
        (folder / f"m{k:02d}.mid").write_bytes(data)
    report = import_folder(folder, {"genre": "fuzz"})
    names = [f for f, _ in report.imported] + [f for f, _ in report.skipped]
    assert sorted(names) == [f"m{k:02d}.mid" for k in range(30)]
    assert not any(LIBRARY_NAME.search(reason) for _, reason in report.skipped)
    if report.imported:
        pieces = read_pieces(report.path)
        assert len(pieces) == len(report.imported)
        assert max(p.n_bars for p in pieces) <= limits.MAX_BARS_PER_FILE
