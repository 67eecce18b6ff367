"""The corpus API on the committed data: loading, tags, filtering, segments."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gan.data import locations as paths
from gan.data.corpus import (Corpus, GenreNotBuilt, Piece, available_genres, import_file_for,
                        segment_count_of, window_starts)
from gan.data.dataset_file import DatasetFileError, read_pieces, write_pieces
from gan.data.roll import LOWEST_PITCH, N_PITCHES, STEPS_PER_BAR


@pytest.fixture(scope="module")
def chorales():
    return Corpus.load(["chorale"], include_imports=False)


def test_committed_chorales_load_with_tags(chorales):
    assert 250 < len(chorales) < 400
    for piece in chorales.pieces:
        assert {"genre", "composer", "work", "key", "mode", "source"} <= set(piece.tags)
        assert piece.tags["genre"] == "chorale" and piece.time_signature == (4, 4)
        assert piece.notes.shape[1] == 4 and piece.n_bars >= 2
        # whole bars: no note starts past the last bar, all four voices present
        assert piece.notes[:, 1].max() < piece.n_bars * STEPS_PER_BAR
        assert set(piece.notes[:, 0]) == {0, 1, 2, 3}
        # voices high -> low: the soprano sits above the bass
        mean = [piece.notes[piece.notes[:, 0] == t, 3].mean() for t in range(4)]
        assert mean[0] > mean[3]
    modes = chorales.available_tags()["mode"]
    assert modes.get("major", 0) > 50 and modes.get("minor", 0) > 50


def test_segments_and_counts_agree(chorales):
    for bars in (1, 2, 4):
        segs = chorales.segments(bars)
        assert segs.dtype == np.int8 and segs.shape[1:] == (4, bars * STEPS_PER_BAR, N_PITCHES)
        assert len(segs) == chorales.segment_count(bars) == sum(chorales.tag_counts("genre", bars).values())
        assert segs.reshape(len(segs), -1).any(axis=1).all(), "silent windows are left out"
    assert 700 < chorales.segment_count(4) < 1500
    assert chorales.segment_count(2) >= 2 * chorales.segment_count(4) - len(chorales)


def test_select_any_all_with_counts(chorales):
    tags = chorales.available_tags()
    in_c, in_g = tags["key"].get("C", 0), tags["key"].get("G", 0)
    assert in_c and in_g
    either = chorales.select(["key=C", "key=G"], mode="any")
    assert len(either) == in_c + in_g
    assert either.segment_count(4) == chorales.select(["key=C"]).segment_count(4) + \
        chorales.select(["key=G"]).segment_count(4)
    both = chorales.select(["key=C", "key=G"], mode="all")
    assert len(both) == 0 and both.segment_count(4) == 0 and both.segments(4).shape[0] == 0
    minor_g = chorales.select(["key=G", "mode=minor"], mode="all")
    assert 0 < len(minor_g) < in_g
    assert all(p.tags["key"] == "G" and p.tags["mode"] == "minor" for p in minor_g.pieces)
    assert len(chorales.select(None)) == len(chorales.select([])) == len(chorales)
    with pytest.raises(ValueError, match="mode"):
        chorales.select(["key=C"], mode="some")
    with pytest.raises(ValueError, match="key=value"):
        chorales.select(["bach"])


def _toy(genre: str, n: int, bars: int = 4) -> list[Piece]:
    notes = np.array([[t, s, 4, 60 - 7 * t] for t in range(4) for s in range(0, bars * 16, 4)], dtype=np.int32)
    return [Piece(name=f"{genre}{i}", notes=notes, n_bars=bars, tags={"genre": genre}) for i in range(n)]


def test_genres_are_balanced_deterministically(chorales):
    mixed = Corpus(chorales.pieces + _toy("tiny", 10, bars=4))
    assert mixed.tag_counts()["tiny"] == 10
    count = mixed.segment_count(4)
    assert count == 10 + 20  # chorales capped at twice the smallest genre
    segs = mixed.segments(4)
    assert len(segs) == count and np.array_equal(segs, mixed.segments(4))
    assert mixed.segment_count(4, balance=False) == chorales.segment_count(4) + 10


def test_silent_windows_and_short_pieces():
    notes = np.array([[0, 0, 4, 60], [3, 48, 8, 40]], dtype=np.int32)  # bars 0 and 3 sound
    piece = Piece("p", notes, n_bars=5, tags={"genre": "x"})
    assert segment_count_of(piece, 1) == 2
    # windows [0,1], [2,3] and, for the left-over bar, [3,4] ending with the piece
    assert list(window_starts(5, 2)) == [0, 2, 3]
    assert segment_count_of(piece, 2) == 3
    last = Corpus([piece]).segments(2)[-1]
    assert last[3, 0, 40 - LOWEST_PITCH] and not last[0].any()  # bar 3's bass note opens it
    assert list(window_starts(4, 2)) == [0, 2]  # nothing left over: no extra window
    assert segment_count_of(piece, 6) == 0  # shorter than one window
    corpus = Corpus([piece])
    assert corpus.segments(1).shape == (2, 4, 16, N_PITCHES)
    with pytest.raises(ValueError):
        corpus.segments(0)


def test_store_round_trip_and_damage(tmp_path):
    pieces = _toy("x", 3) + [Piece("empty", np.zeros((0, 4), np.int32), 1, {"genre": "x"}, 133.0)]
    path = write_pieces(tmp_path / "x.npz", pieces)
    back = read_pieces(path)
    assert [p.name for p in back] == [p.name for p in pieces]
    assert all(np.array_equal(a.notes, b.notes) for a, b in zip(pieces, back))
    assert back[-1].tempo == 133.0 and back[0].tags == {"genre": "x"}
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DatasetFileError):
        read_pieces(path)


def test_load_genres_and_status(chorales):
    status = available_genres()
    assert status["chorale"] == "built-in"
    assert status["renaissance"] == "on demand" and status["folk"] == "on demand"
    with pytest.raises(GenreNotBuilt, match="data build --genre renaissance"):
        Corpus.load(["renaissance"])
    with pytest.raises(ValueError, match="unknown genre"):
        Corpus.load(["polka"])
    write_pieces(import_file_for("polka"), _toy("polka", 2))
    assert available_genres()["polka"] == "imported"
    both = Corpus.load(["chorale", "polka"])
    assert both.tag_counts() == {"chorale": chorales.segment_count(4), "polka": 2}
    with pytest.raises(ValueError, match="unknown genre"):
        Corpus.load(["chorale", "polka"], include_imports=False)
    everything = Corpus.load()
    assert {"chorale", "polka"} <= set(everything.tag_values("genre"))
    assert "polka" not in Corpus.load(include_imports=False).tag_values("genre")


def test_manifest_describes_the_committed_files():
    manifest = json.loads((paths.DATA_DIR / "manifest.json").read_text())
    total = 0
    for genre in ("chorale", "string_quartet"):
        entry = manifest["genres"][genre]
        file = paths.DATA_DIR / entry["file"]
        total += file.stat().st_size
        pieces = read_pieces(file)
        assert entry["pieces"] == len(pieces)
        assert entry["bars"] == sum(p.n_bars for p in pieces)
        assert entry["segments_4_bars"] == Corpus(pieces).segment_count(4)
        assert entry["music21_version"] and entry["built_at"]
        assert sum(entry["skip_counts"].values()) == sum(len(v) for v in entry["skipped"].values())
    assert total <= 5 * 1024 * 1024
    assert "license" in manifest
