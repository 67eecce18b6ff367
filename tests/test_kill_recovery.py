"""SIGKILL a training child at random moments; the store must survive it.

See tests/fixtures/kill_harness.py for what is checked after every kill.
The seed is fixed for a reproducible run; set POLYPHONY_KILL_SEED to draw
other moments.
"""

from __future__ import annotations

import os

import pytest

from tests.fixtures import jobs_corpus
from tests.fixtures.kill_harness import run_kills

KILLS = 10


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_sigkill_at_random_moments_then_resume(polyphony_home):
    genre = jobs_corpus.install()
    seed = int(os.environ.get("POLYPHONY_KILL_SEED", "20261125"))
    lines = []
    report = run_kills(polyphony_home, genre, kills=KILLS, seed=seed, log=lines.append)
    print("\n".join(lines))
    assert len(report.kills) == KILLS
    # the kills fell on running jobs, not only before start-up
    assert sum(k.recovered for k in report.kills) >= KILLS // 2, lines
    # every job ended completed (checked in run_kills), at least one of them
    # through `jobs resume` after a kill
    assert report.jobs and report.resumed_to_completion >= 1
