"""The music21 -> note rows rules on small hand-made scores (known answers)."""

from __future__ import annotations

import numpy as np
import pytest

music21 = pytest.importorskip("music21")
from music21 import chord, meter, note, stream  # noqa: E402

from gan.data.convert import ConvertStats, SkipPiece, monophonic, score_to_pieces  # noqa: E402


def _part(bars: list[list], ts: str = "4/4", changes: dict[int, str] | None = None) -> stream.Part:
    """bars: per measure a list of (pitch or list of pitches or None, quarterLength)."""
    part = stream.Part()
    for i, content in enumerate(bars):
        m = stream.Measure(number=i)
        if i == 0:
            m.timeSignature = meter.TimeSignature(ts)
        if changes and i in changes:
            m.timeSignature = meter.TimeSignature(changes[i])
        for pitch, ql in content:
            if pitch is None:
                m.append(note.Rest(quarterLength=ql))
            elif isinstance(pitch, list):
                m.append(chord.Chord(pitch, quarterLength=ql))
            else:
                m.append(note.Note(pitch, quarterLength=ql))
        part.append(m)
    return part


def _score(parts) -> stream.Score:
    score = stream.Score()
    for p in parts:
        score.insert(0, p)
    return score


def _quarters(pitch, n=4):
    return [(pitch, 1.0)] * n


def test_pickup_dropped_split_bar_joined_and_repeats_kept():
    # pickup (1 beat) | full | 3 beats || 1 beat | full | 3-beat end
    layout = lambda p: [[(p, 1.0)], _quarters(p), [(p, 1.0), (p, 1.0), (p + 2, 1.0)],  # noqa: E731
                        [(p + 2, 1.0)], _quarters(p + 4), [(p, 3.0)]]
    parts = [_part(layout(72)), _part(layout(64)), _part(layout(55)), _part(layout(48))]
    stats = ConvertStats()
    pieces = score_to_pieces(_score(parts), "t", {"genre": "x"}, stats=stats)
    assert len(pieces) == 1
    piece = pieces[0]
    assert piece.n_bars == 3  # full, (3 + 1 joined), full
    soprano = piece.notes[piece.notes[:, 0] == 0]
    # repeated quarter notes are separate rows; the joined bar starts at step 16
    assert soprano[:, 1].tolist() == [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44]
    assert soprano[:, 3].tolist()[4:8] == [72, 72, 74, 74]
    assert stats.bars_dropped_partial == 2 and stats.bars_kept == 3
    assert piece.tags["key"] and piece.tags["mode"] in ("major", "minor")


def test_other_metres_are_dropped_and_reported():
    waltz = [_part([_quarters(60, 3)] * 4, ts="3/4") for _ in range(4)]
    with pytest.raises(SkipPiece) as info:
        score_to_pieces(_score(waltz), "w", {})
    assert info.value.reason == "metre" and "3/4" in info.value.detail
    # 4 bars of 4/4, then 3/4: the 4/4 run is kept
    mixed = [_part([_quarters(60)] * 4 + [_quarters(60, 3)] * 2, changes={4: "3/4"}) for _ in range(4)]
    stats = ConvertStats()
    pieces = score_to_pieces(_score(mixed), "m", {}, stats=stats)
    assert [p.n_bars for p in pieces] == [4] and stats.bars_dropped_metre == 2


def test_voices_chords_and_off_grid():
    parts = [_part([_quarters(60)] * 2) for _ in range(3)]
    with pytest.raises(SkipPiece, match="voices"):
        score_to_pieces(_score(parts), "three", {})
    chords = [_part([[([60, 67, 72], 4.0)]] * 2) for _ in range(4)]
    piece = score_to_pieces(_score(chords), "c", {})[0]
    assert piece.notes[piece.notes[:, 0] == 0, 3].tolist() == [72, 72]  # top voice: highest
    assert piece.notes[piece.notes[:, 0] == 3, 3].tolist() == [60, 60]  # bass: lowest
    triplets = [_part([[(60, 1 / 3)] * 12] * 2) for _ in range(4)]
    with pytest.raises(SkipPiece, match="off-grid"):
        score_to_pieces(_score(triplets), "t", {})


def test_folk_2_4_bars_pair_up_into_4_4():
    song = _part([_quarters(67, 2)] * 8, ts="2/4")
    with pytest.raises(SkipPiece, match="metre"):
        score_to_pieces(_score([song]), "s", {}, parts=[song])
    pieces = score_to_pieces(_score([song]), "s", {}, parts=[song], metres=("4/4", "2/4"))
    assert pieces[0].n_bars == 4 and set(pieces[0].notes[:, 0]) == {0}


def test_monophonic_cuts_overlaps():
    rows = np.array([[0, 0, 8, 60, 0], [0, 0, 4, 64, 0], [0, 4, 4, 62, 0]])
    out = monophonic(rows, lowest_wins=False)
    assert out[:, 1:4].tolist() == [[0, 4, 64], [4, 4, 62]]


def test_renaissance_4_2_bars_and_five_voices_reduced_to_four():
    """Palestrina is barred in 4/2 with five or six voices: each 4/2 bar is
    kept as two 4/4 bars and the voices are reduced to four by register."""
    from gan.data.build import _four_voices
    from gan.data.convert import RENAISSANCE_METRES

    # five parts, listed out of register order (Quintus between Altus and Tenor)
    pitches = {"cantus": 72, "altus": 65, "quintus": 69, "tenor": 60, "bassus": 48}
    parts = [_part([[(p, 4.0), (p + 2, 4.0)]] * 3, ts="4/2") for p in pitches.values()]
    score = _score(parts)
    with pytest.raises(SkipPiece, match="metre"):
        score_to_pieces(score, "mass", {}, parts=parts[:4])
    chosen = _four_voices(score)
    # by register 72 69 65 60 48: top, bottom and two evenly spaced between
    assert [p.recurse().notes[0].pitch.midi for p in chosen] == [72, 69, 60, 48]
    pieces = score_to_pieces(score, "mass", {}, parts=chosen, metres=RENAISSANCE_METRES)
    assert pieces[0].n_bars == 6  # three 4/2 bars
    notes = pieces[0].notes
    bass = notes[notes[:, 0] == 3]
    assert list(bass[:, 1]) == [0, 16, 32, 48, 64, 80] and set(bass[:, 2]) == {16}
    assert _four_voices(_score(parts[:4])) is None  # four voices stay as they are
