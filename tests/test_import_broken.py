"""Importing a folder of broken and odd files: each gets its reason, the good
ones are imported whole, nothing crashes and nothing is half-written."""

from __future__ import annotations

import os
import struct

import mido
import numpy as np
import pytest

from gan.data.corpus import Corpus, import_file_for
from gan.data.dataset_file import read_pieces
from gan.data.importer import ImportFolderError, import_folder
from tests.fixtures.midi_factory import STEP, TPB, melody, write_midi


def _good_bytes(tmp_path) -> bytes:
    return write_midi(tmp_path / "scratch" / "good.mid", [melody(4)]).read_bytes()


@pytest.fixture
def zoo(tmp_path):
    """>= 20 files, each with the outcome the importer must give it."""
    folder = tmp_path / "zoo"
    folder.mkdir()
    good = _good_bytes(tmp_path)
    expect: dict[str, str] = {}  # file -> "imported" or a reason fragment

    def raw(name, data, outcome):
        (folder / name).write_bytes(data)
        expect[name] = outcome

    def midi(name, outcome, *args, **kwargs):
        write_midi(folder / name, *args, **kwargs)
        expect[name] = outcome

    raw("zero_bytes.mid", b"", "empty file (0 bytes)")
    raw("random_bytes.mid", np.random.default_rng(1).bytes(3000), "not a MIDI file (no MThd header)")
    raw("plain_text.mid", b"this is not music\n", "not a MIDI file (no MThd header)")
    raw("riff_wrapped.mid", b"RIFF" + struct.pack("<I", len(good)) + b"RMIDdata" + good,
        "not a MIDI file (no MThd header)")
    raw("truncated.mid", good[: len(good) // 2], "unreadable MIDI: truncated")
    raw("header_only.mid", good[:14], "unreadable MIDI: truncated")  # header promises tracks
    raw("garbage_after_header.mid", good[:14] + b"MTrk" + struct.pack(">I", 40) + bytes(range(200, 240)),
        "unreadable MIDI")
    raw("track_length_lies.mid", good[:18] + struct.pack(">I", 10_000_000) + good[22:], "unreadable MIDI")
    raw("notes.txt", b"C D E F G", "not a MIDI file name (.txt)")
    raw("image.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "not a MIDI file name (.png)")
    midi("drums_only.mid", "drums only (no pitched notes)", [[(i, 1, 36) for i in range(16)]], drum_tracks=(0,))
    midi("no_notes.mid", "no notes", [[]])
    midi("waltz_3_4.mid", "time signature 3/4 is not supported (4/4 only)", [melody(2)], time_signature=(3, 4))
    midi("jig_6_8.mid", "time signature 6/8 is not supported (4/4 only)", [melody(2)], time_signature=(6, 8))
    midi("metre_change.mid", "time signature 3/4 is not supported (4/4 only)", [melody(4)],
         extra_meta=[(TPB * 8, mido.MetaMessage("time_signature", numerator=3, denominator=4))])
    midi("huge_tick_gap.mid", "too long", [[(0, 4, 60), (100_000_000 // STEP, 4, 62)]])
    # odd but valid: imported whole
    midi("one_note.mid", "imported", [[(0, 4, 60)]])
    midi("two_bars.mid", "imported", [melody(2)])
    midi("huge_tempo_changes.mid", "imported", [melody(4)],
         extra_meta=[(TPB * k, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
                     for k, bpm in enumerate([20, 900, 33, 600, 45, 1000, 25, 700] * 2, start=1)])
    midi("tracks_128.mid", "imported", [[(b * 16 + (i % 16), 1, 30 + (i % 60))] for i in range(128) for b in (0,)])
    midi("piano_chords.mid", "imported", [[(i * 4, 4, p) for i in range(8) for p in (48, 55, 64, 72)]])
    midi("leading_silence.mid", "imported", [[(32 + i * 4, 4, 67) for i in range(4)]])
    midi("extreme_pitches.mid", "imported", [[(0, 4, 0), (4, 4, 127), (8, 4, 60)]])
    midi("no_time_signature.mid", "imported", [melody(2)], time_signature=None)
    midi("cut_time_2_2.mid", "imported", [melody(2)], time_signature=(2, 2))
    midi("UPPER_CASE.MIDI", "imported", [melody(1)])
    (folder / "sub").mkdir()
    midi("sub/nested.mid", "imported", [melody(3), [(0, 16, 40), (16, 16, 43), (32, 16, 36)]])
    (folder / ".hidden.mid").write_bytes(b"")  # hidden files are not the user's music
    return folder, expect


def test_every_broken_or_odd_file_gets_its_reason(zoo):
    folder, expect = zoo
    assert len(expect) >= 20
    report = import_folder(folder, {"genre": "zoo"})
    got = {f: "imported" for f, _ in report.imported}
    got.update({f: reason for f, reason in report.skipped})
    assert set(got) == set(expect), "every file is reported once; hidden files are left alone"
    for name, outcome in expect.items():
        if outcome == "imported":
            assert got[name] == "imported", f"{name}: {got[name]}"
        else:
            assert got[name] != "imported" and got[name].startswith(outcome), f"{name}: {got[name]!r}"

    pieces = {os.path.basename(p.tags["source"]): p for p in read_pieces(import_file_for("zoo"))}
    bars = dict(report.imported)
    assert bars["two_bars.mid"] == 2 and pieces["two_bars.mid"].n_bars == 2  # short clips are kept
    assert bars["one_note.mid"] == 1
    # leading empty bars are dropped: the first note lands in bar 0
    assert pieces["leading_silence.mid"].notes[:, 1].min() == 0
    # tempo changes don't push notes off the beat grid: quarter notes stay 4 steps apart
    starts = pieces["huge_tempo_changes.mid"].notes[:, 1]
    assert list(starts) == [i * 4 for i in range(16)]
    assert pieces["huge_tempo_changes.mid"].tempo == pytest.approx(120.0)
    # 128 tracks fold into the 4 voices, high -> low
    many = pieces["tracks_128.mid"].notes
    assert set(many[:, 0]) == {0, 1, 2, 3}
    means = [many[many[:, 0] == t, 3].mean() for t in range(4)]
    assert means == sorted(means, reverse=True)
    # one polyphonic track is split by pitch order: top note = melody, lowest = bass
    chords = pieces["piano_chords.mid"].notes
    for track, pitch in enumerate((72, 64, 55, 48)):
        assert set(chords[chords[:, 0] == track, 3]) == {pitch}
    # two instruments: melody on top, the low one is the bass
    nested = pieces["nested.mid"].notes
    assert set(nested[:, 0]) == {0, 3} and nested[nested[:, 0] == 3, 3].max() <= 43
    assert all(p.tags["genre"] == "zoo" and p.time_signature == (4, 4) for p in pieces.values())


def test_import_is_all_or_nothing_and_reimport_replaces(zoo, monkeypatch, polyphony_home):
    folder, _ = zoo
    first = import_folder(folder, {"genre": "zoo", "composer": "me"})
    target = import_file_for("zoo")
    assert str(target).startswith(str(polyphony_home))
    before = target.read_bytes()

    import gan.data.dataset_file as store

    def crash(*args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as patch, pytest.raises(ImportFolderError, match="disk full"):
        patch.setattr(store.np, "savez_compressed", crash)
        import_folder(folder, {"genre": "zoo"})
    assert target.read_bytes() == before, "a failed write leaves the previous file intact"
    assert [p.name for p in target.parent.iterdir()] == [target.name], "no temporary file left behind"

    again = import_folder(folder, {"genre": "zoo", "composer": "me"})
    assert len(read_pieces(target)) == len(first.imported) == len(again.imported)
    corpus = Corpus.load(["zoo"])
    assert len(corpus) == len(first.imported)
    assert corpus.select(["composer=me"]).segment_count(1) > 0


def test_bad_folder_and_tags_are_refused(tmp_path):
    with pytest.raises(ImportFolderError, match="folder not found"):
        import_folder(tmp_path / "missing", {"genre": "x"})
    (tmp_path / "file.mid").write_bytes(b"")
    with pytest.raises(ImportFolderError, match="not a folder"):
        import_folder(tmp_path / "file.mid", {"genre": "x"})
    with pytest.raises(ImportFolderError, match="genre"):
        import_folder(tmp_path, {"composer": "x"})


# -- issue 15: bounds, odd files, reasons in words -----------------------------

def _smf(track: bytes, ticks_per_beat: int) -> bytes:
    return (b"MThd" + struct.pack(">IHHH", 6, 0, 1, ticks_per_beat)
            + b"MTrk" + struct.pack(">I", len(track)) + track)


def _vlq(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


@pytest.mark.timeout(120)
def test_files_over_the_bounds_are_refused_quickly_with_the_reason(tmp_path):
    import time

    from gan.data import limits

    folder = tmp_path / "hostile"
    folder.mkdir()
    # 37 bytes: ticks_per_beat 1, one note 9,999,990 ticks long (was 2,499,998 bars)
    (folder / "long_note.mid").write_bytes(_smf(
        _vlq(0) + b"\x90\x3c\x40" + _vlq(9_999_990) + b"\x80\x3c\x00" + _vlq(0) + b"\xff\x2f\x00", 1))
    # 12 MB, 2 million notes in running status (took minutes and 1.6 GB)
    notes = b"\x00\x3c\x40\x01\x3c\x00" * 2_000_000
    (folder / "two_million.mid").write_bytes(_smf(_vlq(0) + b"\x90" + notes[1:] + b"\x00\xff\x2f\x00", 480))
    # a tempo of 0 and a division of 0 (ZeroDivisionError before)
    (folder / "tempo_zero.mid").write_bytes(_smf(
        b"\x00\xff\x51\x03\x00\x00\x00\x00\x90\x3c\x40\x10\x80\x3c\x00\x00\xff\x2f\x00", 480))
    (folder / "division_zero.mid").write_bytes(_smf(b"\x00\x90\x3c\x40\x10\x80\x3c\x00", 0))
    # extreme tempos do not stretch a file: a few bars stay a few bars
    storm = b"".join(b"\x00\xff\x51\x03" + bytes([k % 256, 0, 1]) for k in range(300))
    (folder / "tempo_storm.mid").write_bytes(_smf(
        storm + b"\x00\x90\x3c\x40\x83\x60\x80\x3c\x00\x00\xff\x2f\x00", 480))
    started = time.perf_counter()
    report = import_folder(folder, {"genre": "hostile"})
    seconds = time.perf_counter() - started
    reasons = dict(report.skipped)
    assert reasons["long_note.mid"].startswith("too long: at least 2,499,998 bars")
    assert reasons["two_million.mid"].startswith("too many notes")
    assert reasons["tempo_zero.mid"] == ("impossible timing: a tempo of 0 microseconds per beat")
    assert reasons["division_zero.mid"] == "impossible timing: 0 ticks per beat"
    assert dict(report.imported) == {"tempo_storm.mid": 1}
    assert seconds < 30, seconds  # was minutes
    assert all(b <= limits.MAX_BARS_PER_FILE for _, b in report.imported)


@pytest.mark.timeout(60)
def test_pipes_devices_and_broken_links_each_get_a_line(tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    write_midi(folder / "good.mid", [melody(2)])
    os.mkfifo(folder / "pipe.mid")  # opening it would block forever
    (folder / "zero.mid").symlink_to("/dev/zero")  # reading it never ends
    (folder / "gone.mid").symlink_to(tmp_path / "nowhere.mid")
    (folder / "loop").symlink_to(folder)  # a link to a folder: not followed
    (folder / "alias.mid").symlink_to(folder / "good.mid")  # a link to a file: fine
    report = import_folder(folder, {"genre": "odd"})
    reasons = dict(report.skipped)
    assert sorted(f for f, _ in report.imported) == ["alias.mid", "good.mid"]
    assert reasons["pipe.mid"] == "not a regular file: a named pipe"
    assert reasons["zero.mid"] == "not a regular file: a character device (/dev/zero)"
    assert reasons["gone.mid"].startswith("broken link (points to ")
    assert reasons["loop"].startswith("link to a folder")
    assert len(report.imported) + len(report.skipped) == 6


def test_a_read_only_data_folder_gives_a_plain_error_and_changes_nothing(tmp_path, polyphony_home):
    """Root writes anywhere, so the folder is made read-only for real: a
    read-only bind mount of the data folder (skipped where that is not allowed)."""
    import subprocess

    folder = tmp_path / "music"
    write_midi(folder / "a.mid", [melody(2)])
    first = import_folder(folder, {"genre": "mine"})
    target = import_file_for("mine")
    before = target.read_bytes()
    datasets = target.parent.parent
    if os.geteuid() == 0:
        done = subprocess.run(["mount", "--bind", "-o", "ro", str(datasets), str(datasets)],
                              capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot bind-mount read-only here: {done.stderr.decode().strip()}")
    else:
        for p in [datasets, *datasets.rglob("*")]:
            p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        write_midi(tmp_path / "more" / "b.mid", [melody(3)])
        with pytest.raises(ImportFolderError, match="cannot save the import in .*read-only"):
            import_folder(tmp_path / "more", {"genre": "mine"})
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(datasets)], check=False)
        else:
            for p in [datasets, *datasets.rglob("*")]:
                p.chmod(0o755 if p.is_dir() else 0o644)
    assert target.read_bytes() == before and len(first.imported) == 1
