"""A tiny trained job for the compose tests (real training, real checkpoints).

Trained once per test session per architecture, in its own folder with its
own job store; tests point ``POLYPHONY_HOME`` there when they need the
command line to find it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

_CACHE: dict[str, tuple[Path, int]] = {}


def small_chorale_data(bars: int, n: int = 24) -> np.ndarray:
    from gan.data.corpus import Corpus

    return Corpus.load(["chorale"]).segments(bars)[:n]


def trained_job(root: Path, architecture: str = "unet") -> tuple[Path, int]:
    """(POLYPHONY_HOME holding the store, job id) of a finished smoke job."""
    if architecture in _CACHE:
        return _CACHE[architecture]
    from app.jobs.runner import run_job
    from app.jobs.store import JobStore
    from gan.config import preset

    home = root / f"compose_home_{architecture}"
    home.mkdir(parents=True, exist_ok=True)
    store = JobStore(home / "polyphony.db")
    config = dataclasses.replace(preset("smoke", architecture), epochs=2, steps_per_epoch=1)
    job_id = store.create(f"smoke {architecture}", config, ["genre=chorale"])
    status = run_job(job_id, store, load_data=lambda job: small_chorale_data(job.config.bars_per_sample))
    assert status == "completed", store.get(job_id).error
    store.close()
    _CACHE[architecture] = (home, job_id)
    return home, job_id


@pytest.fixture(scope="module")
def unet_job(tmp_path_factory):
    return trained_job(tmp_path_factory.mktemp("unet"), "unet")


@pytest.fixture(scope="module")
def musegan_job(tmp_path_factory):
    return trained_job(tmp_path_factory.mktemp("musegan"), "musegan")
