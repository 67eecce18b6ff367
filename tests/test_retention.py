"""Checkpoints kept on disk: the latest, the best, every Nth; nothing else touched."""

from __future__ import annotations

from gan.training.retention import epochs_to_keep, prune_checkpoints


def test_policy_keeps_latest_best_and_every_nth():
    assert epochs_to_keep(23, 7, 10) == {23, 22, 7, 10, 20}
    assert epochs_to_keep(5, None, 0) == {5, 4}
    assert epochs_to_keep(5, 2, 1) == {1, 2, 3, 4, 5}


def test_prune_deletes_only_epoch_files_outside_the_policy(tmp_path):
    for epoch in range(1, 13):
        (tmp_path / f"epoch_{epoch:04d}.pt").write_bytes(b"x")
    (tmp_path / "latest.pt").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "epoch_0099.pt.tmp123").write_bytes(b"x")
    removed = prune_checkpoints(tmp_path, latest=12, best=3, keep_every=5)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["epoch_0003.pt", "epoch_0005.pt", "epoch_0010.pt", "epoch_0011.pt",
                    "epoch_0012.pt", "epoch_0099.pt.tmp123", "latest.pt", "notes.txt"]
    assert len(removed) == 7
