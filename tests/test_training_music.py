"""A job's music split by piece, and every epoch judged on both sides of the split."""

from __future__ import annotations

import math

from app.music.selection import training_music
from gan.config import preset
from gan.data.corpus import Corpus
from gan.training.events import EpochReport
from gan.training.evaluation import COPIED_RUN, COPIED_SHARE, INDEX_TRAINING, INDEX_UNSEEN, UNSEEN_SHARE
from gan.training.loop import train


def test_split_is_by_piece_stable_and_about_the_share_asked():
    corpus = Corpus.load(["chorale"], include_imports=False)
    train_a, held_a = corpus.split(0.1)
    train_b, held_b = corpus.split(0.1)
    names = {p.name for p in held_a.pieces}
    assert names == {p.name for p in held_b.pieces}  # the same split every time
    assert not names & {p.name for p in train_a.pieces}
    assert 0.05 < len(held_a) / len(corpus) < 0.15
    # a piece stays on its side when the collection changes
    _, held_sub = type(corpus)(corpus.pieces[::2]).split(0.1)
    assert {p.name for p in held_sub.pieces} <= names


def test_every_epoch_scores_unseen_and_training_melodies_and_copying(tmp_path):
    music = training_music(["genre=chorale"], "any", 2, eval_share=0.1)
    assert music.eval_data is not None and len(music.sources) == len(music.data)
    config = preset("smoke").with_overrides({"epochs": 1, "metric_samples": 8})
    reports = []
    result = train(config, music.data, lambda e: reports.append(e) if isinstance(e, EpochReport) else None,
                   run_dir=tmp_path, genre="chorale", **music.train_inputs(),
                   judge=lambda rolls: 0.25)
    assert result.status == "completed", result.reason
    metrics = reports[0].metrics
    for key in (INDEX_TRAINING, INDEX_UNSEEN, COPIED_SHARE, COPIED_RUN, UNSEEN_SHARE):
        assert math.isfinite(metrics[key]), key
    assert 0.0 <= metrics[UNSEEN_SHARE] <= 1.0
    assert reports[0].similarity == metrics[INDEX_UNSEEN]  # the honest score is the one shown
    assert metrics["genre_fidelity"] == 0.25
    assert "parallel_fifths/all" in metrics and "voice_crossings/alto-tenor" in metrics


def test_no_split_when_it_would_leave_too_little_to_train():
    music = training_music(["genre=chorale"], "any", 4, eval_share=0.0)
    assert music.eval_data is None
