"""Training's data stays within memory, and one damaged import blocks no
other genre (issue 15, items 2 and 9)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from gan.data import limits
from gan.data.corpus import Corpus, import_file_for
from gan.data.dataset_file import DatasetFileError, Piece, write_pieces


def _piece(name: str, bars: int, genre: str) -> Piece:
    starts = np.arange(0, bars * 16, 4)
    notes = np.column_stack([starts % 4, starts, np.full(len(starts), 4),
                             60 + starts % 12]).astype(np.int32)
    return Piece(name=name, notes=notes, n_bars=bars, tags={"genre": genre})


def test_a_damaged_import_of_one_genre_blocks_no_other(polyphony_home):
    write_pieces(import_file_for("mine"), [_piece("a", 8, "mine")])
    import_file_for("broken").write_bytes(b"PK\x03\x04 not a zip any more")
    assert len(Corpus.load(["chorale"])) > 0  # was: cannot read dataset file broken.npz
    assert len(Corpus.load(["mine"])) == 1
    with pytest.warns(limits.DataLimitWarning, match="broken.npz.*left out"):
        everything = Corpus.load()
    assert {"chorale", "mine"} <= set(everything.tag_values("genre"))
    with pytest.raises(DatasetFileError, match="broken.npz"):
        Corpus.load(["broken"])  # asked for by name: say it is damaged


def test_pieces_longer_than_the_file_limit_are_left_out_with_a_warning():
    corpus = Corpus([_piece("fine", 8, "x"), _piece("huge", limits.MAX_BARS_PER_FILE + 8, "x")])
    with pytest.warns(limits.DataLimitWarning, match="1 piece.*longer than 2,000 bars"):
        data = corpus.segments(4)
    assert len(data) == 2  # the 8-bar piece only: its roll is built, the huge one's never


def test_segments_are_capped_to_the_memory_limit(monkeypatch):
    corpus = Corpus([_piece(f"p{k}", 40, "x") for k in range(10)])  # 100 four-bar segments
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert corpus.segment_count(4) == 100
    monkeypatch.setattr(limits, "MAX_TRAINING_BYTES", 30 * limits.segment_bytes(4))
    with pytest.warns(limits.DataLimitWarning, match="100 segments.*evenly spread 30"):
        data = corpus.segments(4)
    assert len(data) == 30 and data.nbytes <= limits.MAX_TRAINING_BYTES
    with pytest.warns(limits.DataLimitWarning):
        sources = corpus.segment_sources(4)
    assert len(sources) == 30  # segments and their sources stay aligned
    assert len({piece.name for piece, _ in sources}) == 10  # spread over every piece
