"""The fast subset of the fault matrix (bench/bench_faults.py --quick): the
rows that take seconds run here, so the benchmark itself keeps working. The
other rows' faults each have their own tests (test_store_safety,
test_checkpoint, test_guards, test_resume_fallback, test_reproducible,
test_kill_recovery, test_cli_faults)."""

from __future__ import annotations

import pytest

from bench.faults import input_rows, run_rows, store_rows
from bench.faults.common import Context

FAST_ROWS = [run_rows.malicious_checkpoints, input_rows.hostile_midi, input_rows.bad_settings,
             store_rows.damaged_pages, store_rows.checkpoint_write_kills,
             store_rows.read_only_home]


@pytest.fixture(scope="module")
def context():
    ctx = Context(quick=True, log=lambda message: None)
    yield ctx
    ctx.cleanup()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("row_fn", FAST_ROWS, ids=lambda fn: fn.__name__)
def test_fault_row_holds_every_time(context, row_fn):
    row = row_fn(context)
    if row.skipped:
        pytest.skip(row.skipped)
    assert row.tried > 0
    assert row.passed == row.tried, "\n".join(row.failures)
