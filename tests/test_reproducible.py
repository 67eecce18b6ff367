"""Same seed, same run (issue 15, item 8): the CPU thread count no longer
follows the load average, so two seeded CPU runs on one machine match."""

from __future__ import annotations

import dataclasses
import os

import pytest

from gan.config import preset
from gan.training.device import cpu_threads_for


@pytest.mark.parametrize("params", [50_000, 600_000, 9_000_000])
def test_thread_count_does_not_follow_the_load(monkeypatch, params):
    if not hasattr(os, "getloadavg"):
        pytest.skip("no load average on this platform")
    monkeypatch.delenv("POLYPHONY_TORCH_THREADS", raising=False)
    chosen = set()
    for load in (0.0, 1.9, 50.0):  # an idle machine, a busy one, a swamped one
        monkeypatch.setattr(os, "getloadavg", lambda load=load: (load, load, load))
        chosen.add(cpu_threads_for(params, 2))
    assert len(chosen) == 1


def test_two_seeded_cpu_runs_are_the_same_run(tmp_path):
    from gan.data.corpus import Corpus
    from gan.training.events import EpochReport, RunStarted, StepStats
    from gan.training.loop import train

    # quick's model (over 200,000 parameters): trained on every core
    config = dataclasses.replace(preset("quick"), epochs=1, steps_per_epoch=4, device="cpu",
                                 metric_samples=8, log_every=1, seed=11)
    data = Corpus.load(["chorale"]).segments(config.bars_per_sample)
    runs = []
    for n in range(2):
        events = []
        assert train(config, data, events.append, run_dir=tmp_path / str(n)).status == "completed"
        runs.append(events)
    labels = [next(e.device for e in events if isinstance(e, RunStarted)) for events in runs]
    assert labels[0] == labels[1] and "cores" in labels[0]
    losses = [[(e.critic_loss, e.generator_loss) for e in events if isinstance(e, StepStats)]
              for events in runs]
    assert len(losses[0]) == 4 and losses[0] == losses[1]  # bit for bit
    reports = [next(e for e in events if isinstance(e, EpochReport)) for events in runs]
    assert reports[0].similarity == reports[1].similarity
