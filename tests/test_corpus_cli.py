"""`python main.py data ...` in a real subprocess, and a small real build."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from gan.data import locations as paths
from gan.data.corpus import Corpus
from gan.data.dataset_file import read_pieces
from tests.fixtures.midi_factory import melody, write_midi


def _main(*args, home):
    env = dict(os.environ, POLYPHONY_HOME=str(home))
    return subprocess.run([sys.executable, str(paths.REPO_ROOT / "main.py"), *args],
                          capture_output=True, text=True, env=env, timeout=120, cwd=paths.REPO_ROOT)


def test_data_info_json_matches_the_corpus(polyphony_home):
    done = _main("data", "info", "--json", home=polyphony_home)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    chorale = info["genres"]["chorale"]
    corpus = Corpus.load(["chorale"], include_imports=False)
    assert chorale["pieces"] == len(corpus)
    assert chorale["bars"] == sum(p.n_bars for p in corpus.pieces)
    assert chorale["segments"] == corpus.segment_count(4) > 700
    assert chorale["composers"] == ["bach"] and chorale["status"] == "built-in"
    low, high = chorale["pitch_range"]
    assert 30 <= low < high <= 90
    assert info["genres"]["renaissance"]["status"] in ("on demand", "cached")


def test_data_import_reports_and_info_sees_it(tmp_path, polyphony_home):
    folder = tmp_path / "mine"
    write_midi(folder / "clip.mid", [melody(2), [(0, 32, 40)]])
    (folder / "broken.mid").write_bytes(b"MThd\x00")
    done = _main("data", "import", str(folder), "--tag", "genre=mine", "--tag", "composer=me", "--json",
                 home=polyphony_home)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["imported"] == [{"file": "clip.mid", "bars": 2}]
    assert report["skipped"][0]["file"] == "broken.mid"
    # the reason names the problem ("unreadable MIDI: ...", "not a MIDI file (no MThd header)")
    assert "MIDI" in report["skipped"][0]["reason"]
    info = json.loads(_main("data", "info", "--json", home=polyphony_home).stdout)
    assert info["genres"]["mine"]["pieces"] == 1 and info["genres"]["mine"]["composers"] == ["me"]
    text = _main("data", "import", str(folder), "--tag", "genre=mine", home=polyphony_home)
    assert "imported 1 file" in text.stdout and "broken.mid: " in text.stdout
    assert "MIDI" in text.stdout.split("broken.mid: ", 1)[1].splitlines()[0]


@pytest.mark.parametrize("args, message", [
    (("data", "import", "/no/such/folder", "--tag", "genre=x"), "folder not found"),
    (("data", "import", ".", "--tag", "composer=x"), "genre"),
    (("data", "import", ".", "--tag", "oops"), "key=value"),
    (("data", "build", "--genre", "polka"), "unknown genre"),
])
def test_bad_input_exits_with_a_clear_message(args, message, polyphony_home):
    done = _main(*args, home=polyphony_home)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_a_small_real_build(tmp_path):
    pytest.importorskip("music21")
    from gan.data.build import build_genre

    seen = []
    report = build_genre("chorale", progress=lambda d, t, s: seen.append((d, t)), out_dir=tmp_path,
                         processes=1, limit=4)
    assert seen[-1] == (4, 4)
    pieces = read_pieces(tmp_path / "chorale.npz")
    assert report.pieces == len(pieces) and report.sources == 4
    assert report.pieces + sum(report.skip_counts().values()) >= 4
    assert all(p.tags["source"].startswith("music21:bach/") for p in pieces)
