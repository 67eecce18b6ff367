"""The scores beside the index on the command line: `train`'s epoch lines,
`jobs list`'s genre fidelity column, `jobs show`'s settled verdict."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.cli.printer import Printer
from app.jobs.store import JobStore
from gan.config import preset
from tests.score_records import (BEST_EPOCH, SETTLED_SINCE, SETTLING_INDEX, epoch_report,
                                 real_metrics, record_run, run_started)


@pytest.fixture
def store(polyphony_home):
    s = JobStore()
    yield s
    s.close()


def test_epoch_lines_show_both_indexes_copying_fidelity_and_voice_leading(store, capsys):
    job = store.get(store.create("scores", preset("smoke"), ["genre=chorale"]))
    printer = Printer(job, as_json=False)
    printer(run_started())
    printer(epoch_report(1))
    first = capsys.readouterr().out
    assert "index on unseen melodies 0.500  on training melodies 0.530" in first
    assert "copied 12% of note-steps (11% on unseen melodies)" in first and "longest copy 0.6 bars" in first
    assert "genre fidelity 45%" in first
    real_fifths = real_metrics()["parallel_fifths/all"]
    assert f"fifths/bar {3 * real_fifths:.2f} ({real_fifths:.2f})" in first  # generated (real)
    assert "settled" not in first  # one epoch says nothing about settling
    for epoch in range(2, len(SETTLING_INDEX) + 1):
        printer(epoch_report(epoch))
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.strip() == (f"index settled since epoch {SETTLED_SINCE} · best epoch {BEST_EPOCH} "
                            f"({SETTLING_INDEX[BEST_EPOCH - 1]:.3f})")


def test_json_epoch_carries_every_score(store, capsys):
    job = store.get(store.create("scores", preset("smoke"), ["genre=chorale"]))
    printer = Printer(job, as_json=True)
    printer(epoch_report(3))
    out = json.loads(capsys.readouterr().out)
    for key in ("index/unseen_melodies", "index/training_melodies", "copying/note_steps",
                "copying/unseen_note_steps", "copying/longest_bars", "genre_fidelity", "parallel_fifths/soprano-alto",
                "voices_sounding/all", "onsets_per_bar/bass"):
        assert key in out["metrics"], key


def test_jobs_list_has_genre_fidelity_and_show_the_settled_verdict(store, capsys):
    judged = store.create("judged", preset("smoke"), ["genre=chorale"])
    fresh = store.create("not started", preset("smoke"), ["genre=chorale"])
    record_run(store, judged)
    assert main(["jobs", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "GENRE FIT" in lines[0]
    row = next(line for line in lines if line.strip().startswith(str(judged)))
    assert " 100% " in row  # the last epoch's share, as a percentage
    assert "   - " in next(line for line in lines if line.strip().startswith(str(fresh)))
    assert main(["jobs", "list", "--json"]) == 0
    listed = {j["id"]: j for j in json.loads(capsys.readouterr().out)}
    assert listed[judged]["genre_fidelity"] == pytest.approx(1.0)
    assert listed[fresh]["genre_fidelity"] is None
    assert main(["jobs", "show", str(judged)]) == 0
    assert (f"settling    index settled since epoch {SETTLED_SINCE} · best epoch {BEST_EPOCH}"
            in capsys.readouterr().out)
    assert main(["jobs", "show", str(judged), "--json"]) == 0
    settling = json.loads(capsys.readouterr().out)["settling"]
    assert settling["settled"] and settling["since_epoch"] == SETTLED_SINCE
    assert settling["best_epoch"] == BEST_EPOCH
