"""Epoch ends judged in the background while the next epoch trains
(gan.training.epoch_end.EpochEnds): the same results as inline, later."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from gan.training.checkpoint import load_checkpoint
from gan.training.events import EpochReport, RunFinished, StepStats
from gan.training.inference import load_generator
from gan.training.loop import in_background, train
from tests.test_train import loss_trace, run, smoke, synthetic_segments


@pytest.fixture(scope="module")
def data():
    return synthetic_segments()


def reports(events):
    return [e for e in events if isinstance(e, EpochReport)]


def test_auto_runs_epoch_ends_in_the_background_on_cuda_only():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert not in_background(smoke(), cpu) and in_background(smoke(), cuda)
    assert in_background(smoke(epoch_end="background"), cpu)
    assert not in_background(smoke(epoch_end="inline"), cuda)


def test_background_epoch_ends_give_the_inline_results(data, tmp_path):
    # with a reconstruction term, so the part-writing rules each epoch end
    # fits start from the previous epoch's, as inline; with a weight average,
    # the composer, which also trains on
    cfg = smoke(epochs=3, reconstruction_weight=3.0, ema_decay=0.9, keep_every=1)
    _, inline = run(dataclasses.replace(cfg, epoch_end="inline"), data, tmp_path, "inline")
    result, background = run(dataclasses.replace(cfg, epoch_end="background"), data, tmp_path,
                             "background")
    assert result.status == "completed", result.reason
    assert loss_trace(background) == loss_trace(inline)  # training never waited on judging
    a, b = reports(inline), reports(background)
    assert [r.epoch for r in b] == [1, 2, 3]
    for x, y in zip(a, b):
        assert (x.step, x.similarity, x.critic_loss) == (y.step, y.similarity, y.critic_loss)
        assert x.metrics == pytest.approx(y.metrics, nan_ok=True)
        assert np.array_equal(x.samples, y.samples)
    assert result.similarity == a[-1].similarity
    for epoch in (1, 2, 3):
        # the checkpoint is the state at its epoch's boundary, not a later one
        x, y = (load_checkpoint(tmp_path / name / "checkpoints" / f"epoch_{epoch:04d}.pt")
                for name in ("inline", "background"))
        assert (x["step"], x["best_epoch"], x["part_writing"]) == \
            (y["step"], y["best_epoch"], y["part_writing"])
        for part in ("generator", "critic", "generator_average"):
            assert all(torch.equal(x[part][k], y[part][k]) for k in x[part]), (epoch, part)
        assert torch.equal(x["rng"]["train"], y["rng"]["train"])
    # every report is sent after its epoch's last step, and before the run ends
    order = [(type(e).__name__, getattr(e, "step", None)) for e in background]
    for r in b:
        assert order.index(("EpochReport", r.step)) > order.index(("StepStats", r.step))
    assert isinstance(background[-1], RunFinished) and isinstance(background[-2], EpochReport)


def test_a_run_stopped_while_its_last_epoch_is_judged_keeps_that_epoch(data, tmp_path):
    cfg = smoke(epochs=3, epoch_end="background")
    _, unbroken = run(cfg, data, tmp_path, "unbroken")
    seen = []

    def stop_once_epoch_two_trains():  # epoch 1 may not be judged yet
        return any(isinstance(e, StepStats) and e.epoch == 2 for e in seen)

    first = train(cfg, data, seen.append, stop_once_epoch_two_trains, run_dir=tmp_path / "broken")
    assert first.status == "cancelled" and first.epoch == 1
    assert [r.epoch for r in reports(seen)] == [1] and seen[-1] is first
    assert first.similarity == reports(seen)[0].similarity
    ckpt = tmp_path / "broken" / "checkpoints" / "latest.pt"
    assert load_checkpoint(ckpt)["epoch"] == 1
    result, resumed = run(cfg, data, tmp_path, "broken", resume_from=ckpt)
    assert result.status == "completed"
    assert loss_trace(resumed) == [t for t in loss_trace(unbroken) if t[0] >= 2]
    assert reports(resumed)[-1].similarity == reports(unbroken)[-1].similarity


def test_a_failing_background_epoch_end_fails_the_run_and_keeps_the_epochs_before(data, tmp_path):
    verdicts = []

    def judge_failing_at_epoch_two(rolls):  # a genre judge that breaks (say, out of memory)
        verdicts.append(len(rolls))
        if len(verdicts) == 2:
            raise RuntimeError("the genre judge broke")
        return 1.0

    cfg = smoke(epochs=3, epoch_end="background")
    result, events = run(cfg, data, tmp_path, judge=judge_failing_at_epoch_two)
    assert result.status == "failed" and "the genre judge broke" in result.reason
    assert [r.epoch for r in reports(events)] == [1] and events[-1] is result
    assert result.epoch >= 2  # it fails where the loop learns of it, after epoch 2's boundary
    checkpoints = tmp_path / "run" / "checkpoints"
    assert load_checkpoint(checkpoints / "latest.pt")["epoch"] == 1
    assert not (checkpoints / "epoch_0002.pt").exists()
    G, _ = load_generator(checkpoints / "latest.pt")
    assert G.part_writing is not None
