"""Checkpoints: atomic writes, weights-only loading, refusal of pickles."""

from __future__ import annotations

import os
import pickle

import pytest
import torch

from gan.training.checkpoint import load_checkpoint, point_latest, save_checkpoint


class Payload:  # a pickled object in a file is what weights_only must refuse
    def __reduce__(self):
        return (os.getcwd, ())


def test_round_trip_keeps_tensors_numbers_and_nested_dicts(tmp_path):
    state = {"epoch": 3, "config": {"width": 4, "architecture": "unet"},
             "generator": {"w": torch.arange(6.0).view(2, 3)},
             "rng": {"train": torch.get_rng_state()}, "similarity": float("nan")}
    path = save_checkpoint(state, tmp_path / "ck" / "epoch_0003.pt")
    back = load_checkpoint(path)
    assert back["epoch"] == 3 and back["config"]["architecture"] == "unet"
    assert torch.equal(back["generator"]["w"], state["generator"]["w"])
    assert torch.equal(back["rng"]["train"], state["rng"]["train"])
    assert [p.name for p in path.parent.iterdir()] == ["epoch_0003.pt"]  # no temp file left


def test_a_pickled_object_is_refused_with_a_message(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "polyphony-checkpoint", "version": 1, "payload": Payload()}, path)
    with pytest.raises(ValueError, match="pickled Python object"):
        load_checkpoint(path)


def test_other_files_are_refused_by_name(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="junk.pt"):
        load_checkpoint(junk)
    plain = tmp_path / "plain.pt"
    torch.save({"weights": torch.zeros(2)}, plain)
    with pytest.raises(ValueError, match="not a Polyphony checkpoint"):
        load_checkpoint(plain)
    pickled = tmp_path / "pickled.pt"
    pickled.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError):
        load_checkpoint(pickled)


def test_a_failed_write_keeps_the_previous_file(tmp_path):
    path = save_checkpoint({"epoch": 1}, tmp_path / "latest.pt")
    with pytest.raises(Exception):
        save_checkpoint({"epoch": 2, "bad": lambda: 0}, path)  # cannot be pickled: fails mid-write
    assert load_checkpoint(path)["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.pt"]


def test_latest_points_at_the_newest(tmp_path):
    a = save_checkpoint({"epoch": 1}, tmp_path / "epoch_0001.pt")
    b = save_checkpoint({"epoch": 2}, tmp_path / "epoch_0002.pt")
    latest = tmp_path / "latest.pt"
    point_latest(a, latest)
    point_latest(b, latest)
    assert load_checkpoint(latest)["epoch"] == 2
    assert load_checkpoint(a)["epoch"] == 1
