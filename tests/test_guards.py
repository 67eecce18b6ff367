"""Runaway losses stop a run as failed: diverged, with the step and the
numbers (issue 15, item 6). Before, only NaN or infinity did."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from gan.config import preset
from gan.training.guards import LOSS_LIMITS, LossGuard
from gan.training.loop import train

# The largest magnitudes healthy chorale runs showed, every step read
# (smoke, quick, lab; with and without the reconstruction term; see guards.py).
HEALTHY = (13.5, 64.3, 16.2, 0.98)


def _guard_after(*steps):
    guard = LossGuard("cpu")
    for step, losses in enumerate(steps, start=1):
        guard.observe(torch.tensor(losses, dtype=torch.float32), step)
    return guard


def test_healthy_losses_pass_with_a_wide_margin():
    guard = _guard_after([-h for h in HEALTHY], list(HEALTHY), [0.0, 0.0, 0.0, 0.0])
    guard.check()
    assert guard.first_bad_step() == -1
    assert all(limit >= 1e4 * h for limit, h in zip(LOSS_LIMITS, HEALTHY))


@pytest.mark.parametrize("losses, named", [
    ([-2.6e15, 3.0, 1.0, 0.5], "critic -2.6e+15 (beyond ±1e+06)"),
    ([4.6e13, 3.0, 1.0, 0.5], "critic 4.6e+13"),
    ([2.0, 4.2e19, 1.0, 0.5], "generator 4.2e+19"),
    ([2.0, 3.0, 1.0, 6.3e12], "gradient penalty 6.3e+12 (beyond ±1e+04)"),
    ([math.nan, 3.0, 1.0, 0.5], "critic nan"),
])
def test_runaway_or_broken_losses_stop_with_the_step_and_numbers(losses, named):
    guard = _guard_after(list(HEALTHY), list(HEALTHY), losses, [9e30, 9e30, 9e30, 9e30])
    with pytest.raises(Exception) as info:
        guard.check()
    text = str(info.value)
    assert text.startswith("diverged at step 3: ") and named in text  # the first bad step
    assert "wasserstein 1" in text  # every loss of that step is named


def test_a_run_whose_critic_runs_away_fails_as_diverged(tmp_path):
    """No penalty, learning rates at their maximum, no Adam memory: the
    critic loss reaches about 1e17 within 100 steps, all finite, and the old
    check let the run complete."""
    from gan.data.corpus import Corpus

    config = dataclasses.replace(
        preset("smoke"), epochs=4, steps_per_epoch=25, device="cpu", gp_weight=0.0,
        critic_lr=1.0, generator_lr=1.0, beta1=0.0, beta2=0.0)
    data = Corpus.load(["chorale"]).segments(config.bars_per_sample)
    seen = []
    result = train(config, data, seen.append, run_dir=tmp_path)
    assert result.status == "failed" and result.reason.startswith("diverged at step ")
    assert "beyond ±1e+0" in result.reason
    step = int(result.reason.split("step ")[1].split(":")[0])
    assert step < 100 and result.epoch < config.epochs
