"""Checkpoints: atomic writes, weights-only loading, refusal of pickles."""

from __future__ import annotations

import os
import pickle

import pytest
import torch

from gan.training.checkpoint import (
    load_checkpoint,
    point_latest,
    read_facts,
    save_checkpoint,
)


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


@pytest.mark.parametrize("damaged", [b"a.", b"R.", b"\x85.", b"h\x05."],
                         ids=["append", "reduce", "tuple1", "get"])
def test_damaged_pickle_streams_are_refused_not_crashed_on(tmp_path, damaged):
    """Opcodes on an empty stack or an unknown memo key made torch's reader
    raise IndexError or KeyError (the fault bench's random bytes hit one):
    refused like any other unreadable file, by both readers."""
    path = tmp_path / "damaged.pt"
    path.write_bytes(damaged)
    for reader in (load_checkpoint, read_facts):
        with pytest.raises(ValueError, match="damaged.pt"):
            reader(path)


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


# -- issue 15: full disk, damaged files, leftovers of a kill ------------------

def _exited_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_too_little_space_is_refused_before_writing(tmp_path):
    from gan.training.checkpoint import DiskFull, ensure_space, free_bytes

    path = tmp_path / "epoch_0001.pt"
    with pytest.raises(DiskFull) as info:
        ensure_space(path, free_bytes(tmp_path) + 10**12)
    text = str(info.value)
    assert "disk is full" in text and str(tmp_path) in text and "MB" in text
    assert info.value.needed > info.value.free and not path.exists()


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 2 MiB file system (tmpfs; needs root, as on these machines)."""
    import subprocess

    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    import gc

    gc.collect()  # files a test left open would keep the mount busy
    if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_says_so_and_keeps_the_saved_checkpoint(tiny_disk):
    from gan.training.checkpoint import DiskFull

    first = save_checkpoint({"epoch": 1, "w": torch.zeros(1000)}, tiny_disk / "epoch_0001.pt")
    point_latest(first, tiny_disk / "latest.pt")
    big = {"epoch": 2, "w": torch.zeros(600_000)}  # 2.4 MB: more than the disk holds
    with pytest.raises(DiskFull, match=f"disk is full.*{tiny_disk}.*needs about 2.7 MB"):
        save_checkpoint(big, tiny_disk / "epoch_0002.pt")
    assert load_checkpoint(tiny_disk / "latest.pt")["epoch"] == 1
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["epoch_0001.pt", "latest.pt"]
    # the estimate (tensor bytes) passes, but the disk fills while torch
    # writes (here: 2.4 MB of plain numbers): still DiskFull, nothing lost
    with pytest.raises(DiskFull, match="disk is full"):
        save_checkpoint({"epoch": 2, "numbers": list(range(600_000))}, tiny_disk / "epoch_0002.pt")
    assert load_checkpoint(tiny_disk / "latest.pt")["epoch"] == 1
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["epoch_0001.pt", "latest.pt"]


def test_a_truncated_newest_checkpoint_falls_back_to_the_one_before(tmp_path):
    from gan.training.checkpoint import newest_loadable

    paths = [save_checkpoint({"epoch": e, "w": torch.ones(100)}, tmp_path / f"epoch_{e:04d}.pt")
             for e in (1, 2, 3)]
    latest = point_latest(paths[-1], tmp_path / "latest.pt")  # a hard link to epoch 3
    with open(latest, "r+b") as fh:
        fh.truncate(latest.stat().st_size // 2)  # truncates epoch_0003.pt too
    found, skipped = newest_loadable([(3, paths[2]), (2, paths[1]), (1, paths[0])])
    assert found == (2, paths[1])
    assert skipped[0][0] == paths[2] and "not a readable checkpoint" in skipped[0][1]
    assert newest_loadable([(3, paths[2])]) == (None, skipped)


def test_leftover_temporary_files_of_a_killed_writer_are_removed(tmp_path):
    from gan.training.checkpoint import remove_stale_temp_files

    dead = _exited_pid()
    stale = tmp_path / f".epoch_0002.pt.tmp{dead}"
    stale.write_bytes(b"half a checkpoint")
    mine = tmp_path / f".epoch_0003.pt.tmp{os.getpid()}"  # a write in progress here
    mine.write_bytes(b"being written")
    other = tmp_path / ".notes.txt"  # not ours: never touched
    other.write_text("user file")
    kept = save_checkpoint({"epoch": 1}, tmp_path / "epoch_0001.pt")
    assert remove_stale_temp_files(tmp_path) == [stale]
    assert not stale.exists() and mine.exists() and other.exists() and kept.exists()


def test_a_run_on_a_full_disk_fails_saying_so(tiny_disk, caplog):
    """The training loop reports a full disk in words (no traceback in the
    log, no exception name), and stops before losing anything."""
    import dataclasses
    import os

    from gan.config import preset
    from gan.data.corpus import Corpus
    from gan.training.loop import train

    config = dataclasses.replace(preset("smoke"), epochs=2, steps_per_epoch=2, metric_samples=8,
                                 device="cpu")
    data = Corpus.load(["chorale"]).segments(config.bars_per_sample)
    free = os.statvfs(tiny_disk).f_bavail * os.statvfs(tiny_disk).f_frsize
    (tiny_disk / "filler").write_bytes(b"\0" * (free - 150_000))
    result = train(config, data, lambda event: None, run_dir=tiny_disk / "run")
    assert result.status == "failed" and result.reason.startswith("the disk is full: saving ")
    assert str(tiny_disk / "run" / "checkpoints") in result.reason
    assert not any(r.exc_info for r in caplog.records)  # not logged as a crash
    assert not list((tiny_disk / "run" / "checkpoints").glob(".*tmp*"))
